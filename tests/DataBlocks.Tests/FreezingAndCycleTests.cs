using System;
using System.IO;
using System.Linq;
using DataBlocks.Learning;
using DataBlocks.TestKit;
using TorchSharp;
using Xunit;
using static TorchSharp.torch.nn;

namespace DataBlocks.Tests;

/// <summary>
/// Freezing (fastai's freeze_to / train_bn / clear_state) and fastai 0.7's cycles (warm-up, restarts, snapshots,
/// resume), asserted against hand computations: the tests that kill what the mutation run found alive there.
/// </summary>
[Collection("Torch")]
public class FreezingAndCycleTests
{
    [Fact]
    public void Freezing_Every_Group_Says_So_And_Freezing_Fewer_Does_Not()
    {
        var output = new StringWriter();
        using var quiet = TinyRegression.ThreeGroups(TinyRegression.Loaders());
        using var learn = new Learner(quiet.Dls, Sequential(("l0", Linear(1, 4)), ("l1", Linear(4, 4)), ("l2", Linear(4, 1))),
            options: new LearnerOptions { Output = output, Progress = ProgressMode.Silent, Splitter = m => ((TorchSharp.Modules.Sequential)m).children().Select(c => c.parameters()) });
        learn.FreezeTo(2);
        Assert.DoesNotContain("whole model", output.ToString());
        learn.FreezeTo(3);
        Assert.Contains("Freezing 3 of 3 layer groups: the whole model is frozen.", output.ToString());
        Assert.All(Enumerable.Range(0, 3), g => Assert.False(learn.IsTrainable(g)));
    }

    [Fact]
    public void A_Frozen_Group_Is_Not_Trainable_Though_Its_Norm_Layers_Train_And_Without_TrainBn_They_Freeze_Too()
    {
        using var learn = TinyRegression.ThreeGroups(TinyRegression.Loaders());
        learn.Freeze();
        Assert.Contains(learn.LayerGroups[0], p => p.requires_grad);   // bn0 trains (train_bn)...
        Assert.False(learn.IsTrainable(0));                            // ...but the group does not
        Assert.True(learn.IsTrainable(2));

        using var strict = TinyRegression.ThreeGroups(TinyRegression.Loaders(),
            new LearnerOptions { Optimizer = new OptimizerSettings { TrainBn = false } });
        strict.Freeze();
        Assert.All(strict.LayerGroups[0].Concat(strict.LayerGroups[1]), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Freezing_Keeps_The_Optimizer_And_Its_Settings_But_Forgets_Its_State()
    {
        using var learn = TinyRegression.ThreeGroups(TinyRegression.Loaders());
        long empty;
        using (var fresh = TinyRegression.ThreeGroups(TinyRegression.Loaders()))
        using (var state = fresh.CreateOptimizer().SaveToMemory())
            empty = state.Length;
        learn.Fit(1, 1e-2);
        var optimizer = learn.Optimizer!;
        using (var trained = optimizer.SaveToMemory())
            Assert.True(trained.Length > empty, "Adam's moments are part of the state after a fit");
        optimizer.SetLr([1e-5, 2e-5, 3e-5]);
        learn.Freeze();
        Assert.Same(optimizer, learn.Optimizer);
        Assert.Equal([1e-5, 2e-5, 3e-5], learn.Optimizer!.Lr);
        using var cleared = learn.Optimizer.SaveToMemory();
        Assert.Equal(empty, cleared.Length);   // fastai: freeze_to calls opt.clear_state()
    }

    [Fact]
    public void Freeze_Works_With_Two_Groups_And_Says_What_It_Needs_With_One()
    {
        var model = Sequential(("a", Linear(1, 4)), ("b", Linear(4, 1)));
        var groups = new LearnerOptions
        {
            Output = null, Progress = ProgressMode.Silent,
            Splitter = m => [((TorchSharp.Modules.Sequential)m).children().First().parameters(), ((TorchSharp.Modules.Sequential)m).children().Last().parameters()],
        };
        using var two = new Learner(TinyRegression.Loaders(), model, options: groups);
        two.Freeze();
        Assert.False(two.IsTrainable(0));
        Assert.True(two.IsTrainable(1));
        var e = Assert.Throws<InvalidOperationException>(() => TinyRegression.OneGroup(TinyRegression.Loaders()).Freeze());
        Assert.Contains("at least two layer groups", e.Message);
    }

    [Fact]
    public void Fastai07_Fit_Refuses_Empty_Cycles()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        Assert.Throws<ArgumentOutOfRangeException>(() => learn.Fit(1e-2, nCycle: 0, cycleLen: null));
        Assert.Throws<ArgumentOutOfRangeException>(() => learn.Fit(1e-2, nCycle: 1, cycleLen: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => learn.Fit(1e-2, nCycle: 1, cycleLen: 1, cycleMult: 0));
    }

    [Fact]
    public void Fastai07_Fits_Continue_With_The_Same_Optimizer()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        learn.Fit(1e-2, nCycle: 1, cycleLen: null);
        var optimizer = learn.Optimizer;
        learn.Fit(1e-2, nCycle: 1, cycleLen: null);
        Assert.Same(optimizer, learn.Optimizer);
        learn.Fit(1e-2, nCycle: 1, cycleLen: 1);
        Assert.Same(optimizer, learn.Optimizer);
    }

    [Fact]
    public void The_Warm_Up_Is_Exactly_The_First_Twentieth_Of_The_First_Cycle()
    {
        // 320 training items in batches of 16: 20 batches per cycle, so the warm-up is batch 0 alone (0 < 20/20 = 1).
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(train: 320));
        var trace = new HyperTrace();
        learn.Fit(1e-2, nCycle: 1, cycleLen: 1, callbacks: [trace]);
        Assert.Equal(20, trace.Lrs.Count);
        Assert.Equal(1e-4, trace.Lrs[0][0], 12);
        Assert.Equal(1e-2 * (1 + Math.Cos(Math.PI * 1 / 20)) / 2, trace.Lrs[1][0], 12);
        Assert.Equal(1e-2 * (1 + Math.Cos(Math.PI * 19 / 20)) / 2, trace.Lrs[19][0], 12);
    }

    [Fact]
    public void Each_Fit_Lists_Only_Its_Own_Snapshots_And_An_Ensemble_Needs_Some()
    {
        using var dir = new TempDir();
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(), new LearnerOptions { Path = dir.Path });
        var e = Assert.Throws<ArgumentException>(() => learn.GetEnsemblePreds());
        Assert.Contains("fit with a cycleSaveName first", e.Message);
        learn.Fit(1e-2, nCycle: 2, cycleLen: 1, cycleSaveName: "a");
        learn.Fit(1e-2, nCycle: 1, cycleLen: 1, cycleSaveName: "b");
        Assert.Equal(["b_cyc_0"], learn.CycleSnapshots);
    }

    [Fact]
    public void A_Resumed_Sgdr_Fit_Continues_Its_Cycles_And_Keeps_The_Snapshots_Saved_Before_The_Crash()
    {
        // 2 cycles of 1 then 2 epochs (10 batches each): crash as epoch 2 begins (cycle 1's second half), resume.
        using var dir = new TempDir();
        var options = new LearnerOptions { Path = dir.Path, Checkpoint = "sgdr" };
        using (var killed = TinyRegression.OneGroup(TinyRegression.Loaders(), options))
            Assert.Throws<SimulatedCrash>(() => killed.Fit(1e-2, nCycle: 2, cycleLen: 1, cycleMult: 2, cycleSaveName: "snap", callbacks: [new CrashAtEpoch(2)]));
        using var resumed = TinyRegression.OneGroup(TinyRegression.Loaders(), options);
        var trace = new HyperTrace();
        var rows = resumed.Fit(1e-2, nCycle: 2, cycleLen: 1, cycleMult: 2, cycleSaveName: "snap", callbacks: [trace], resume: true);
        Assert.Equal(10, trace.Lrs.Count);   // only epoch 2 is left
        for (int b = 0; b < 10; b++)         // cycle 1 is 20 batches long; epoch 2 is its batches 10..19
            Assert.Equal(1e-2 * (1 + Math.Cos(Math.PI * (10 + b) / 20)) / 2, trace.Lrs[b][0], 12);
        Assert.Equal(["snap_cyc_0", "snap_cyc_1"], resumed.CycleSnapshots);
        Assert.Equal(2, rows[^1].Epoch);
    }

    [Fact]
    public void The_Recorder_Keeps_Every_Raw_Loss_And_Smooths_Them_As_Fastai()
    {
        // fastai's AvgSmoothLoss: avg = β·avg + (1 − β)·loss, reported as avg / (1 − β^count), β = 0.98.
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        learn.Fit(1, 1e-2);
        var raw = learn.Recorder.RawLosses;
        Assert.Equal(10, raw.Count);   // one per training batch
        double avg = 0;
        for (int i = 0; i < raw.Count; i++)
        {
            avg = 0.98 * avg + 0.02 * raw[i];
            Assert.Equal(avg / (1 - Math.Pow(0.98, i + 1)), learn.Recorder.Losses[i], 6);
        }
    }
}
