using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch.nn;

namespace DataBlocks.Vision.Models;

/// <summary>
/// The ImageNet-trained ResNet-18 that Microsoft ships as ONNX in the NuGet package
/// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (trained with CNTK 2.6), rebuilt in TorchSharp.
/// <para>
/// It is <b>not</b> torchvision's resnet18: its stages have 2, 2, 2 and <b>3</b> basic blocks (15,897,152 parameters
/// without a classifier, against torchvision's 11,176,512), and CNTK's "same" padding is asymmetric — the stem's 7×7
/// convolution pads (top, left, bottom, right) = (3, 3, 2, 2), the stride-2 3×3 convolutions and the 3×3 max pool
/// (1, 1, 0, 0). The modules are named like torchvision's (<c>conv1</c>, <c>bn1</c>, <c>relu</c>, <c>maxpool</c>,
/// <c>layer1</c>…<c>layer4</c> of blocks <c>conv1/bn1/conv2/bn2/downsample.0/downsample.1</c>, <c>avgpool</c>,
/// <c>flatten</c>), so <see cref="VisionArchitecture.CntkResNet18"/> cuts and splits it like the other resnets.
/// </para>
/// <para>
/// Input: RGB <c>float32 [B, 3, H, W]</c> normalised with <see cref="Stats"/> (0–255 scale minus CNTK's channel means:
/// what <see cref="IntToFloatTensor"/> then this <see cref="Normalize"/> make of decoded images). The file's network reads
/// BGR; the input channels of its first kernel are reversed on loading, which is exactly the same computation on RGB.
/// H and W must be multiples of 32 (<see cref="InputMultiple"/>). Output: the 512 average-pooled features
/// <c>[B, 512]</c> (the file's <c>[1, 512, 1, 1]</c>, flattened; the pool is adaptive, which at 224×224 is the file's
/// 7×7 pool).
/// </para>
/// </summary>
public sealed class CntkResNet18 : Module<torch.Tensor, torch.Tensor>
{
    /// <summary>What this network is called in messages and docs.</summary>
    public const string DisplayName = "ResNet-18 (CNTK, 2-2-2-3 blocks)";

    /// <summary>The NuGet package that ships the weights.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The version of <see cref="PackageId"/> this port was checked against.</summary>
    public const string PackageVersion = "0.24.0";

    /// <summary>Input height and width must be multiples of this: below every stride-2 stage the sizes must stay even.</summary>
    public const int InputMultiple = 32;

    [ComponentName(Name = "conv1")] private readonly PaddedConv2d _conv1;
    [ComponentName(Name = "bn1")] private readonly BatchNorm2d _bn1;
    [ComponentName(Name = "relu")] private readonly ReLU _relu;
    [ComponentName(Name = "maxpool")] private readonly PaddedMaxPool2d _maxpool;
    [ComponentName(Name = "layer1")] private readonly Sequential _layer1;
    [ComponentName(Name = "layer2")] private readonly Sequential _layer2;
    [ComponentName(Name = "layer3")] private readonly Sequential _layer3;
    [ComponentName(Name = "layer4")] private readonly Sequential _layer4;
    [ComponentName(Name = "avgpool")] private readonly AdaptiveAvgPool2d _avgpool;
    [ComponentName(Name = "flatten")] private readonly Flatten _flatten;

    /// <summary>Builds the network with fresh weights (torchvision's initialisation); <see cref="LoadImagenet"/> loads the trained ones.</summary>
    public CntkResNet18() : base(nameof(CntkResNet18))
    {
        _conv1 = new PaddedConv2d(3, 64, 7, 2, [3, 3, 2, 2], CheckInput);
        _bn1 = BatchNorm(64);
        _relu = ReLU(inplace: true);
        _maxpool = new PaddedMaxPool2d(3, 2, [1, 1, 0, 0]);
        _layer1 = Stage(64, 64, BlocksPerStage[0], stride: 1);
        _layer2 = Stage(64, 128, BlocksPerStage[1], stride: 2);
        _layer3 = Stage(128, 256, BlocksPerStage[2], stride: 2);
        _layer4 = Stage(256, 512, BlocksPerStage[3], stride: 2);
        _avgpool = AdaptiveAvgPool2d(1);
        _flatten = Flatten();
        RegisterComponents();
    }

    /// <summary>Basic blocks per stage: 2, 2, 2, 3.</summary>
    public static IReadOnlyList<int> BlocksPerStage { get; } = [2, 2, 2, 3];

    /// <summary>
    /// The normalisation its weights expect, for RGB images in [0, 1]: <c>(x − m/255) / (1/255) = 255·x − m</c> with CNTK's
    /// channel means m = (R 123.1516, G 115.9029, B 103.0626), the per-channel averages of the 224×224 mean image in the
    /// package's <c>ResNetPreprocess.onnx</c>. Per-channel means work at every size and after random crops; the file's
    /// own preprocessing subtracts the whole mean image, which only fits 224×224 inputs.
    /// </summary>
    public static Normalize Stats => new([123.1516f / 255f, 115.9029f / 255f, 103.0626f / 255f], [1f / 255f, 1f / 255f, 1f / 255f]);

    /// <summary>Where the package copies <c>ResNet18.onnx</c>: <c>DnnImageModels/ResNet18Onnx/</c> next to the program.</summary>
    public static string DefaultOnnxPath => Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>
    /// Builds the network and loads its ImageNet weights from <c>ResNet18.onnx</c>, read locally (nothing is downloaded).
    /// The module is in training mode, as every new module; call <c>eval()</c> to extract features.
    /// </summary>
    /// <param name="onnxPath">The file; by default <see cref="DefaultOnnxPath"/>, where the package puts it.</param>
    /// <exception cref="DataBlocksException">The file is missing (the message says which package reference brings it), or is not this network.</exception>
    public static CntkResNet18 LoadImagenet(string? onnxPath = null)
    {
        string path = Path.GetFullPath(onnxPath ?? DefaultOnnxPath);
        if (!File.Exists(path))
            throw new DataBlocksException(
                $"The ImageNet weights of {DisplayName} are not at '{path}'. They come in the NuGet package {PackageId}, which copies " +
                $"ResNet18.onnx (63.7 MB) to DnnImageModels/ResNet18Onnx/ next to the program: add " +
                $"<PackageReference Include=\"{PackageId}\" Version=\"{PackageVersion}\" IncludeAssets=\"build\" /> to the project " +
                "(IncludeAssets=\"build\" takes the model files without ML.NET's assemblies), or give LoadImagenet the path of the file.");
        var model = new CntkResNet18();
        try
        {
            CntkResNet18Onnx.Load(model, path);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The stem convolution (7×7, stride 2, pads 3, 3, 2, 2).</summary>
    internal PaddedConv2d Conv1 => _conv1;

    /// <summary>The stem's batch norm.</summary>
    internal BatchNorm2d Bn1 => _bn1;

    /// <summary>The stem's max pool (3×3, stride 2, pads 1, 1, 0, 0).</summary>
    internal PaddedMaxPool2d MaxPool => _maxpool;

    /// <summary>The blocks of layer1…layer4.</summary>
    internal IReadOnlyList<IReadOnlyList<CntkBasicBlock>> Stages =>
        [.. new[] { _layer1, _layer2, _layer3, _layer4 }.Select(s => (IReadOnlyList<CntkBasicBlock>)[.. s.children().Cast<CntkBasicBlock>()])];

    /// <inheritdoc />
    public override torch.Tensor forward(torch.Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = _maxpool.call(_relu.call(_bn1.call(_conv1.call(input))));
        x = _layer4.call(_layer3.call(_layer2.call(_layer1.call(x))));
        return _flatten.call(_avgpool.call(x)).MoveToOuterDisposeScope();
    }

    /// <summary>A batch norm as the file's: epsilon 1e-5. (The file's momentum 0.988 is CNTK's convention, not PyTorch's; fine-tuning uses PyTorch's 0.1.)</summary>
    internal static BatchNorm2d BatchNorm(int channels) => BatchNorm2d(channels, eps: 1e-5);

    /// <summary>Refuses inputs this network cannot take, before the first convolution (also when only the body runs).</summary>
    internal static void CheckInput(torch.Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != 3)
            throw new DataBlocksException($"{DisplayName} takes RGB images [B, 3, H, W]; got [{string.Join(", ", input.shape)}].");
        long h = input.shape[2], w = input.shape[3];
        if (h % InputMultiple != 0 || w % InputMultiple != 0 || h == 0 || w == 0)
            throw new DataBlocksException(
                $"{DisplayName} takes images whose height and width are multiples of {InputMultiple} (224, 256, 288, …); got {h}×{w}. " +
                "CNTK fixed its asymmetric padding for 224×224, and at other sizes the main path and the shortcut of a stride-2 " +
                $"block disagree. Resize or crop to a multiple of {InputMultiple}.");
    }

    private static Sequential Stage(int inChannels, int outChannels, int blocks, int stride) =>
        Sequential(Enumerable.Range(0, blocks).Select(b => (Module<torch.Tensor, torch.Tensor>)new CntkBasicBlock(b == 0 ? inChannels : outChannels, outChannels, b == 0 ? stride : 1)));
}
