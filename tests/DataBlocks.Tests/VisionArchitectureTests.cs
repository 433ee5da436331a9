using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Learning;
using DataBlocks.Vision;
using DataBlocks.Vision.Models;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

[Collection("Torch")]
public sealed class VisionArchitectureTests
{
    /// <summary>torchvision's resnet18 state_dict as stored in its ImageNet weights file: name → shape.</summary>
    private static Dictionary<string, string> TorchvisionResNet18Keys() =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "torchvision", "resnet18.keys.txt"))
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split('\t'))
            .ToDictionary(f => f[0], f => f[1]);

    private static string Shape(torch.Tensor t) => $"[{string.Join(",", t.shape)}]";

    [Fact]
    public void ResNet18_State_Matches_Torchvision_Names_And_Shapes()
    {
        var expected = TorchvisionResNet18Keys();
        Assert.Equal(102, expected.Count);
        using var model = VisionArchitecture.ResNet18.Create();
        var ours = model.named_parameters().Select(p => (p.name, Shape(p.parameter)))
            .Concat(model.named_buffers().Select(b => (b.name, Shape(b.buffer))))
            .ToList();
        // PyTorch ≥ 0.4.1 and TorchSharp count batches in every batch norm (a scalar buffer); the weights file predates it.
        var counters = ours.Where(e => e.name.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Keys.Count(k => k.EndsWith(".running_mean", StringComparison.Ordinal)), counters.Count);
        Assert.All(counters, c => Assert.Contains(c.name.Replace(".num_batches_tracked", ".running_mean", StringComparison.Ordinal), expected.Keys));
        var rest = ours.Except(counters).ToDictionary(e => e.name, e => e.Item2);
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), rest.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("resnet18", 11_689_512, "layer4.1.bn2.weight", "[512]", "layer4.2.conv1.weight")]
    [InlineData("resnet34", 21_797_672, "layer3.5.conv2.weight", "[256,256,3,3]", "layer3.6.conv1.weight")]
    [InlineData("resnet50", 25_557_032, "layer4.2.conv3.weight", "[2048,512,1,1]", "layer4.3.conv1.weight")]
    public void ResNets_Have_Torchvision_Sizes(string name, long parameters, string lastKey, string lastShape, string absentKey)
    {
        var arch = new[] { VisionArchitecture.ResNet18, VisionArchitecture.ResNet34, VisionArchitecture.ResNet50 }.Single(a => a.Name == name);
        using var model = arch.Create();
        Assert.Equal(parameters, model.parameters().Sum(p => p.numel()));      // torchvision's published counts
        var state = model.state_dict();
        Assert.Equal(lastShape, Shape(state[lastKey]));
        Assert.False(state.ContainsKey(absentKey));
        Assert.Equal(name == "resnet50" ? "[1000,2048]" : "[1000,512]", Shape(state["fc.weight"]));
    }

    [Fact]
    public void Body_Is_The_First_Eight_Children_Under_Their_Names()
    {
        using var scope = torch.NewDisposeScope();
        using var body = VisionArchitecture.ResNet34.Body(VisionArchitecture.ResNet34.Create());
        Assert.Equal(["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"], body.named_children().Select(c => c.name));
        Assert.Contains("layer3.5.bn2.running_var", body.state_dict().Keys);
        Assert.DoesNotContain(body.state_dict().Keys, k => k.StartsWith("fc.", StringComparison.Ordinal));
        body.eval();
        using var noGrad = torch.no_grad();
        Assert.Equal([2L, 512, 2, 3], body.call(torch.randn(2, 3, 64, 96)).shape);

        using var cntk = VisionArchitecture.CntkResNet18.Body(new CntkResNet18());
        Assert.Equal(body.named_children().Select(c => c.name), cntk.named_children().Select(c => c.name));
    }

    [Theory]
    [InlineData("resnet18", 30, 30)]
    [InlineData("resnet50", 72, 87)]
    [InlineData("ResNet-18 (CNTK, 2-2-2-3 blocks)", 30, 36)]
    public void Split_Is_Fastais_Resnet_Split(string name, int firstGroup, int secondGroup)
    {
        var arch = new[] { VisionArchitecture.ResNet18, VisionArchitecture.ResNet50, VisionArchitecture.CntkResNet18 }.Single(a => a.Name == name);
        var body = arch.Body(arch.Create());
        using var model = torch.nn.Sequential(("0", body), ("1", torch.nn.Linear(512, 10)));
        Func<torch.nn.Module<torch.Tensor, torch.Tensor>, IEnumerable<IEnumerable<TorchSharp.Modules.Parameter>>> splitter = arch.Split;
        var options = new LearnerOptions { Splitter = splitter };
        var groups = options.Splitter!(model).Select(g => g.ToArray()).ToArray();

        // conv1, bn1, layer1, layer2 | layer3, layer4 | head: every parameter once, in that order.
        Assert.Equal([firstGroup, secondGroup, 2], groups.Select(g => g.Length));
        var children = body.named_children().ToDictionary(c => c.name, c => c.module);
        Assert.Same(children["conv1"].parameters().First(), groups[0][0]);
        Assert.Same(children["layer3"].parameters().First(), groups[1][0]);
        Assert.Equal(model.parameters().Count(), groups.Sum(g => g.Length));
        Assert.Throws<ArgumentException>(() => arch.Split(body));                 // a body alone has no head
    }

    [Fact]
    public void Stats_Are_What_The_Weights_Expect()
    {
        foreach (var arch in new[] { VisionArchitecture.ResNet18, VisionArchitecture.ResNet34, VisionArchitecture.ResNet50 })
            Assert.Equal(Normalize.Imagenet.Name, arch.Stats.Name);

        // CNTK's: 255·x − m, with m the channel averages of the package's 224×224 mean image (stored B, G, R).
        var mean = ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxReference.PreprocessPath))
            .Graph.Initializer.Single(t => t.Name == "MeanImage").FloatData.ToArray();
        var stats = VisionArchitecture.CntkResNet18.Stats;
        for (int bgr = 0; bgr < 3; bgr++)
        {
            double channelMean = mean.Skip(bgr * 224 * 224).Take(224 * 224).Average(v => (double)v);
            Assert.Equal(channelMean, stats.Mean[2 - bgr] * 255.0, 3);
            Assert.Equal(1.0 / 255, stats.Std[2 - bgr], 6);
        }
    }

    [Fact]
    public void Package_Preprocessing_Reverses_The_Channels_And_Subtracts_The_Mean_Image()
    {
        // What the port folds into its first kernel and its Stats, checked on the package's own preprocessing graph.
        var image = CntkResNet18Tests.Scene(224, 224, seed: 5).Select(b => (float)b).ToArray();
        var mean = ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxReference.PreprocessPath))
            .Graph.Initializer.Single(t => t.Name == "MeanImage").FloatData.ToArray();
        using var prep = OnnxReference.Open(OnnxReference.PreprocessPath);
        var bgr = prep.Run(image, [1, 3, 224, 224]);
        const int plane = 224 * 224;
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < plane; p += 997)
                Assert.Equal(image[(2 - c) * plane + p] - mean[c * plane + p], bgr[c * plane + p], 4);
    }

    [Fact]
    public void Split_Points_Must_Lie_In_The_Body()
    {
        Assert.Throws<ArgumentException>(() => new VisionArchitecture("x", () => torch.nn.Identity(), 8, [8], Normalize.Imagenet));
        Assert.Throws<ArgumentException>(() => new VisionArchitecture("x", () => torch.nn.Identity(), 8, [6, 3], Normalize.Imagenet));
    }

    [Fact]
    public void Torchvision_Resnets_Have_No_Pretrained_Weights_And_Say_Where_Weights_Come_From()
    {
        foreach (var arch in new[] { VisionArchitecture.ResNet18, VisionArchitecture.ResNet34, VisionArchitecture.ResNet50 })
        {
            Assert.False(arch.HasPretrainedWeights);
            var e = Assert.Throws<DataBlocksException>(() => arch.CreatePretrained());
            Assert.StartsWith($"{arch.Name} has no pretrained weights", e.Message, StringComparison.Ordinal);
            Assert.Contains("pretrained: false", e.Message, StringComparison.Ordinal);
            Assert.Contains("VisionArchitecture.CntkResNet18", e.Message, StringComparison.Ordinal);
            Assert.Contains(CntkResNet18.PackageId, e.Message, StringComparison.Ordinal);
            Assert.Contains("WithPretrained", e.Message, StringComparison.Ordinal);
        }
        Assert.True(VisionArchitecture.CntkResNet18.HasPretrainedWeights);
    }

    [Fact]
    public void With_Pretrained_Keeps_The_Metadata_And_Loads_The_Given_Weights()
    {
        var marked = VisionArchitecture.ResNet18.WithPretrained(() =>
        {
            var m = VisionArchitecture.ResNet18.Create();
            using (torch.no_grad()) m.named_parameters().First(p => p.name == "conv1.weight").parameter.fill_(0.5f);
            return m;
        });
        Assert.True(marked.HasPretrainedWeights);
        Assert.False(VisionArchitecture.ResNet18.HasPretrainedWeights);   // the original is unchanged
        Assert.Equal((VisionArchitecture.ResNet18.Name, 8), (marked.Name, marked.Cut));
        Assert.Equal([6], marked.BodyGroupStarts);
        Assert.Same(VisionArchitecture.ResNet18.Stats, marked.Stats);
        using var model = marked.CreatePretrained();
        Assert.True(model.named_parameters().First(p => p.name == "conv1.weight").parameter.eq(0.5f).all().item<bool>());
    }

    [Fact]
    public void Cntk_Pretrained_Weights_Are_The_Packages()
    {
        using var loaded = VisionArchitecture.CntkResNet18.CreatePretrained();
        using var reference = CntkResNet18.LoadImagenet();
        TensorAssert.Same(reference.parameters(), loaded.parameters());
    }

    [Fact]
    public void Only_The_Tests_Reference_Onnx_Runtime()
    {
        Assert.Equal("Microsoft.ML.OnnxRuntime", typeof(InferenceSession).Assembly.GetName().Name);
        Assert.DoesNotContain(typeof(VisionArchitecture).Assembly.GetReferencedAssemblies(), a => a.Name!.StartsWith("Microsoft.ML", StringComparison.Ordinal));
    }
}
