using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Learning;
using DataBlocks.Losses;
using DataBlocks.TestKit;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>The learner's loop, freezing, the lr finder, saving, checkpoints and guards.</summary>
[Collection("Torch")]
public class TrainingTests
{
    [Fact]
    public void Freeze_Trains_Only_The_Head_And_Norm_Layers_And_Unfreeze_Trains_All()
    {
        using var learn = TinyRegression.ThreeGroups(TinyRegression.Loaders());
        learn.Freeze();
        var norm = learn.Model.named_parameters().Where(p => p.name.StartsWith("bn")).Select(p => p.parameter).ToHashSet(ReferenceEqualityComparer.Instance);
        for (int g = 0; g < 2; g++)
            foreach (var p in learn.LayerGroups[g])
                Assert.Equal(norm.Contains(p), p.requires_grad);   // fastai's train_bn: BN stays trainable
        Assert.True(learn.IsTrainable(2));

        var frozenWeight = learn.Model.named_parameters().First(p => p.name == "l0.weight").parameter;
        using var before = frozenWeight.detach().clone();
        learn.Fit(1, 1e-2);
        Assert.True(frozenWeight.detach().eq(before).all().item<bool>(), "a frozen layer must not move (not even by weight decay)");

        learn.Unfreeze();
        Assert.All(Enumerable.Range(0, 3), g => Assert.True(learn.IsTrainable(g)));
        learn.Fit(1, 1e-2);
        Assert.False(frozenWeight.detach().eq(before).all().item<bool>());
    }

    [Fact]
    public void Freeze_Needs_Two_Groups() =>
        Assert.Throws<InvalidOperationException>(() => TinyRegression.OneGroup(TinyRegression.Loaders()).Freeze());

    [Fact]
    public void Callbacks_See_Fastais_Event_Order_And_Can_Cancel()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(train: 32, valid: 16));
        var log = new EventLog();
        learn.Fit(1, 1e-3, callbacks: [log]);
        Assert.Equal(
            ["BeforeFit", "BeforeEpoch", "BeforeTrain",
             "BeforeBatch", "AfterPred", "AfterLoss", "BeforeBackward", "AfterBackward", "BeforeStep", "AfterStep", "AfterBatch",
             "BeforeBatch", "AfterPred", "AfterLoss", "BeforeBackward", "AfterBackward", "BeforeStep", "AfterStep", "AfterBatch",
             "AfterTrain", "BeforeValidate", "BeforeBatch", "AfterPred", "AfterLoss", "AfterBatch", "AfterValidate", "AfterEpoch", "AfterFit"],
            log.Events);

        var stopper = new StopAfter(3);
        learn.Fit(5, 1e-3, callbacks: [stopper]);
        Assert.Equal(3, learn.Recorder.Losses.Count);
        Assert.True(stopper.CancelledFit && stopper.SawAfterFit);
    }

    [Fact]
    public void Lr_Find_Follows_The_Exponential_Schedule_Restores_The_State_And_Suggests()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        learn.Fit(1, 1e-3);
        var weights = TinyRegression.Weights(learn);
        using var dir = new TempDir();
        var result = learn.LrFind(numIt: 50, stopDiv: false, plotPath: dir.Combine("lr_find.png"));
        Assert.Equal(50, result.Lrs.Count);
        for (int i = 0; i < 50; i++) Assert.Equal(1e-7 * Math.Pow(1e8, i / 50.0), result.Lrs[i], 1e-12 * Math.Pow(1e8, i / 50.0));
        TensorAssert.Same(learn.Model.parameters(), weights);
        Assert.True(File.Exists(result.PlotPath));
        Assert.Single(learn.History);   // the finder's run leaves no row in the table
        // The suggestions are fastai's functions of this run's curve, trimmed as fastai trims it (the first numIt/10 = 5
        // and the last 5 points); their values on a recorded curve are checked against fastai below.
        var (l, s) = LrSuggestions.Trim(result.Lrs, result.Losses, 50);
        Assert.Equal(result.Lrs.Skip(5).Take(40), l);
        Assert.Equal((LrSuggestions.Valley(l, s), LrSuggestions.Minimum(l, s), LrSuggestions.Steep(l, s), LrSuggestions.Slide(l, s)),
            (result.Valley, result.Minimum, result.Steep, result.Slide));
        // The valley lies on the falling part of this curve: below where the trimmed curve starts.
        Assert.True(s[Array.IndexOf(l, result.Valley)] < s[0], $"valley {result.Valley}");
        foreach (var w in weights) w.Dispose();
    }

    [Fact]
    public void Lr_Find_Replaying_Fastais_Losses_Gives_Its_Lrs_Smoothed_Losses_And_Suggestions()
    {
        // lrfind_trace.csv is fastai's lr_find(1e-7, 10, num_it=100): the lr, the raw loss and the recorder's smoothed
        // loss of every batch. A loss that hands back fastai's raw losses in turn makes our finder see the same curve.
        var rows = TinyRegression.Csv("lrfind_trace.csv");
        Assert.Equal(100, rows.Count);
        var raw = rows.Select(r => TinyRegression.D(r["loss"])).ToArray();
        using var learn = new Learner(TinyRegression.Loaders(), torch.nn.Linear(1, 1), loss: new Replay(raw), options: TinyRegression.Silent);
        var result = learn.LrFind();
        for (int i = 0; i < Math.Min(100, result.Lrs.Count); i++)
        {
            double lr = TinyRegression.D(rows[i]["lr"]), smooth = TinyRegression.D(rows[i]["smooth_loss"]);
            Assert.True(Math.Abs(result.Lrs[i] - lr) <= 1e-12 * lr, $"lr at {i}: {result.Lrs[i]:R}, fastai {lr:R}");
            // fastai smooths in float32 (AvgSmoothLoss, beta 0.98, debiased): agreement to float32 precision.
            Assert.True(Math.Abs(result.Losses[i] - smooth) <= 2e-6 * smooth, $"smooth loss at {i}: {result.Losses[i]:R}, fastai {smooth:R}");
        }
        Assert.False(result.Diverged);   // fastai's run (stop_div=True) did not diverge either
        Assert.Equal(100, result.Lrs.Count);
        // fastai's own suggestions on this curve (lrfind_suggestions.md), at float32 precision.
        Assert.Equal(0.0030199517495930195, result.Valley, 1e-6 * 0.003);
        Assert.Equal(0.00831763744354248, result.Minimum, 1e-6 * 0.0083);
        Assert.Equal(0.3019951581954956, result.Steep, 1e-6 * 0.3);
        Assert.Equal(0.12022644281387329, result.Slide, 1e-6 * 0.12);
    }

    [Fact]
    public void The_Smoothed_Loss_Formula_Reproduces_Fastais_Recorded_Column()
    {
        // The oracle itself: AvgSmoothLoss's val = 0.98·val + 0.02·loss, reported as val / (1 − 0.98^count), written
        // out here independently of the Recorder, gives the trace's smooth_loss column from its loss column.
        var rows = TinyRegression.Csv("lrfind_trace.csv");
        double val = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            val = 0.98 * val + 0.02 * TinyRegression.D(rows[i]["loss"]);
            double expected = TinyRegression.D(rows[i]["smooth_loss"]);
            Assert.True(Math.Abs(val / (1 - Math.Pow(0.98, i + 1)) - expected) <= 2e-6 * expected, $"row {i}");
        }
    }

    [Fact]
    public void Fine_Tune_Freezes_And_Unfreezes_Like_The_Fastai_Trace_Of_Its_Groups()
    {
        // finetune_trainable.csv: every group's tensors and elements, trainable ones, and BatchNorm ones, as each phase of
        // fastai's fine_tune starts, for vision_learner(resnet18): body[:6] | body[6:] | head. The same structure here
        // (resnet18's convolutions and BatchNorms, fastai's head), so every column can be compared exactly.
        using var learn = new Learner(TinyRegression.Loaders(), new Resnet18Shaped(), options: TinyRegression.Silent with { Splitter = Resnet18Shaped.Split });
        var state = new TrainableState(m => ((Resnet18Shaped)m).BatchNormParameters());
        learn.FineTune(1, callbacks: [state]);
        state.AssertMatchesFastai();
    }

    [Fact]
    public void Lr_Find_Stops_When_The_Loss_Diverges()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        var result = learn.LrFind(startLr: 1e-3, endLr: 1e5, numIt: 100);
        Assert.True(result.Diverged);
        Assert.True(result.Lrs.Count < 100);
    }

    [Fact]
    public void Lr_Suggestions_Match_Fastai_On_Its_Own_Recorded_Losses()
    {
        // lrfind_trace.csv holds fastai's lrs and smoothed losses; lrfind_suggestions.md its four suggestions for them.
        var rows = TinyRegression.Csv("lrfind_trace.csv");
        var (lrs, losses) = LrSuggestions.Trim(rows.Select(r => TinyRegression.D(r["lr"])).ToArray(),
            rows.Select(r => TinyRegression.D(r["smooth_loss"])).ToArray(), numIt: 100);
        // fastai evaluates the suggestions on float32 tensors: compare at float32 precision.
        Assert.Equal(0.0030199517495930195, LrSuggestions.Valley(lrs, losses), 1e-6 * 0.003);
        Assert.Equal(0.00831763744354248, LrSuggestions.Minimum(lrs, losses), 1e-6 * 0.0083);
        Assert.Equal(0.3019951581954956, LrSuggestions.Steep(lrs, losses), 1e-6 * 0.3);
        Assert.Equal(0.12022644281387329, LrSuggestions.Slide(lrs, losses), 1e-6 * 0.12);
    }

    [Fact]
    public void Save_And_Load_Restore_Weights_And_Optimizer_State()
    {
        using var dir = new TempDir();
        var options = new LearnerOptions { Path = dir.Path };
        using var a = TinyRegression.ThreeGroups(TinyRegression.Loaders(), options);
        a.Fit(1, 1e-2);
        string path = a.Save("stage1");
        Assert.Equal(Path.Combine(dir.Path, "models", "stage1.dbw"), path);
        var dlsB = TinyRegression.Loaders();
        foreach (var _ in dlsB.Train) { }   // the same data order as a's loader, which has done one epoch
        using var b = TinyRegression.ThreeGroups(dlsB, options);
        b.Load("stage1");
        TensorAssert.Same(a.Model.parameters(), b.Model.parameters());
        // Same weights and optimizer moments: one more epoch gives the same result on both.
        a.Fit(1, 1e-2);
        b.Fit(1, 1e-2);
        TensorAssert.Close(a.Model.parameters(), b.Model.parameters(), rtol: 1e-5, atol: 1e-8);
        Assert.Throws<DataBlocksException>(() => b.Load("missing"));
    }

    [Fact]
    public void A_Killed_Fit_Resumes_From_Its_Checkpoint_And_Ends_Where_An_Uninterrupted_Fit_Ends()
    {
        using var dir = new TempDir();
        var options = new LearnerOptions { Path = dir.Path, Checkpoint = "run" };

        Seed.Everything(5);
        using var reference = TinyRegression.ThreeGroups(TinyRegression.Loaders(), options with { Checkpoint = null });
        reference.FitOneCycle(4, 1e-2);
        var expected = TinyRegression.Weights(reference);

        Seed.Everything(5);
        using (var killed = TinyRegression.ThreeGroups(TinyRegression.Loaders(), options))
        {
            Assert.Throws<SimulatedCrash>(() => killed.FitOneCycle(4, 1e-2, callbacks: [new CrashAtEpoch(2)]));
        }
        Assert.True(File.Exists(Path.Combine(dir.Path, "models", "run.fit0.ckpt")));

        Seed.Everything(999);   // a different process: nothing but the checkpoint carries the state over
        using var resumed = TinyRegression.ThreeGroups(TinyRegression.Loaders(), options);
        var trace = new HyperTrace();
        var rows = resumed.FitOneCycle(4, 1e-2, callbacks: [trace], resume: true);
        Assert.Equal(20, trace.Lrs.Count);   // epochs 2 and 3 only
        Assert.Equal(new[] { 0, 1, 2, 3 }, rows.Select(r => r.Epoch));
        TensorAssert.Close(TinyRegression.Weights(resumed), expected);

        // The script changed: its first fit is no longer the one the checkpoint belongs to.
        using var changed = TinyRegression.ThreeGroups(TinyRegression.Loaders(), options);
        var e = Assert.Throws<DataBlocksException>(() => changed.FitOneCycle(3, 1e-2, resume: true));
        Assert.Contains("belongs to another fit", e.Message);
    }

    [Fact]
    public void Fine_Tune_Killed_In_Its_Second_Phase_Resumes_There()
    {
        using var dir = new TempDir();
        var options = new LearnerOptions { Path = dir.Path, Checkpoint = "ft" };
        Seed.Everything(8);
        using var reference = TinyRegression.ThreeGroups(TinyRegression.Loaders(), options with { Checkpoint = null });
        reference.FineTune(3);
        var expected = TinyRegression.Weights(reference);

        Seed.Everything(8);
        using (var killed = TinyRegression.ThreeGroups(TinyRegression.Loaders(), options))
        {
            var crash = new CrashAtEpoch(epoch: 1, fit: 2);   // the unfrozen phase, after its first epoch
            Assert.Throws<SimulatedCrash>(() => killed.FineTune(3, callbacks: [crash]));
        }

        using var resumed = TinyRegression.ThreeGroups(TinyRegression.Loaders(), options);
        var trace = new HyperTrace();
        resumed.FineTune(3, callbacks: [trace], resume: true);
        Assert.Equal(20, trace.Lrs.Count);   // only the last two epochs of the second phase ran
        TensorAssert.Close(resumed.Model.parameters(), expected);
    }


    [Fact]
    public void A_Diverging_Loss_Stops_With_Epoch_And_Batch_And_Keeps_The_Last_Good_Weights()
    {
        using var learn = new Learner(TinyRegression.Loaders(), torch.nn.Linear(1, 1), loss: new NaNAfter(13),
            options: new LearnerOptions { Output = null, Progress = ProgressMode.Silent });
        var snapshot = new WeightsAtBatch();
        var e = Assert.Throws<TrainingDivergedException>(() => learn.Fit(3, 1e-2, callbacks: [snapshot]));
        Assert.Equal((1, 3), (e.Epoch, e.Batch));
        Assert.Contains("epoch 1, batch 3", e.Message);
        TensorAssert.Same(learn.Model.parameters(), snapshot.Before!);
    }

    [Fact]
    public void Memory_Stays_Flat_Over_A_Long_Fit()
    {
        using var learn = TinyRegression.ThreeGroups(TinyRegression.Loaders());
        learn.FitOneCycle(2, 1e-2);
        long before = MemoryProbe.LiveTensors;
        learn.FitOneCycle(10, 1e-2);
        Assert.Equal(before, MemoryProbe.LiveTensors);
    }

    [Fact]
    public void Sgd_With_Momentum_Trains_And_Decouples_Weight_Decay()
    {
        var options = new LearnerOptions { Optimizer = OptimizerSettings.SgdMomentum with { Wd = 0.1 } };
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(), options);
        var rows = learn.Fit(3, 0.1);
        Assert.True(rows[^1].ValidLoss < rows[0].ValidLoss);
        Assert.Equal(OptimizerKind.Sgd, learn.Optimizer!.Settings.Kind);
    }

    /// <summary>A loss that hands back the given values in turn for training batches (zero gradients), for replaying a recorded run.</summary>
    private sealed class Replay(double[] values) : ILossFunction
    {
        private int _next;
        public string Name => "Replay";
        public torch.Tensor Compute(torch.Tensor prediction, torch.Tensor target, bool reduce = true) =>
            prediction.sum().mul(0).add(values[_next++ % values.Length]);
        public torch.Tensor Activation(torch.Tensor prediction) => prediction.alias();
        public torch.Tensor Decode(torch.Tensor activated) => activated.alias();
    }

    /// <summary>
    /// resnet18's convolutions and BatchNorms in fastai's split (stem, layer1, layer2 | layer3, layer4) and fastai's head
    /// (BatchNorm1d(1024), Linear(1024, 512, bias=False), BatchNorm1d(512), Linear(512, 3, bias=False)). Only the last
    /// linear layer runs (on the input broadcast to 512 features): the rest is there for its parameters.
    /// </summary>
    private sealed class Resnet18Shaped : torch.nn.Module<torch.Tensor, torch.Tensor>
    {
        private readonly TorchSharp.Modules.Sequential body0, body1, head;

        public Resnet18Shaped() : base(nameof(Resnet18Shaped))
        {
            body0 = torch.nn.Sequential([torch.nn.Conv2d(3, 64, 7, bias: false), torch.nn.BatchNorm2d(64), .. Stage(64, 64, false), .. Stage(64, 128, true)]);
            body1 = torch.nn.Sequential([.. Stage(128, 256, true), .. Stage(256, 512, true)]);
            head = torch.nn.Sequential(torch.nn.BatchNorm1d(1024), torch.nn.Linear(1024, 512, hasBias: false), torch.nn.BatchNorm1d(512),
                torch.nn.Linear(512, 3, hasBias: false));
            RegisterComponents();
        }

        /// <summary>Two basic blocks: conv3×3+BN twice each, the first with a 1×1 conv+BN downsample when the width changes.</summary>
        private static torch.nn.Module<torch.Tensor, torch.Tensor>[] Stage(int input, int output, bool downsample)
        {
            var layers = new List<torch.nn.Module<torch.Tensor, torch.Tensor>>
            {
                torch.nn.Conv2d(input, output, 3, bias: false), torch.nn.BatchNorm2d(output),
                torch.nn.Conv2d(output, output, 3, bias: false), torch.nn.BatchNorm2d(output),
            };
            if (downsample) layers.AddRange([torch.nn.Conv2d(input, output, 1, bias: false), torch.nn.BatchNorm2d(output)]);
            layers.AddRange([torch.nn.Conv2d(output, output, 3, bias: false), torch.nn.BatchNorm2d(output),
                torch.nn.Conv2d(output, output, 3, bias: false), torch.nn.BatchNorm2d(output)]);
            return layers.ToArray();
        }

        public override torch.Tensor forward(torch.Tensor input) => ((TorchSharp.Modules.Linear)head[3]).call(input.expand(-1, 512)).mean([1], keepdim: true);

        public static IEnumerable<IEnumerable<TorchSharp.Modules.Parameter>> Split(torch.nn.Module<torch.Tensor, torch.Tensor> model)
        {
            var m = (Resnet18Shaped)model;
            return [m.body0.parameters(), m.body1.parameters(), m.head.parameters()];
        }

        /// <summary>The BatchNorm parameters, found from the modules this class built.</summary>
        public HashSet<TorchSharp.Modules.Parameter> BatchNormParameters() =>
            new(new[] { body0, body1, head }.SelectMany(s => s.children())
                .Where(c => c is TorchSharp.Modules.BatchNorm1d or TorchSharp.Modules.BatchNorm2d).SelectMany(c => c.parameters()), ReferenceEqualityComparer.Instance);
    }

    private sealed class EventLog : Callback
    {
        public List<string> Events { get; } = [];
        public override void BeforeFit() => Events.Add(nameof(BeforeFit));
        public override void BeforeEpoch() => Events.Add(nameof(BeforeEpoch));
        public override void BeforeTrain() => Events.Add(nameof(BeforeTrain));
        public override void BeforeBatch() => Events.Add(nameof(BeforeBatch));
        public override void AfterPred() => Events.Add(nameof(AfterPred));
        public override void AfterLoss() => Events.Add(nameof(AfterLoss));
        public override void BeforeBackward() => Events.Add(nameof(BeforeBackward));
        public override void AfterBackward() => Events.Add(nameof(AfterBackward));
        public override void BeforeStep() => Events.Add(nameof(BeforeStep));
        public override void AfterStep() => Events.Add(nameof(AfterStep));
        public override void AfterBatch() => Events.Add(nameof(AfterBatch));
        public override void AfterTrain() => Events.Add(nameof(AfterTrain));
        public override void BeforeValidate() => Events.Add(nameof(BeforeValidate));
        public override void AfterValidate() => Events.Add(nameof(AfterValidate));
        public override void AfterEpoch() => Events.Add(nameof(AfterEpoch));
        public override void AfterFit() => Events.Add(nameof(AfterFit));
    }

    private sealed class StopAfter(int batches) : Callback
    {
        public override int Order => 55;   // after the recorder has logged the batch

        public bool CancelledFit { get; private set; }
        public bool SawAfterFit { get; private set; }
        public override void AfterBatch()
        {
            if (Learner.Training && Learner.TrainIter + 1 == batches) throw new CancelFitException();
        }
        public override void AfterCancelFit() => CancelledFit = true;
        public override void AfterFit() => SawAfterFit = true;
    }

    private sealed class NaNAfter(int calls) : ILossFunction
    {
        private int _training;
        public string Name => "NaNAfter";
        public torch.Tensor Compute(torch.Tensor prediction, torch.Tensor target, bool reduce = true)
        {
            var loss = torch.nn.functional.mse_loss(prediction.reshape(-1), target.reshape(-1));
            if (prediction.requires_grad && ++_training > calls) return loss * double.NaN;
            return loss;
        }
        public torch.Tensor Activation(torch.Tensor prediction) => prediction.alias();
        public torch.Tensor Decode(torch.Tensor activated) => activated.alias();
    }

    private sealed class WeightsAtBatch : Callback
    {
        public torch.Tensor[]? Before { get; private set; }
        public override void BeforeBatch()
        {
            if (!Learner.Training) return;
            if (Before is not null) foreach (var t in Before) t.Dispose();
            Before = Learner.Model.parameters().Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
        }
    }
}
