using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch.nn;

namespace DataBlocks.Vision.Models;

/// <summary>
/// A basic residual block of <see cref="CntkResNet18"/>, named like torchvision's: <c>conv1</c>, <c>bn1</c>, <c>conv2</c>,
/// <c>bn2</c>, and for the first block of stages 2–4 <c>downsample.0</c> (1×1 stride-2 convolution) and
/// <c>downsample.1</c> (batch norm). A stride-2 block pads its first 3×3 convolution top and left only (CNTK's
/// [1, 1, 0, 0]); every other 3×3 convolution pads 1 on each side.
/// </summary>
internal sealed class CntkBasicBlock : Module<torch.Tensor, torch.Tensor>
{
    [ComponentName(Name = "conv1")] private readonly PaddedConv2d _conv1;
    [ComponentName(Name = "bn1")] private readonly BatchNorm2d _bn1;
    [ComponentName(Name = "relu")] private readonly ReLU _relu;
    [ComponentName(Name = "conv2")] private readonly PaddedConv2d _conv2;
    [ComponentName(Name = "bn2")] private readonly BatchNorm2d _bn2;
    [ComponentName(Name = "downsample")] private readonly Sequential? _downsample;

    /// <summary>Creates the block; a stride of 2 halves the size and adds the downsampling shortcut.</summary>
    public CntkBasicBlock(int inChannels, int outChannels, int stride) : base(nameof(CntkBasicBlock))
    {
        _conv1 = new PaddedConv2d(inChannels, outChannels, 3, stride, stride == 1 ? [1, 1, 1, 1] : [1, 1, 0, 0]);
        _bn1 = CntkResNet18.BatchNorm(outChannels);
        _relu = ReLU(inplace: true);
        _conv2 = new PaddedConv2d(outChannels, outChannels, 3, 1, [1, 1, 1, 1]);
        _bn2 = CntkResNet18.BatchNorm(outChannels);
        if (stride != 1 || inChannels != outChannels)
            _downsample = Sequential(new PaddedConv2d(inChannels, outChannels, 1, stride, [0, 0, 0, 0]), CntkResNet18.BatchNorm(outChannels));
        RegisterComponents();
    }

    /// <summary>The first 3×3 convolution.</summary>
    public PaddedConv2d Conv1 => _conv1;

    /// <summary>The batch norm after <see cref="Conv1"/>.</summary>
    public BatchNorm2d Bn1 => _bn1;

    /// <summary>The second 3×3 convolution.</summary>
    public PaddedConv2d Conv2 => _conv2;

    /// <summary>The batch norm after <see cref="Conv2"/>.</summary>
    public BatchNorm2d Bn2 => _bn2;

    /// <summary>The shortcut's 1×1 convolution and batch norm, or null where the shortcut is the identity.</summary>
    public (PaddedConv2d Conv, BatchNorm2d Bn)? Downsample =>
        _downsample is null ? null : ((PaddedConv2d)_downsample[0], (BatchNorm2d)_downsample[1]);

    /// <inheritdoc />
    public override torch.Tensor forward(torch.Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var x = _relu.call(_bn1.call(_conv1.call(input)));
        x = _bn2.call(_conv2.call(x));
        var shortcut = _downsample is null ? input : _downsample.call(input);
        return x.add_(shortcut).relu_().MoveToOuterDisposeScope();
    }
}
