using System;
using System.IO;
using System.Linq;
using DataBlocks.TestKit;
using DataBlocks.Vision.Models;
using Google.Protobuf;
using Onnx;
using SkiaSharp;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;

namespace DataBlocks.Tests;

/// <summary>The ImageNet ResNet-18 loaded once for the tests of its port.</summary>
public sealed class CntkResNet18Fixture : IDisposable
{
    /// <summary>Loads the weights from the package's file in the test output.</summary>
    public CntkResNet18Fixture()
    {
        Model = CntkResNet18.LoadImagenet();
        Model.eval();
    }

    /// <summary>The port, in eval mode.</summary>
    public CntkResNet18 Model { get; }

    /// <summary>Our features for RGB images in 0–255, normalised with <see cref="CntkResNet18.Stats"/> the way the batch transforms do.</summary>
    public float[][] Features(torch.Tensor normalised)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var f = Model.call(normalised);
        return [.. Enumerable.Range(0, (int)f.shape[0]).Select(i => f[i].data<float>().ToArray())];
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}

[Collection("Torch")]
public sealed class CntkResNet18Tests(CntkResNet18Fixture fixture, ITestOutputHelper output) : IClassFixture<CntkResNet18Fixture>
{
    /// <summary>The bound asked of the port: the 512 features (up to about 11) within 1e-4 of ONNX Runtime's.</summary>
    private const float Tolerance = 1e-4f;

    [Fact]
    public void Package_Puts_The_Model_Files_Next_To_The_Program()
    {
        Assert.Equal(CntkResNet18.DefaultOnnxPath, OnnxReference.ResNet18Path);
        Assert.Equal(63_653_533, new FileInfo(CntkResNet18.DefaultOnnxPath).Length);
        Assert.Equal(602_584, new FileInfo(OnnxReference.PreprocessPath).Length);
    }

    [Fact]
    public void Features_Match_Onnx_Runtime_At_224()
    {
        using var scope = torch.NewDisposeScope();
        var x = Normalised(Enumerable.Range(0, 3).Select(seed => Scene(224, 224, seed)).ToArray(), 224, 224);
        using var reference = OnnxReference.Open(OnnxReference.ResNet18Path);
        float diff = MaxAbsDifference(fixture.Features(x), reference.RunBatch(x), out float largest);
        output.WriteLine($"224×224, 3 synthetic images: max |ours − ONNX Runtime| = {diff:E2} (largest feature {largest:F2})");
        Assert.InRange(largest, 1f, 100f);                 // real features, not zeros
        Assert.InRange(diff, 0f, Tolerance);
    }

    [Theory]
    [InlineData(320, 320)]
    [InlineData(256, 352)]
    public void Features_Match_Onnx_Runtime_At_Other_Multiples_Of_32(int height, int width)
    {
        using var scope = torch.NewDisposeScope();
        var x = Normalised([Scene(height, width, seed: 11)], height, width);
        using var reference = OnnxReference.ResNet18At(height, width);
        float diff = MaxAbsDifference(fixture.Features(x), reference.RunBatch(x), out float largest);
        output.WriteLine($"{height}×{width}: max |ours − ONNX Runtime| = {diff:E2} (largest feature {largest:F2})");
        Assert.InRange(largest, 1f, 100f);
        Assert.InRange(diff, 0f, Tolerance);
    }

    [Theory]
    [InlineData(200, 200)]
    [InlineData(225, 224)]
    [InlineData(224, 240)]
    public void Sizes_That_Are_Not_Multiples_Of_32_Are_Refused(int height, int width)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = torch.zeros(1, 3, height, width);
        var e = Assert.Throws<DataBlocksException>(() => fixture.Model.call(x));
        output.WriteLine(e.Message);
        Assert.Contains("multiples of 32", e.Message);
        Assert.Contains($"{height}×{width}", e.Message);
        // The body alone (what a learner cuts) refuses them too: the check sits in the first convolution. (A body shares
        // its model's modules, so it is cut from a fresh model, not the fixture's.)
        using var body = VisionArchitecture.CntkResNet18.Body(new CntkResNet18());
        Assert.Throws<DataBlocksException>(() => body.call(x));
    }

    [Fact]
    public void Missing_File_Says_Which_Package_Brings_It()
    {
        using var dir = new TempDir();
        string path = dir.Combine("nowhere", "ResNet18.onnx");
        var e = Assert.Throws<DataBlocksException>(() => CntkResNet18.LoadImagenet(path));
        output.WriteLine(e.Message);
        Assert.Contains(path, e.Message);
        Assert.Contains("<PackageReference Include=\"Microsoft.ML.DnnImageFeaturizer.ResNet18\" Version=\"0.24.0\"", e.Message);
    }

    [Fact]
    public void A_File_That_Is_Not_This_Network_Is_Refused()
    {
        // Another ONNX model: the preprocessing graph starts with a Split, not the stem convolution.
        var e = Assert.Throws<DataBlocksException>(() => CntkResNet18.LoadImagenet(OnnxReference.PreprocessPath));
        output.WriteLine(e.Message);
        Assert.Contains("is not the ResNet-18 (CNTK, 2-2-2-3 blocks)", e.Message);
        Assert.Contains("conv1 should be a Conv, found Split", e.Message);

        using var dir = new TempDir();
        string garbage = dir.Combine("garbage.onnx");
        File.WriteAllBytes(garbage, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 % 251))]);
        e = Assert.Throws<DataBlocksException>(() => CntkResNet18.LoadImagenet(garbage));
        output.WriteLine(e.Message);
        Assert.Contains(garbage, e.Message);
    }

    [Fact]
    public void A_Layer_Padded_Differently_From_Ours_Is_Refused_By_Name()
    {
        // The real file with one stride-2 convolution given symmetric pads: the walk must notice, and name our layer.
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxReference.ResNet18Path));
        var conv = model.Graph.Node.Single(n => n.Name == "Convolution317");         // layer3.0.conv1 (3×3, stride 2)
        var pads = conv.Attribute.Single(a => a.Name == "pads");
        Assert.Equal([1L, 1L, 0L, 0L], pads.Ints);
        pads.Ints.Clear();
        pads.Ints.Add([1L, 1L, 1L, 1L]);
        using var dir = new TempDir();
        string path = dir.Combine("padded.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        var e = Assert.Throws<DataBlocksException>(() => CntkResNet18.LoadImagenet(path));
        output.WriteLine(e.Message);
        Assert.Contains("layer3.0.conv1 (Conv 'Convolution317')", e.Message);
        Assert.Contains("pads [1, 1, 1, 1]", e.Message);
    }

    [Fact]
    public void Weights_Are_Mapped_By_Following_The_Graph()
    {
        // Stage 4 has three blocks (2-2-2-3); its first block's shortcut is a 1×1 stride-2 convolution. The file lists
        // the shortcut before the main path and names its tensors ParameterNN: only the graph says which is which.
        using var scope = torch.NewDisposeScope();
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxReference.ResNet18Path));
        float[] Init(string name) => [.. model.Graph.Initializer.Single(t => t.Name == name).FloatData];
        var state = fixture.Model.state_dict();
        Assert.Equal(Init("Parameter351"), state["layer4.0.downsample.0.weight"].data<float>().ToArray());   // Convolution359, 1×1
        Assert.Equal(Init("Parameter32"), state["layer4.0.conv1.weight"].data<float>().ToArray());          // Convolution349, 3×3
        Assert.Equal(Init("Parameter10"), state["layer4.2.conv2.weight"].data<float>().ToArray());          // Convolution387, the last
        Assert.Equal(Init("Constant420"), state["layer4.2.bn2.running_var"].data<float>().ToArray());
        // The stem's kernel reads RGB: its input channels are the file's (BGR) reversed.
        Assert.Equal(Init("Parameter91"), state["conv1.weight"].flip(1).contiguous().data<float>().ToArray());
    }

    [Fact]
    public void Structure_Matches_The_File()
    {
        using var fresh = new CntkResNet18();
        var entries = fresh.named_parameters().Select(p => (p.name, p.parameter.numel()))
            .Concat(fresh.named_buffers().Where(b => !b.name.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).Select(b => (b.name, b.buffer.numel())))
            .ToList();
        Assert.Equal(110, entries.Count);                                  // the file's 110 initializers
        Assert.Equal(15_908_800, entries.Sum(e => e.Item2));               // and their 15,908,800 values
        Assert.Equal(15_897_152, fresh.parameters().Sum(p => p.numel()));
        Assert.Equal(3, fresh.named_children().Single(c => c.name == "layer4").module.children().Count());
        Assert.DoesNotContain(entries, e => e.name.StartsWith("fc.", StringComparison.Ordinal));
    }

    [Fact]
    public void Asymmetric_Pads_Go_Top_And_Left()
    {
        // A 3×3 stride-2 sum over a 4×4 of ones with CNTK's pads (1, 1, 0, 0): the first window hangs over the top-left
        // corner (4 ones), the last lies inside (9). Padding bottom and right instead (TensorFlow's side) gives 9 … 4.
        using var scope = torch.NewDisposeScope();
        using var conv = new PaddedConv2d(1, 1, 3, 2, [1, 1, 0, 0]);
        using (torch.no_grad()) conv.Weight.fill_(1f);
        Assert.Equal([4f, 6f, 6f, 9f], conv.call(torch.ones(1, 1, 4, 4)).data<float>().ToArray());
        // The stem's 7×7 (3, 3, 2, 2): 224 → 112, the file's size.
        using var stem = new PaddedConv2d(3, 8, 7, 2, [3, 3, 2, 2]);
        Assert.Equal([1L, 8, 112, 112], stem.call(torch.zeros(1, 3, 224, 224)).shape);
    }

    [Fact]
    public void Max_Pool_Pads_With_Minus_Infinity()
    {
        // ONNX's MaxPool never picks a pad: on negative inputs a zero pad would win the windows at the top-left border.
        using var scope = torch.NewDisposeScope();
        using var pool = new PaddedMaxPool2d(3, 2, [1, 1, 0, 0]);
        var x = torch.tensor(Enumerable.Range(-16, 16).Select(v => (float)v).ToArray(), [1, 1, 4, 4]);
        Assert.Equal([-11f, -9f, -3f, -1f], pool.call(x).data<float>().ToArray());
    }

    [Fact]
    public void Trains_Through_The_Padded_Layers()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new CntkResNet18();
        var x = torch.randn(2, 3, 64, 64);
        model.call(x).pow(2).mean().backward();
        var grads = model.parameters().Select(p => p.grad).ToArray();
        Assert.All(grads, g => Assert.NotNull(g));
        Assert.All(grads, g => Assert.False(g!.isnan().any().item<bool>()));
        Assert.True(model.named_parameters().Single(p => p.name == "conv1.weight").parameter.grad!.abs().sum().item<float>() > 0);
    }

    /// <summary>Images as the loader makes them: bytes → float / 255 (IntToFloatTensor) → (x − mean) / std (Normalize).</summary>
    internal static torch.Tensor Normalised(byte[][] images, int height, int width)
    {
        var stats = CntkResNet18.Stats;
        var bytes = torch.tensor(images.SelectMany(i => i).ToArray(), [images.Length, 3, height, width]);
        var mean = torch.tensor(stats.Mean.ToArray()).view(1, 3, 1, 1);
        var std = torch.tensor(stats.Std.ToArray()).view(1, 3, 1, 1);
        return bytes.to(torch.float32).div_(255f).sub_(mean).div_(std);
    }

    /// <summary>A seeded RGB scene, channels first: a colour gradient, pixel noise, and a few filled shapes.</summary>
    internal static byte[] Scene(int height, int width, int seed)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            using var background = new SKPaint
            {
                Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                    [RandomColor(random), RandomColor(random)], SKShaderTileMode.Clamp),
            };
            canvas.DrawRect(0, 0, width, height, background);
            for (int s = 0; s < 6; s++)
            {
                using var paint = new SKPaint { Color = RandomColor(random), IsAntialias = true };
                float cx = random.Next(width), cy = random.Next(height), r = random.Next(10, Math.Min(width, height) / 3);
                if (s % 2 == 0) canvas.DrawCircle(cx, cy, r, paint);
                else canvas.DrawRect(cx - r, cy - r / 2, 2 * r, r, paint);
            }
        }
        var rgba = bitmap.GetPixelSpan();
        var chw = new byte[3 * height * width];
        for (int p = 0; p < height * width; p++)
            for (int c = 0; c < 3; c++)
                chw[c * height * width + p] = (byte)Math.Clamp(rgba[4 * p + c] + random.Next(-20, 21), 0, 255);
        return chw;
    }

    internal static float MaxAbsDifference(float[][] ours, float[][] reference, out float largest)
    {
        Assert.Equal(reference.Length, ours.Length);
        float diff = 0;
        largest = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            Assert.Equal(512, ours[i].Length);
            Assert.Equal(512, reference[i].Length);
            for (int j = 0; j < 512; j++)
            {
                diff = Math.Max(diff, Math.Abs(ours[i][j] - reference[i][j]));
                largest = Math.Max(largest, Math.Abs(reference[i][j]));
            }
        }
        return diff;
    }

    private static SKColor RandomColor(Random random) => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
}
