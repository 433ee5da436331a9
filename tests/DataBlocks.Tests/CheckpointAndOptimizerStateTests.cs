using System;
using System.IO;
using System.Linq;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.TestKit;
using TorchSharp;
using Xunit;
using static TorchSharp.torch.nn;

namespace DataBlocks.Tests;

/// <summary>Resuming from checkpoints (messages, metrics in the restored rows, torch's random state) and optimizer state that does not fit.</summary>
[Collection("Torch")]
public class CheckpointAndOptimizerStateTests
{
    [Fact]
    public void Resume_Needs_A_Checkpoint_Name()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        var e = Assert.Throws<InvalidOperationException>(() => learn.FitOneCycle(1, 1e-2, resume: true));
        Assert.Contains("LearnerOptions.Checkpoint", e.Message);
    }

    [Fact]
    public void A_Resume_Says_Where_It_Continues_And_Restores_The_Rows_With_Their_Metrics()
    {
        using var dir = new TempDir();
        var output = new StringWriter();
        var options = new LearnerOptions { Path = dir.Path, Checkpoint = "m", Output = output, Progress = ProgressMode.Silent };
        Learner Make() => new(TinyRegression.Loaders(), Linear(1, 1), metrics: [new Rmse()], options: options);
        double[] before;
        using (var killed = Make())
        {
            Assert.Throws<SimulatedCrash>(() => killed.FitOneCycle(3, 1e-2, callbacks: [new CrashAtEpoch(2)]));
            before = killed.History.Select(r => r.Metrics.Single(m => m.Key == "_rmse").Value).ToArray();
        }
        Assert.Equal(2, before.Length);
        using var resumed = Make();
        var rows = resumed.FitOneCycle(3, 1e-2, resume: true);
        Assert.Contains($"Resuming FitOneCycle(nEpoch=3, ", output.ToString());
        Assert.Contains("at epoch 2 from ", output.ToString());
        Assert.Equal(3, rows.Count);
        Assert.Equal(before, rows.Take(2).Select(r => r.Metrics.Single(m => m.Key == "_rmse").Value));

        using var again = Make();
        var finished = again.FitOneCycle(3, 1e-2, resume: true);
        Assert.Contains("already ran to its end: restored from ", output.ToString());
        Assert.Equal(rows.Select(r => r.ValidLoss), finished.Select(r => r.ValidLoss));
    }

    [Fact]
    public void A_Resumed_Fit_With_Dropout_Draws_What_The_Uninterrupted_One_Drew()
    {
        // Dropout draws from torch's generator: only a restored random state makes the resumed run the same.
        using var dir = new TempDir();
        Learner Make(string name)
        {
            torch.manual_seed(5);
            var model = Sequential(("a", Linear(1, 16)), ("drop", Dropout(0.5)), ("b", Linear(16, 1)));
            return new Learner(TinyRegression.Loaders(), model, options: TinyRegression.Silent with { Path = dir.Path, Checkpoint = name });
        }
        using var reference = Make("ref");
        torch.manual_seed(21);
        reference.Fit(3, 1e-2);
        using (var killed = Make("run"))
        {
            torch.manual_seed(21);
            Assert.Throws<SimulatedCrash>(() => killed.Fit(3, 1e-2, callbacks: [new CrashAtEpoch(2)]));
        }
        using var resumed = Make("run");
        torch.manual_seed(999);   // another process: only the checkpoint knows the generator's state
        resumed.Fit(3, 1e-2, resume: true);
        TensorAssert.Close(TinyRegression.Weights(reference), TinyRegression.Weights(resumed));
    }

    [Fact]
    public void A_Crash_In_The_Middle_Of_An_Epoch_Reruns_That_Epoch_Whole()
    {
        // The checkpoint is written after each completed epoch only: a crash at batch 4 of epoch 1 resumes at epoch 1.
        using var dir = new TempDir();
        var options = new LearnerOptions { Path = dir.Path, Checkpoint = "mid", Output = null, Progress = ProgressMode.Silent };
        using (var killed = TinyRegression.OneGroup(TinyRegression.Loaders(), options))
            Assert.Throws<SimulatedCrash>(() => killed.Fit(3, 1e-2, callbacks: [new CrashAtBatch(epoch: 1, batch: 4)]));
        using var resumed = TinyRegression.OneGroup(TinyRegression.Loaders(), options);
        var trace = new HyperTrace();
        var rows = resumed.Fit(3, 1e-2, callbacks: [trace], resume: true);
        Assert.Equal(20, trace.Lrs.Count);   // epochs 1 and 2, 10 batches each
        Assert.Equal([0, 1, 2], rows.Select(r => r.Epoch));
    }

    [Fact]
    public void Optimizer_State_That_Does_Not_Fit_Is_Refused_Saying_Why()
    {
        using var adam = TinyRegression.OneGroup(TinyRegression.Loaders());
        adam.Fit(1, 1e-2);
        using var adamState = adam.Optimizer!.SaveToMemory();   // with Adam's moments: each Refusal below recreates the optimizer

        string Refusal(Learner target, MemoryStream state)
        {
            var e = Assert.Throws<DataBlocksException>(() => target.CreateOptimizer().LoadFromMemory(state, "state.bin"));
            return e.Message;
        }

        using (var sgd = TinyRegression.OneGroup(TinyRegression.Loaders(), new LearnerOptions { Optimizer = OptimizerSettings.SgdMomentum }))
        {
            sgd.Fit(1, 1e-2);
            using var sgdState = sgd.Optimizer!.SaveToMemory();
            Assert.Contains("holds the state of a Sgd optimizer, but this learner uses Adam", Refusal(adam, sgdState));
        }
        using (var three = TinyRegression.ThreeGroups(TinyRegression.Loaders()))
        using (var threeState = three.CreateOptimizer().SaveToMemory())
            Assert.Contains("for 3 parameter groups, but the learner has 1", Refusal(adam, threeState));

        using (var wider = new Learner(TinyRegression.Loaders(), Sequential(("a", Linear(1, 2)), ("b", Linear(2, 1))), options: TinyRegression.Silent))
            Assert.Contains("for 2 parameters in group 0, but the learner's group 0 has 4", Refusal(wider, Copy(adamState)));
        using (var other = new Learner(TinyRegression.Loaders(), Linear(2, 1), options: TinyRegression.Silent))
            Assert.Contains("for a parameter of shape [1, 1], not [1, 2]", Refusal(other, Copy(adamState)));

        using var garbage = new MemoryStream();
        using (var w = new BinaryWriter(garbage, System.Text.Encoding.UTF8, leaveOpen: true)) w.Write("not an optimizer");
        garbage.Position = 0;
        Assert.Contains("does not hold DataBlocks optimizer state of this version (found 'not an optimizer'", Refusal(adam, garbage));
    }

    private static MemoryStream Copy(MemoryStream state) => new(state.ToArray());

    private sealed class CrashAtBatch(int epoch, int batch) : Callback
    {
        public override void AfterBatch()
        {
            if (Learner.Training && Learner.Epoch == epoch && Learner.Iter == batch) throw new SimulatedCrash();
        }
    }
}
