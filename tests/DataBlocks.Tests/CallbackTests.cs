using System;
using System.IO;
using System.Linq;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.TestKit;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>fastai 0.7's cycles and snapshot ensembles, trackers, gradient callbacks, metrics and plots.</summary>
[Collection("Torch")]
public class CallbackTests
{
    [Fact]
    public void Fastai07_Cycles_Warm_Up_Restart_And_Save_Snapshots()
    {
        using var dir = new TempDir();
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(), new LearnerOptions { Path = dir.Path });
        var trace = new HyperTrace();
        var rows = learn.Fit(1e-2, nCycle: 3, cycleLen: 1, cycleMult: 2, cycleSaveName: "snap", callbacks: [trace]);
        Assert.Equal(7, rows.Count);                                   // 1 + 2 + 4 epochs
        Assert.Equal(1e-4, trace.Lrs[0][0], 12);                       // warm-up: the first 1/20 of cycle 1 at lr/100
        Assert.Equal(1e-2 * (1 + Math.Cos(Math.PI * 1 / 10)) / 2, trace.Lrs[1][0], 12);
        Assert.Equal(1e-2, trace.Lrs[10][0], 12);                      // cycle 2 restarts at the full rate
        Assert.Equal(1e-2 * (1 + Math.Cos(Math.PI * 5 / 20)) / 2, trace.Lrs[15][0], 12);
        Assert.Equal(1e-2, trace.Lrs[30][0], 12);                      // cycle 3
        Assert.Equal(new[] { "snap_cyc_0", "snap_cyc_1", "snap_cyc_2" }, learn.CycleSnapshots);
        Assert.All(learn.CycleSnapshots, s => Assert.True(File.Exists(learn.WeightsPath(s))));

        var (ensemble, targets) = learn.GetEnsemblePreds();
        using (ensemble)
        using (targets)
        {
            learn.Load("snap_cyc_1", withOpt: false);
            var (one, oneTargets) = learn.GetPreds();
            using (one)
            using (oneTargets)
                Assert.False(one.allclose(ensemble));
            Assert.Equal(new long[] { 32, 1 }, ensemble.shape);
        }
    }

    [Fact]
    public void Snapshot_Ensemble_Is_The_Mean_Of_The_Snapshots_Predictions()
    {
        // Two hand-made snapshots of y = w·x + b: (2, 1) and (−1, 3). Their mean prediction is 0.5·x + 2.
        using var dir = new TempDir();
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(), new LearnerOptions { Path = dir.Path });
        var linear = (TorchSharp.Modules.Linear)learn.Model;
        void Set(float w, float b)
        {
            using var noGrad = torch.no_grad();
            linear.weight!.fill_(w);
            linear.bias!.fill_(b);
        }
        Set(2, 1);
        learn.Save("a", withOpt: false);
        Set(-1, 3);
        learn.Save("b", withOpt: false);
        Set(5, -5);   // the learner's own weights, to be restored afterwards

        var x = learn.Dls.Valid.SelectMany(b => b.Inputs[0].data<float>().ToArray()).ToArray();
        var (ensemble, targets) = learn.GetEnsemblePreds(["a", "b"]);
        using (ensemble)
        using (targets)
        {
            var got = ensemble.reshape(-1).data<float>().ToArray();
            Assert.Equal(x.Length, got.Length);
            for (int i = 0; i < x.Length; i++) Assert.Equal(0.5 * x[i] + 2, got[i], 5);
            Assert.Equal(x.Select(v => 2.0 * v + 1), targets!.reshape(-1).data<float>().ToArray().Select(v => (double)v), new Near(1e-5));
        }
        Assert.Equal((5f, -5f), (linear.weight!.item<float>(), linear.bias!.item<float>()));
    }

    [Theory]
    [InlineData(0.01)]   // every batch's gradient is larger: scaled to norm 0.01, direction kept
    [InlineData(1000)]   // every batch's gradient is smaller: left exactly as backward made it
    public void Gradient_Clip_Scales_Gradients_Above_Max_Norm_To_It_And_Leaves_Smaller_Ones(double maxNorm)
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        var spy = new HandGradient(maxNorm);
        learn.Fit(1, 1e-2, callbacks: [new GradientClip(maxNorm), spy]);
        Assert.Equal(10, spy.Checked);
        Assert.All(spy.HandNorms, n => Assert.True(maxNorm < 1 ? n > 10 * maxNorm : n < maxNorm, $"hand norm {n}"));
    }

    /// <summary>
    /// After the clip (order 20), checks the gradients of y = w·x + b under MSE against the hand computation
    /// ∂L/∂w = 2/B·Σ(w·xᵢ + b − yᵢ)·xᵢ, ∂L/∂b = 2/B·Σ(w·xᵢ + b − yᵢ), scaled by PyTorch's min(1, max_norm/(‖g‖ + 1e-6)).
    /// </summary>
    private sealed class HandGradient(double maxNorm) : Callback
    {
        public int Checked { get; private set; }
        public System.Collections.Generic.List<double> HandNorms { get; } = [];

        public override int Order => 21;

        public override void AfterBackward()
        {
            var linear = (TorchSharp.Modules.Linear)Learner.Model;
            double w = linear.weight!.item<float>(), b = linear.bias!.item<float>();
            var x = Learner.Batch!.Inputs[0].data<float>().ToArray();
            var y = Learner.Batch.Targets[0].data<float>().ToArray();
            double gw = 0, gb = 0;
            for (int i = 0; i < x.Length; i++)
            {
                double r = w * x[i] + b - y[i];
                gw += 2.0 / x.Length * r * x[i];
                gb += 2.0 / x.Length * r;
            }
            double norm = Math.Sqrt(gw * gw + gb * gb);
            HandNorms.Add(norm);
            double scale = Math.Min(1, maxNorm / (norm + 1e-6));
            double gotW = linear.weight.grad!.item<float>(), gotB = linear.bias.grad!.item<float>();
            Assert.True(Math.Abs(gotW - gw * scale) <= 1e-4 * Math.Abs(gw * scale) + 1e-7, $"weight gradient {gotW}, expected {gw * scale}");
            Assert.True(Math.Abs(gotB - gb * scale) <= 1e-4 * Math.Abs(gb * scale) + 1e-7, $"bias gradient {gotB}, expected {gb * scale}");
            Checked++;
        }
    }

    private sealed class Near(double tolerance) : System.Collections.Generic.IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public void Fastai07_Without_Cycle_Length_Is_Constant() 
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        var trace = new HyperTrace();
        Assert.Equal(2, learn.Fit(3e-3, nCycle: 2, cycleLen: null, callbacks: [trace]).Count);
        Assert.Equal(20, trace.Lrs.Count);   // 2 epochs of 10 batches
        Assert.All(trace.Lrs, lr => Assert.Equal(3e-3, lr[0]));
    }

    [Fact]
    public void SaveModel_Keeps_The_Best_Epoch_And_EarlyStopping_Stops()
    {
        using var dir = new TempDir();
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(), new LearnerOptions { Path = dir.Path });
        var save = new SaveModelCallback();
        learn.Fit(4, 1e-2, callbacks: [save]);
        Assert.True(File.Exists(learn.WeightsPath("model")));
        Assert.Equal(learn.History.MinBy(r => r.ValidLoss)!.Epoch, save.BestEpoch);
        Assert.Equal(learn.History.Min(r => r.ValidLoss), learn.Validate().Loss, 5);   // the best weights were loaded back

        // A learning rate of 0: the validation loss stays exactly where it was, so patience 1 stops after the second epoch
        // and patience 3 after the fourth.
        Assert.Equal(2, learn.Fit(10, 0.0, callbacks: [new EarlyStoppingCallback(patience: 1)]).Count);
        Assert.Equal(4, learn.Fit(10, 0.0, callbacks: [new EarlyStoppingCallback(patience: 3)]).Count);
        Assert.Throws<ArgumentException>(() => learn.Fit(1, 1e-3, callbacks: [new EarlyStoppingCallback("accuracy")]));
    }

    [Fact]
    public void Gradient_Accumulation_Steps_Once_Per_N_Items_And_Clip_Bounds_The_Norm()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        var steps = new StepCounter();
        learn.Fit(1, 1e-2, callbacks: [new GradientAccumulation(nAcc: 64), steps]);
        Assert.Equal(2, steps.Steps);   // 10 batches of 16 items: a step after every 4 batches
        var norm = new GradNorm();
        learn.Fit(1, 1e-2, callbacks: [new GradientClip(maxNorm: 0.01), norm]);
        Assert.NotEmpty(norm.Norms);
        Assert.All(norm.Norms, n => Assert.True(n <= 0.0100001, $"norm {n}"));

        // With frozen layers (parameters without a gradient) the clip bounds what does train.
        using var frozen = TinyRegression.ThreeGroups(TinyRegression.Loaders());
        frozen.Freeze();
        var frozenNorm = new GradNorm();
        frozen.Fit(1, 1e-2, callbacks: [new GradientClip(maxNorm: 0.01), frozenNorm]);
        Assert.NotEmpty(frozenNorm.Norms);
        Assert.All(frozenNorm.Norms, n => Assert.True(n <= 0.0100001, $"norm with frozen layers {n}"));
    }

    [Fact]
    public void TopK_And_Rmse()
    {
        using var scope = torch.NewDisposeScope();
        var top2 = new TopKAccuracy(2);
        top2.Reset();
        top2.Accumulate(torch.tensor(new[] { 0.1f, 0.5f, 0.4f, 0.7f, 0.2f, 0.1f }).reshape(2, 3), torch.tensor(new long[] { 2, 2 }));
        Assert.Equal(0.5, top2.Value, 6);
        var rmse = new Rmse();
        rmse.Reset();
        rmse.Accumulate(torch.tensor(new[] { 1f, 2f }), torch.tensor(new[] { 1f, 4f }));
        rmse.Accumulate(torch.tensor(new[] { 3f }), torch.tensor(new[] { 3f }));
        Assert.Equal(Math.Sqrt(4.0 / 3), rmse.Value, 5);
    }

    [Fact]
    public void Recorder_Plots_Loss_And_Schedules()
    {
        using var dir = new TempDir();
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        learn.FitOneCycle(2, 1e-2);
        foreach (string png in new[] { learn.Recorder.PlotLoss(dir.Combine("loss.png")), learn.Recorder.PlotLr(dir.Combine("lr.png")), learn.Recorder.PlotSched(dir.Combine("sched.png")) })
        {
            using var image = SkiaSharp.SKBitmap.Decode(png);
            Assert.Equal((800, 500), (image.Width, image.Height));
        }
        Assert.Equal(20, learn.Recorder.Lrs.Count);
        Assert.Equal(20, learn.Recorder.Moms.Count);
    }

    private sealed class StepCounter : Callback
    {
        public int Steps { get; private set; }
        public override void AfterStep() => Steps++;
    }

}
