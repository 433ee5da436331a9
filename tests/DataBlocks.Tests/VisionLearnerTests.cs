using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Layers;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using DataBlocks.Vision.Models;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch.nn;

namespace DataBlocks.Tests;

/// <summary>fastai's <c>vision_learner</c>: body + head, layer groups, freezing with train_bn, and the normalisation rule.</summary>
[Collection("Torch")]
public sealed class VisionLearnerTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly LearnerOptions Quiet = TinyRegression.Silent;

    /// <summary>Shapes (circle, square, triangle) at <paramref name="size"/> px: the CNTK network takes multiples of 32.</summary>
    private DataLoaders<string> Shapes(int size, int trainPerClass = 8, int bs = 8, IBatchTransform? batch = null)
    {
        string root = TestData.Shapes(System.IO.Path.Combine(_dir.Path, $"shapes{size}-{Guid.NewGuid():N}"), trainPerClass, validPerClass: 4, size: size);
        return DataLoaders<string>.Create(TestData.ImageCategory(), TestData.Files(root),
            new DataLoaderOptions { BatchSize = bs, Seed = 5, Workers = 0, Device = torch.CPU, BatchTransforms = batch });
    }

    /// <summary>
    /// A small network described like the resnets (body = its first 6 children, groups conv1…relu1 | conv2…relu2 | head),
    /// whose "pretrained" weights are a fixed fill: cheap, for the rules that do not depend on the network.
    /// </summary>
    private static readonly VisionArchitecture Tiny = new("tiny", () => TinyNet(0), cut: 6, bodyGroupStarts: [3],
        new Normalize([0.1f, 0.2f, 0.3f], [0.5f, 0.5f, 0.5f]), createPretrained: () => TinyNet(0.01f));

    private static Module<torch.Tensor, torch.Tensor> TinyNet(float fill)
    {
        var net = Sequential(
            ("conv1", Conv2d(3, 8, 3, padding: 1, bias: false)), ("bn1", BatchNorm2d(8)), ("relu1", ReLU()),
            ("conv2", Conv2d(8, 16, 3, stride: 2, padding: 1, bias: false)), ("bn2", BatchNorm2d(16)), ("relu2", ReLU()),
            ("pool", AdaptiveAvgPool2d(1)), ("flatten", Flatten()), ("fc", Linear(16, 10)));
        if (fill != 0)
            using (torch.no_grad())
                foreach (var (name, p) in net.named_parameters())
                    if (name.StartsWith("conv", StringComparison.Ordinal)) p.fill_(fill);
        return net;
    }

    private static string[] Names(IEnumerable<IBatchTransform> transforms) => [.. transforms.Select(t => t.Name)];

    private static HashSet<Parameter> BatchNormParameters(torch.nn.Module model) =>
        new(model.modules().Where(m => m is TorchSharp.Modules.BatchNorm1d or TorchSharp.Modules.BatchNorm2d).SelectMany(m => m.parameters()), ReferenceEqualityComparer.Instance);

    [Fact]
    public void Model_Is_The_Cut_Body_Then_Fastais_Head()
    {
        // fastai-behaviour.md §14: vision_learner(resnet34) for 37 classes has create_head's printed head.
        using var model = VisionLearner.CreateModel(VisionArchitecture.ResNet34, 37, pretrained: false);
        Assert.Equal(["0", "1"], model.named_children().Select(c => c.name));
        var body = (Sequential)model[0];
        Assert.Equal(["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"], body.named_children().Select(c => c.name));
        Assert.Equal(
            ["0: AdaptiveConcatPool2d(1)", "1: Flatten", "2: BatchNorm1d(1024, momentum 0.1)", "3: Dropout(0.25)", "4: Linear(1024, 512, bias False)",
             "5: ReLU", "6: BatchNorm1d(512, momentum 0.1)", "7: Dropout(0.5)", "8: Linear(512, 37, bias False)"],
            HeadTests.Describe((Sequential)model[1]));
        // resnet34's 21,797,672 parameters without its fc (512·1000 + 1000), plus the head's 546,304.
        Assert.Equal(21_797_672 - 513_000 + 546_304, model.parameters().Sum(p => p.numel()));
        var keys = model.state_dict().Keys.ToArray();
        Assert.Equal("0.conv1.weight", keys[0]);
        Assert.Contains("0.layer4.2.bn2.running_var", keys);
        Assert.Equal("1.8.weight", model.named_parameters().Last().name);
        Assert.DoesNotContain(keys, k => k.Contains("fc", StringComparison.Ordinal));
        // The head's linear layers got Kaiming normal (std √(2/1024) = 0.044, not TorchSharp's 0.018).
        Assert.Equal(Math.Sqrt(2.0 / 1024), ((Linear)((Sequential)model[1])[4]).weight!.std().item<float>(), 0.002);

        using var scope = torch.NewDisposeScope();
        model.eval();
        Assert.Equal(new long[] { 2, 37 }, model.call(torch.rand(2, 3, 64, 64)).shape);
        Assert.True(model.training is false && ((Sequential)model[0]).training is false);
    }

    [Fact]
    public void The_Feature_Count_Comes_From_The_Body()
    {
        using var resnet50 = VisionLearner.CreateModel(VisionArchitecture.ResNet50, 2, pretrained: false);
        Assert.StartsWith("2: BatchNorm1d(4096,", HeadTests.Describe((Sequential)resnet50[1])[2], StringComparison.Ordinal);   // 2048 channels, doubled
        using var cntk = VisionLearner.CreateModel(VisionArchitecture.CntkResNet18, 2, pretrained: false, new HeadOptions { ConcatPool = false });
        Assert.StartsWith("2: BatchNorm1d(512,", HeadTests.Describe((Sequential)cntk[1])[2], StringComparison.Ordinal);
        Assert.True(cntk.training, "the dummy pass leaves the model in training mode");
    }

    [Fact]
    public void Fine_Tune_Freezes_And_Unfreezes_Resnet18_Like_Fastais_Trace()
    {
        // finetune_trainable.csv: fastai's vision_learner(resnet18, pretrained=False) on 3 shapes, in fine_tune: every
        // group's tensors, elements, trainable ones and BatchNorm ones as each phase starts. The same model here.
        var dls = Shapes(32, bs: 24);   // one batch per epoch: the state is read as each phase starts
        using var learn = VisionLearner.Create(dls, VisionArchitecture.ResNet18, pretrained: false, options: Quiet);
        Assert.All(learn.Model.parameters(), p => Assert.True(p.requires_grad));   // not pretrained: not frozen …
        Assert.Equal(["IntToFloatTensor"], Names(dls.Train.BatchTransforms));       // … and no normalisation added
        var state = new TrainableState(BatchNormParameters);
        learn.FineTune(1, callbacks: [state]);
        state.AssertMatchesFastai();
    }

    [Fact]
    public void Pretrained_Cntk_Learner_Starts_Frozen_But_For_The_Head_And_Batch_Norms_With_Its_Normalisation()
    {
        var dls = Shapes(64);
        using var learn = VisionLearner.Create(dls, VisionArchitecture.CntkResNet18, metrics: [new Accuracy()], options: Quiet);
        // The body carries the ImageNet weights.
        using (var imagenet = CntkResNet18.LoadImagenet())
            TensorAssert.Same(imagenet.named_parameters().Where(p => !p.name.StartsWith("avgpool", StringComparison.Ordinal)).Select(p => p.parameter),
                learn.Model.children().First().parameters());
        // Groups conv1…layer2 | layer3…layer4 | head. By hand: group 0 is torchvision resnet18's (finetune_trainable.csv);
        // group 1 adds layer4's third block (two 3×3 512→512 convolutions and two batch norms: 4,720,640 elements).
        var bn = BatchNormParameters(learn.Model);
        var rows = learn.LayerGroups.Select(g => (g.Count, g.Count(p => p.requires_grad), g.Sum(p => p.numel()), g.Where(p => p.requires_grad).Sum(p => p.numel()),
            g.Count(bn.Contains), g.Count(p => bn.Contains(p) && p.requires_grad))).ToArray();
        Assert.Equal(
            [(30, 20, 683_072L, 1_920L, 20, 20), (36, 24, 10_493_440L + 4_720_640L, 7_680L + 2_048L, 24, 24), (6, 6, 528_896L, 528_896L, 4, 4)],
            rows);
        Assert.All(learn.LayerGroups.Take(2).SelectMany(g => g), p => Assert.Equal(bn.Contains(p), p.requires_grad));
        // The weights' statistics were added after IntToFloatTensor, to every loader.
        string[] expected = ["IntToFloatTensor", VisionArchitecture.CntkResNet18.Stats.Name];
        Assert.Equal(expected, Names(dls.Train.BatchTransforms));
        Assert.Equal(expected, Names(dls.Valid.BatchTransforms));

        learn.Unfreeze();
        Assert.All(learn.Model.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Fine_Tune_Moves_Only_The_Head_And_Batch_Norms_While_Frozen_Then_Everything()
    {
        Seed.Everything(3);
        var dls = Shapes(64, trainPerClass: 8, bs: 12);
        using var learn = VisionLearner.Create(dls, VisionArchitecture.CntkResNet18, options: Quiet);
        var norm = BatchNormParameters(learn.Model);
        string[] bodyWeights = [.. learn.Model.named_parameters().Where(p => p.name.StartsWith("0.", StringComparison.Ordinal) && !norm.Contains(p.parameter)).Select(p => p.name)];
        string[] bodyNorms = [.. learn.Model.named_parameters().Where(p => p.name.StartsWith("0.", StringComparison.Ordinal) && norm.Contains(p.parameter)).Select(p => p.name)];
        string[] head = [.. learn.Model.named_parameters().Where(p => p.name.StartsWith("1.", StringComparison.Ordinal)).Select(p => p.name)];
        Assert.Equal((22, 44, 6), (bodyWeights.Length, bodyNorms.Length, head.Length));   // convolutions 1 + 9·2 + 3 shortcuts; their norms
        double before = learn.Validate().Loss;

        using var snapshots = new Snapshots();
        learn.FineTune(1, baseLr: 2e-3, callbacks: [snapshots]);
        var (start, unfrozen) = (snapshots.AtFitStart[0], snapshots.AtFitStart[1]);
        using var end = new Snapshot(learn.Model);
        // Frozen epoch: the body's convolutions stay exactly as loaded; its batch norms and the head train.
        Assert.All(bodyWeights, n => Assert.True(start.Same(unfrozen, n), $"{n} moved while frozen"));
        Assert.All(bodyNorms, n => Assert.False(start.Same(unfrozen, n), $"{n} did not train while frozen"));
        // Batch norms stay in training mode: their statistics follow the new data.
        string[] bodyStats = [.. learn.Model.named_buffers().Select(b => b.name)
            .Where(n => n.StartsWith("0.", StringComparison.Ordinal) && (n.EndsWith(".running_mean", StringComparison.Ordinal) || n.EndsWith(".running_var", StringComparison.Ordinal)))];
        Assert.Equal(44, bodyStats.Length);
        Assert.All(bodyStats, n => Assert.False(start.Same(unfrozen, n), $"{n} did not move while frozen"));
        Assert.All(head, n => Assert.False(start.Same(unfrozen, n), $"{n} did not train"));
        // Unfrozen epoch: everything trains.
        Assert.All(bodyWeights, n => Assert.False(unfrozen.Same(end, n), $"{n} did not train once unfrozen"));
        double after = learn.Validate().Loss;
        output.WriteLine($"validation loss {before:F4} before, {after:F4} after; training losses {string.Join(", ", learn.History.Select(h => h.TrainLoss.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.True(after < before, $"validation loss {before:F3} → {after:F3}");
        Assert.Equal(2, learn.History.Count);
    }

    [Fact]
    public void Normalisation_Is_Added_Once_Only_When_Pretrained_And_Absent()
    {
        var dls = Shapes(32);
        string[] plain = ["IntToFloatTensor"], withTiny = ["IntToFloatTensor", Tiny.Stats.Name];
        using (VisionLearner.Create(dls, Tiny, pretrained: false, options: Quiet)) Assert.Equal(plain, Names(dls.Train.BatchTransforms));
        using (VisionLearner.Create(dls, Tiny, normalize: false, options: Quiet)) Assert.Equal(plain, Names(dls.Train.BatchTransforms));
        using (VisionLearner.Create(dls, Tiny, options: Quiet)) Assert.Equal(withTiny, Names(dls.Train.BatchTransforms));
        using (VisionLearner.Create(dls, Tiny, options: Quiet)) Assert.Equal(withTiny, Names(dls.Train.BatchTransforms));   // not twice
        Assert.Equal(withTiny, Names(dls.Valid.BatchTransforms));
        using var batch = dls.Valid.OneBatch();
        Assert.True(batch.Inputs[0].min().item<float>() < 0, "the batches are normalised");

        // The user's own normalisation is kept, whatever its statistics.
        var own = Shapes(32, batch: Normalize.Imagenet);
        using (VisionLearner.Create(own, Tiny, options: Quiet))
            Assert.Equal(["IntToFloatTensor", Normalize.Imagenet.Name], Names(own.Train.BatchTransforms));
    }

    [Fact]
    public void Pretrained_Torchvision_Resnet_Is_A_Clear_Error_That_Leaves_The_Loaders_Alone()
    {
        var dls = Shapes(32);
        var e = Assert.Throws<DataBlocksException>(() => VisionLearner.Create(dls, VisionArchitecture.ResNet34, options: Quiet));
        Assert.StartsWith("resnet34 has no pretrained weights", e.Message, StringComparison.Ordinal);
        Assert.Contains("pretrained: false", e.Message, StringComparison.Ordinal);
        Assert.Contains(CntkResNet18.PackageId, e.Message, StringComparison.Ordinal);
        Assert.Equal(["IntToFloatTensor"], Names(dls.Train.BatchTransforms));
    }

    [Fact]
    public void Options_Reach_The_Head_The_Groups_And_Train_Bn()
    {
        var dls = Shapes(32);
        var head = new HeadOptions { LinFtrs = [32], Ps = 0.2, ConcatPool = false, YRange = (0, 1) };
        using (var learn = VisionLearner.Create(dls, Tiny, nOut: 4, head: head, options: Quiet))
        {
            Assert.Equal(
                ["0: AdaptiveAvgPool2d", "1: Flatten", "2: BatchNorm1d(16, momentum 0.1)", "3: Dropout(0.1)", "4: Linear(16, 32, bias False)", "5: ReLU",
                 "6: BatchNorm1d(32, momentum 0.1)", "7: Dropout(0.2)", "8: Linear(32, 4, bias False)", "9: SigmoidRange(0, 1)"],
                HeadTests.Describe((Sequential)((Sequential)learn.Model)[1]));
            Assert.Equal(3, learn.LayerGroups.Count);
            Assert.True(learn.Model.named_parameters().Single(p => p.name == "0.conv1.weight").parameter.eq(0.01f).all().item<bool>(), "the pretrained weights");
        }
        // A splitter of the user's replaces the architecture's.
        var options = Quiet with { Splitter = m => [m.children().First().parameters(), m.children().Last().parameters()] };
        using (var learn = VisionLearner.Create(dls, Tiny, options: options))
        {
            Assert.Equal(2, learn.LayerGroups.Count);
            Assert.True(learn.IsTrainable(1));
        }
        // Pretrained weights are frozen apart from the head: a single group cannot be, and the loaders stay as they were.
        var dlsOneGroup = Shapes(32);
        Assert.Throws<InvalidOperationException>(() => VisionLearner.Create(dlsOneGroup, Tiny, options: Quiet with { Splitter = m => [m.parameters()] }));
        Assert.Equal(["IntToFloatTensor"], Names(dlsOneGroup.Train.BatchTransforms));
        // train_bn off: the body's batch norms freeze too.
        using (var learn = VisionLearner.Create(dls, Tiny, options: Quiet with { Optimizer = OptimizerSettings.Adam with { TrainBn = false } }))
            Assert.All(learn.LayerGroups.Take(2).SelectMany(g => g), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Inputs_Must_Be_One_Image_And_The_Outputs_Known()
    {
        var numbers = Assert.Throws<DataBlocksException>(() => VisionLearner.Create(TinyRegression.Loaders(), Tiny, options: Quiet));
        Assert.Contains("one image input", numbers.Message, StringComparison.Ordinal);
        var definition = new DataBlockDefinition<string>("Pairs",
            [
                new FieldDefinition<string, string>("A", "Pairs.A", true, p => p, new BlockTypes.ImageFileBlock()),
                new FieldDefinition<string, string>("B", "Pairs.B", false, p => p, new BlockTypes.ImageFileBlock()),
            ], new GrandparentSplitter());
        var images = DataLoaders<string>.Create(definition, TestData.Files(TestData.Shapes(System.IO.Path.Combine(_dir.Path, "pairs"))),
            new DataLoaderOptions { BatchSize = 4, Seed = 1, Workers = 0 });
        var unknown = Assert.Throws<DataBlocksException>(() => VisionLearner.Create(images, Tiny, options: Quiet));
        Assert.Contains("pass nOut", unknown.Message, StringComparison.Ordinal);
    }

    /// <summary>Copies of a model's parameters and buffers, by name.</summary>
    private sealed class Snapshot : IDisposable
    {
        private readonly Dictionary<string, torch.Tensor> _state = [];

        public Snapshot(torch.nn.Module model)
        {
            foreach (var (name, p) in model.named_parameters()) _state[name] = p.detach().clone().DetachFromDisposeScope();
            foreach (var (name, b) in model.named_buffers()) _state[name] = b.detach().clone().DetachFromDisposeScope();
        }

        public bool Same(Snapshot other, string name) => _state[name].eq(other._state[name]).all().item<bool>();

        public void Dispose()
        {
            foreach (var t in _state.Values) t.Dispose();
        }
    }

    /// <summary>A <see cref="Snapshot"/> as each fit starts.</summary>
    private sealed class Snapshots : Callback, IDisposable
    {
        public List<Snapshot> AtFitStart { get; } = [];

        public override void BeforeFit() => AtFitStart.Add(new Snapshot(Learner.Model));

        public void Dispose()
        {
            foreach (var s in AtFitStart) s.Dispose();
        }
    }
}
