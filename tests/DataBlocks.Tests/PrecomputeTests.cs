using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using DataBlocks.Vision.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch.nn;

namespace DataBlocks.Tests;

/// <summary>fastai 0.7's precompute (the frozen body's activations cached, the head trained on them) and progressive resizing (<see cref="Learner.SetData"/>).</summary>
[Collection("Torch")]
public sealed class PrecomputeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly LearnerOptions Quiet = TinyRegression.Silent with { Optimizer = new OptimizerSettings { TrainBn = false } };

    /// <summary>
    /// A body without batch norm (conv1, relu1, conv2, relu2 | pool, flatten, fc), so the body gives the same activations in
    /// training and evaluation mode and a fit with precompute can be compared with one without, batch for batch.
    /// </summary>
    internal static readonly VisionArchitecture NoBn = new("nobn", () => NoBnNet(), cut: 4, bodyGroupStarts: [2],
        new Normalize([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]), createPretrained: () => NoBnNet());

    private static Module<torch.Tensor, torch.Tensor> NoBnNet() => Sequential(
        ("conv1", Conv2d(3, 8, 3, padding: 1)), ("relu1", ReLU()),
        ("conv2", Conv2d(8, 16, 3, stride: 2, padding: 1)), ("relu2", ReLU()),
        ("pool", AdaptiveAvgPool2d(1)), ("flatten", Flatten()), ("fc", Linear(16, 10)));

    private string ShapesRoot(int size = 32) =>
        TestData.Shapes(Path.Combine(_dir.Path, $"shapes{size}-{Guid.NewGuid():N}"), trainPerClass: 8, validPerClass: 4, size: size);

    internal static DataLoaders<string> Loaders(string root, IItemTransform? item = null, int bs = 8) =>
        DataLoaders<string>.Create(TestData.ImageCategory(item: item), TestData.Files(root),
            new DataLoaderOptions { BatchSize = bs, Seed = 5, Workers = 0, Device = torch.CPU });

    private static Learner Create(DataLoaders dls, LearnerOptions? options = null)
    {
        torch.manual_seed(42);   // the same body and head weights for every learner of a test
        return VisionLearner.Create(dls, NoBn, metrics: [new Accuracy()], options: options ?? Quiet);
    }

    [Fact]
    public void Cached_Activations_Are_The_Bodys_Output_On_The_Validation_Pipeline()
    {
        string root = ShapesRoot();
        using var dls = Loaders(root);
        using var learn = Create(dls);
        learn.SetPrecompute(true);
        Assert.True(learn.IsPrecomputing());

        // Oracle: the body run by hand on the validation loader's transforms over the training items, one item at a time.
        using var oneByOne = new DataLoader(dls.Datasets, dls.Datasets.TrainIndices, dls.Valid.Settings with { BatchSize = 1 });
        var body = (Module<torch.Tensor, torch.Tensor>)learn.Model.named_children().First().module;
        body.eval();
        int k = 0;
        using (torch.no_grad())
            foreach (var batch in oneByOne)
            {
                using var scope = torch.NewDisposeScope();
                var expected = body.call(batch.Inputs[0]);
                var cached = learn.Precomputed!.TrainActivations[k++].unsqueeze(0);
                Assert.Equal(expected.shape, cached.shape);
                Assert.True(expected.allclose(cached, rtol: 1e-5, atol: 1e-6), $"item {k - 1}: max diff {(expected - cached).abs().max().item<float>()}");
            }
        Assert.Equal(dls.Datasets.TrainIndices.Count, k);
    }

    [Fact]
    public void A_Fit_On_Cached_Activations_Takes_The_Same_Steps_As_One_Through_The_Whole_Model()
    {
        string root = ShapesRoot();
        // Oracle: the same fit through the loaders and the whole (frozen, BN-free) model.
        List<double> Losses(bool precompute)
        {
            using var dls = Loaders(root);
            using var learn = Create(dls);
            if (precompute) learn.SetPrecompute(true);
            var raw = new List<double>();
            var record = new LossLog(raw);
            torch.manual_seed(3);   // the head's dropout draws the same masks in both fits
            learn.FitOneCycle(2, 1e-2, callbacks: [record]);
            raw.Add(learn.History[^1].ValidLoss);
            return raw;
        }
        var whole = Losses(precompute: false);
        var cached = Losses(precompute: true);
        Assert.Equal(2 * 3 + 1, whole.Count);   // 24 training items, batches of 8, two epochs, then the last validation loss
        Assert.Equal(whole.Count, cached.Count);
        for (int i = 0; i < whole.Count; i++) Assert.Equal(whole[i], cached[i], 4);
    }

    [Fact]
    public void Precomputing_Epochs_Read_No_Image_And_Switching_Off_Continues_With_The_Same_Head()
    {
        string root = ShapesRoot();
        using var dls = Loaders(root);
        using var learn = Create(dls);
        learn.SetPrecompute(true);
        learn.RunValidation();
        double cachedLoss = learn.Recorder.ValidLoss;

        // The photos are gone: a fit that decoded one would fail.
        var moved = Path.Combine(_dir.Path, $"moved-{Guid.NewGuid():N}");
        Directory.Move(root, moved);
        learn.FitOneCycle(1, 1e-2);
        learn.RunValidation();
        double trainedCached = learn.Recorder.ValidLoss;
        Assert.NotEqual(cachedLoss, trainedCached, 6);
        Directory.Move(moved, root);

        var head = learn.Model.named_children().Last().module.parameters().ToArray();
        learn.SetPrecompute(false);
        Assert.False(learn.IsPrecomputing());
        Assert.Same(head[0], learn.Model.named_children().Last().module.parameters().First());
        learn.RunValidation();   // through the loaders and the whole model now
        Assert.Equal(trainedCached, learn.Recorder.ValidLoss, 5);
    }

    [Fact]
    public void Precompute_Needs_A_Frozen_Body()
    {
        using var dls = Loaders(ShapesRoot());
        using var learn = Create(dls);
        learn.Unfreeze();
        var e = Assert.Throws<DataBlocksException>(() => learn.SetPrecompute(true));
        Assert.Contains("frozen body", e.Message);
        Assert.Contains("'0.conv1.weight'", e.Message);

        learn.Freeze();
        learn.SetPrecompute(true);
        learn.Unfreeze();
        e = Assert.Throws<DataBlocksException>(() => learn.FitOneCycle(1, 1e-3));
        Assert.Contains("SetPrecompute(false)", e.Message);
        Assert.Empty(learn.History);
    }

    [Fact]
    public void A_Model_That_Is_Not_Body_Then_Head_Is_Refused()
    {
        using var dls = TinyRegression.Loaders();
        using var learn = TinyRegression.OneGroup(dls, TinyRegression.Silent);
        var e = Assert.Throws<DataBlocksException>(() => learn.SetPrecompute(true));
        Assert.Contains("Sequential(body, head", e.Message);
    }

    [Fact]
    public void Activations_On_Disk_Are_Found_Again_By_Their_Key_And_A_Damaged_File_Is_Recomputed()
    {
        string root = ShapesRoot();
        string cache = Path.Combine(_dir.Path, "cache");
        var options = new PrecomputeOptions { Directory = cache };
        torch.Tensor first;
        using (var dls = Loaders(root))
        using (var learn = Create(dls))
        {
            learn.SetPrecompute(true, options);
            first = learn.Precomputed!.TrainActivations.clone();
        }
        var files = Directory.GetFiles(cache, "*.activations");
        Assert.Single(files);

        var log = new StringWriter();
        using (var dls = Loaders(root))
        using (var learn = Create(dls, Quiet with { Output = log }))
        {
            learn.SetPrecompute(true, options);
            Assert.Contains("read the activations of 36 items", log.ToString());
            Assert.True((first == learn.Precomputed!.TrainActivations).all().item<bool>());
        }

        // Other body weights are another key: another file.
        using (var dls = Loaders(root))
        using (var learn = Create(dls))
        {
            using (torch.no_grad()) learn.Model.parameters().First().add_(0.5);
            learn.SetPrecompute(true, options);
            Assert.Equal(2, Directory.GetFiles(cache, "*.activations").Length);
            Assert.False(first.allclose(learn.Precomputed!.TrainActivations));
        }

        File.WriteAllBytes(files[0], File.ReadAllBytes(files[0])[..200]);   // truncated
        log = new StringWriter();
        using (var dls = Loaders(root))
        using (var learn = Create(dls, Quiet with { Output = log }))
        {
            learn.SetPrecompute(true, options);
            Assert.Contains("could not be read", log.ToString());
            Assert.True(first.allclose(learn.Precomputed!.TrainActivations, rtol: 1e-6, atol: 1e-7));
        }
        Assert.True(new FileInfo(files[0]).Length > 200);   // written again
        first.Dispose();
    }

    [Fact]
    public void Precomputed_Epochs_Keep_Memory_Flat()
    {
        using var dls = Loaders(ShapesRoot());
        using var learn = Create(dls);
        learn.SetPrecompute(true);
        learn.FitOneCycle(1, 1e-3);
        long live = MemoryProbe.LiveTensors;
        learn.FitOneCycle(3, 1e-3);
        Assert.Equal(live, MemoryProbe.LiveTensors);
    }

    [Fact]
    public void Set_Data_Continues_The_Same_Learner_On_Larger_Images_With_Its_Normalisation()
    {
        string root = ShapesRoot(size: 64);
        using var small = Loaders(root, new Resize(32));
        using var large = Loaders(root, new Resize(64));
        using var learn = Create(small);
        learn.FitOneCycle(1, 1e-2);
        var head = learn.Model.named_children().Last().module.parameters().First();

        learn.SetData(large);
        Assert.Same(large, learn.Dls);
        Assert.Contains(large.Train.BatchTransforms, t => t.Name == NoBn.Stats.Name);
        Assert.Single(large.Train.BatchTransforms, t => t is Normalize);
        learn.FitOneCycle(1, 1e-2);
        Assert.Equal(2, learn.History.Count);
        Assert.Same(head, learn.Model.named_children().Last().module.parameters().First());
        using var batch = large.Valid.OneBatch();
        Assert.Equal([8L, 3, 64, 64], batch.Inputs[0].shape);
    }

    [Fact]
    public void Set_Data_With_Precompute_On_Computes_The_Activations_Of_The_New_Data()
    {
        string root = ShapesRoot(size: 64);
        using var small = Loaders(root, new Resize(32));
        using var large = Loaders(root, new Resize(64));
        using var learn = Create(small);
        learn.SetPrecompute(true);
        Assert.Equal([24L, 16, 16, 16], learn.Precomputed!.TrainActivations.shape);
        learn.SetData(large);
        Assert.True(learn.IsPrecomputing());
        Assert.Equal([24L, 16, 32, 32], learn.Precomputed!.TrainActivations.shape);
        learn.FitOneCycle(1, 1e-3);
    }

    [Fact]
    public void Set_Data_Refuses_Loaders_Whose_Classes_Differ()
    {
        string root = ShapesRoot();
        string other = TestData.Shapes(Path.Combine(_dir.Path, "other"), 4, 2, 32, ["circle", "square", "star"]);
        using var dls = Loaders(root);
        using var otherDls = Loaders(other);
        using var learn = Create(dls);
        var e = Assert.Throws<DataBlocksException>(() => learn.SetData(otherDls));
        Assert.Contains("classes of Shape differ", e.Message);
        Assert.Contains("index 2 ('star' against 'triangle')", e.Message);
        Assert.Same(dls, learn.Dls);
    }

    [Fact]
    public void Set_Data_Refuses_Other_Fields_And_Runs_Outside_A_Fit_Only()
    {
        using var dls = Loaders(ShapesRoot());
        using var learn = Create(dls);
        using var regression = TinyRegression.Loaders();
        var e = Assert.Throws<DataBlocksException>(() => learn.SetData(regression));
        Assert.Contains("cannot replace Shapes", e.Message);

        var during = new ActionCallback(l => l.SetData(dls));
        var ex = Assert.Throws<InvalidOperationException>(() => learn.FitOneCycle(1, 1e-3, callbacks: [during]));
        Assert.Contains("during a fit", ex.Message);
    }

    /// <summary>Records the raw training loss of every batch.</summary>
    private sealed class LossLog(List<double> losses) : Callback
    {
        public override void AfterLoss()
        {
            if (Learner.Training) losses.Add(Learner.LossValue);
        }
    }

    /// <summary>Runs an action at the first training batch.</summary>
    private sealed class ActionCallback(Action<Learner> action) : Callback
    {
        public override void BeforeBatch() => action(Learner);
    }
}
