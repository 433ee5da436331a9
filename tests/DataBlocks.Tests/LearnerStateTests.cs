using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using DataBlocks.Learning;
using DataBlocks.TestKit;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>
/// The learner's state stays what the user expects across the lr finder, precision changes, saving, loading, early
/// stopping and resuming a script of several fits.
/// </summary>
[Collection("Torch")]
public class LearnerStateTests
{
    private static torch.Tensor[] Masters(Learner learn) =>
        learn.Model.parameters().Select(p => learn.MixedPrecision!.MasterOf(p).detach().clone()).ToArray();

    [Fact]
    public void LrFind_Runs_Through_NaN_Like_Fastai_And_Leaves_Trackers_And_Weights_Alone()
    {
        using var dir = new TempDir();
        var options = new LearnerOptions
        {
            Path = dir.Path,
            Optimizer = OptimizerSettings.SgdMomentum,
            Callbacks = [new EarlyStoppingCallback(patience: 1), new SaveModelCallback(monitor: "train_loss")],
        };
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(), options);
        var before = TinyRegression.Weights(learn);
        // SGD at up to 1e6 makes the loss infinite, then NaN: fastai carries on and trims the NaN points afterwards.
        var result = learn.LrFind(startLr: 1e-3, endLr: 1e6, numIt: 100, stopDiv: false);
        Assert.Equal(100, result.Lrs.Count);   // the trackers sat it out: early stopping did not cut it short
        Assert.Contains(result.Losses, double.IsNaN);
        Assert.True(double.IsFinite(result.Valley) && double.IsFinite(result.Minimum));
        Assert.False(File.Exists(learn.WeightsPath("model")), "SaveModelCallback must not save the finder's weights");
        Assert.Equal(2, learn.Callbacks.OfType<TrackerCallback>().Count());
        TensorAssert.Same(TinyRegression.Weights(learn), before);
    }

    [Fact]
    public void Mixed_Precision_Saves_The_Fp32_Masters_And_Loads_Across_Precisions()
    {
        using var dir = new TempDir();
        var options = new LearnerOptions { Path = dir.Path };
        using var half = TinyRegression.ThreeGroups(TinyRegression.Loaders(), options);
        half.Fit(1, 1e-2);
        var lrs = half.Optimizer!.Lr.ToArray();
        half.ToBf16();
        Assert.Equal(lrs, half.Optimizer!.Lr);   // a precision change keeps the optimizer's state and rates
        half.Fit(1, 1e-2);
        var masters = Masters(half);
        half.Save("half");
        half.Load("half");
        TensorAssert.Same(Masters(half), masters);   // not the bf16-rounded model weights
        half.LrFind(numIt: 20);
        TensorAssert.Same(Masters(half), masters);

        using var full = TinyRegression.ThreeGroups(TinyRegression.Loaders(), options);
        full.Load("half");                              // a bf16 learner's file loads into an fp32 one...
        TensorAssert.Same(TinyRegression.Weights(full), masters);
        full.Save("full");
        half.Load("full");                              // ...and the other way round
        TensorAssert.Same(Masters(half), masters);

        using var other = TinyRegression.OneGroup(TinyRegression.Loaders(), options);
        var before = TinyRegression.Weights(other);
        var e = Assert.Throws<DataBlocksException>(() => other.Load("full"));
        Assert.Contains("do not fit this model", e.Message);
        Assert.Contains("'l0.weight'", e.Message);
        TensorAssert.Same(TinyRegression.Weights(other), before);
    }

    [Fact]
    public void Optimizer_State_Of_Another_Optimizer_Is_Refused_Before_Anything_Changes()
    {
        using var dir = new TempDir();
        using var adam = TinyRegression.ThreeGroups(TinyRegression.Loaders(), new LearnerOptions { Path = dir.Path });
        adam.Fit(1, 1e-2);
        adam.Save("adam");
        using var sgd = TinyRegression.ThreeGroups(TinyRegression.Loaders(), new LearnerOptions { Path = dir.Path, Optimizer = OptimizerSettings.SgdMomentum });
        sgd.CreateOptimizer();
        var weights = TinyRegression.Weights(sgd);
        var lrs = sgd.Optimizer!.Lr.ToArray();
        var e = Assert.Throws<DataBlocksException>(() => sgd.Load("adam"));
        Assert.Contains("Adam", e.Message);
        Assert.Contains("withOpt: false", e.Message);
        TensorAssert.Same(TinyRegression.Weights(sgd), weights);
        Assert.Equal(lrs, sgd.Optimizer.Lr);
        sgd.Load("adam", withOpt: false);
        TensorAssert.Same(TinyRegression.Weights(sgd), TinyRegression.Weights(adam));
    }

    [Fact]
    public void Unfreezing_After_A_Precision_Change_Reaches_The_Masters()
    {
        using var learn = TinyRegression.ThreeGroups(TinyRegression.Loaders());
        learn.Freeze();
        learn.ToBf16();   // fastai's usual order: frozen at creation, then to_fp16, then fine_tune
        learn.Unfreeze();
        Assert.All(learn.Model.parameters(), p => Assert.True(learn.MixedPrecision!.MasterOf(p).requires_grad));
        var norm = new GradNorm();
        learn.Fit(1, 1e-2, callbacks: [new GradientClip(maxNorm: 0.01), norm]);
        Assert.NotEmpty(norm.Norms);
        Assert.All(norm.Norms, n => Assert.True(n <= 0.0100001, $"norm {n}"));
        Assert.True(norm.Groups == 3, "every group steps after Unfreeze");
    }

    [Fact]
    public void Norm_Layer_Gradients_Are_Unscaled_Into_The_Masters_Without_Touching_The_Model()
    {
        using var learn = TinyRegression.ThreeGroups(TinyRegression.Loaders());
        learn.ToBf16(initialScale: 1024);
        var spy = new NormGradSpy();
        learn.Fit(1, 1e-3, callbacks: [spy]);
        Assert.True(spy.Checked > 0);
        Assert.All(spy.Ratios, r => Assert.Equal(1024, r, 3));   // the model keeps the scaled gradient; the master gets it / 1024
    }

    [Fact]
    public void Sgd_Without_Momentum_Ignores_The_Momentum_Schedule()
    {
        var options = new LearnerOptions { Optimizer = OptimizerSettings.SgdMomentum with { Mom = 0 } };
        Seed.Everything(1);
        using var a = TinyRegression.OneGroup(TinyRegression.Loaders(), options);
        Seed.Everything(1);
        using var b = TinyRegression.OneGroup(TinyRegression.Loaders(), options);
        a.FitOneCycle(1, 1e-2);                      // moms (0.95, 0.85, 0.95) scheduled...
        b.FitOneCycle(1, 1e-2, moms: (0, 0, 0));     // ...have no effect, as in fastai's SGD(mom=0)
        TensorAssert.Same(TinyRegression.Weights(a), TinyRegression.Weights(b));
    }

    [Fact]
    public void Phase_State_Is_Set_Before_BeforeTrain_And_BeforeValidate()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        var spy = new PhaseSpy();
        learn.Fit(1, 1e-3, callbacks: [spy]);
        Assert.Equal(new[] { "train: training=True, train loader=True, model training=True", "valid: training=False, valid loader=True, model training=False" },
            spy.Log);
    }

    [Fact]
    public void Disposing_A_Mixed_Precision_Learner_Frees_Its_Tensors()
    {
        long Leak(bool mixed)
        {
            long before = MemoryProbe.LiveTensors;
            using (var dls = TinyRegression.Loaders())
            using (var learn = TinyRegression.ThreeGroups(dls))
            {
                if (mixed) learn.ToBf16();
                learn.Fit(1, 1e-2);
            }
            return MemoryProbe.LiveTensors - before;
        }
        Leak(mixed: false);   // warm-up: anything created once per process
        Assert.Equal(0, Leak(mixed: false));
        Assert.Equal(0, Leak(mixed: true));
    }

    [Fact]
    public void Early_Stopping_Prints_Its_Last_Row_And_Marks_The_Checkpoint_Finished()
    {
        using var dir = new TempDir();
        var output = new StringWriter();
        var options = new LearnerOptions { Path = dir.Path, Checkpoint = "es", Output = output, Progress = ProgressMode.Plain };
        Seed.Everything(3);
        using var learn = new Learner(TinyRegression.Loaders(), torch.nn.Linear(1, 1), options: options);
        var rows = learn.Fit(10, 0.0, callbacks: [new EarlyStoppingCallback(patience: 1)]);   // lr 0: no improvement, stops after epoch 1
        Assert.Equal(2, rows.Count);
        var printed = output.ToString().Split('\n').Where(l => l.Length > 0 && char.IsDigit(l.TrimStart()[0])).ToArray();
        Assert.Equal(rows.Count, printed.Length);   // the row of the epoch that stopped the fit too

        // Rerunning the script resumes nothing: the fit had ended, and the same rows come back.
        using var again = new Learner(TinyRegression.Loaders(), torch.nn.Linear(1, 1), options: options with { Output = null });
        var trace = new HyperTrace();
        var resumed = again.Fit(10, 0.0, callbacks: [new EarlyStoppingCallback(patience: 1), trace], resume: true);
        Assert.Empty(trace.Lrs);
        Assert.Equal(rows.Select(r => r.ValidLoss), resumed.Select(r => r.ValidLoss));
        TensorAssert.Same(TinyRegression.Weights(again), TinyRegression.Weights(learn));
    }

    [Fact]
    public void A_Script_Of_Two_Fits_Resumes_Where_It_Was_Killed_With_Trackers_And_Recorder_Intact()
    {
        using var dir = new TempDir();
        var options = new LearnerOptions { Path = dir.Path, Checkpoint = "script" };
        (Learner Learn, SaveModelCallback Save) Script(string checkpointDir, bool resume, Callback? crash, HyperTrace? trace)
        {
            var learn = TinyRegression.ThreeGroups(TinyRegression.Loaders(), options with { Path = checkpointDir });
            learn.FitOneCycle(2, 1e-2, resume: resume);
            learn.FreezeTo(1);
            var save = new SaveModelCallback(name: "best");
            var cbs = new List<Callback> { save };
            if (crash is not null) cbs.Add(crash);
            if (trace is not null) cbs.Add(trace);
            learn.FitOneCycle(4, 3e-2, callbacks: cbs, resume: resume);
            return (learn, save);
        }

        using var referenceDir = new TempDir();
        Seed.Everything(11);
        var (reference, referenceSave) = Script(referenceDir.Path, resume: false, null, null);
        using (reference)
        {
            Seed.Everything(11);
            Assert.Throws<SimulatedCrash>(() => Script(dir.Path, resume: false, new CrashAtEpoch(3), null));
            Assert.True(File.Exists(Path.Combine(dir.Path, "models", "script.fit0.ckpt")));
            Assert.True(File.Exists(Path.Combine(dir.Path, "models", "script.fit1.ckpt")));

            Seed.Everything(999);   // a new process: only the checkpoints carry the state
            var trace = new HyperTrace();
            var (resumed, resumedSave) = Script(dir.Path, resume: true, null, trace);
            using (resumed)
            {
                Assert.Equal(10, trace.Lrs.Count);   // the first fit was restored, the second ran its last epoch only
                TensorAssert.Close(TinyRegression.Weights(resumed), TinyRegression.Weights(reference));
                Assert.Equal(referenceSave.BestEpoch, resumedSave.BestEpoch);
                Assert.Equal(referenceSave.Best, resumedSave.Best, 6);
                Assert.Equal(reference.Recorder.Losses.Count, resumed.Recorder.Losses.Count);
                Assert.All(reference.Recorder.Losses.Zip(resumed.Recorder.Losses), p => Assert.Equal(p.First, p.Second, 5));
                Assert.Equal(reference.History.Count, resumed.History.Count);
            }
        }
    }

    [Fact]
    public void A_Resumed_Mixed_Precision_Fit_Keeps_Its_Loss_Scale()
    {
        using var dir = new TempDir();
        var options = new LearnerOptions { Path = dir.Path, Checkpoint = "mp" };
        Learner Make(LearnerOptions o) => TinyRegression.ThreeGroups(TinyRegression.Loaders(), o).ToBf16(initialScale: Math.Pow(2, 140));

        Seed.Everything(4);
        using var reference = Make(options with { Checkpoint = null });
        reference.Fit(3, 1e-2);
        Assert.True(reference.MixedPrecision!.SkippedSteps > 0, "the first steps overflow and lower the scale");

        Seed.Everything(4);
        using (var killed = Make(options))
            Assert.Throws<SimulatedCrash>(() => killed.Fit(3, 1e-2, callbacks: [new CrashAtEpoch(2)]));
        using var resumed = Make(options);
        resumed.Fit(3, 1e-2, resume: true);
        Assert.Equal(reference.MixedPrecision!.LossScale, resumed.MixedPrecision!.LossScale);
        Assert.Equal(reference.MixedPrecision!.SkippedSteps, resumed.MixedPrecision!.SkippedSteps);
        TensorAssert.Close(Masters(resumed), Masters(reference));
    }

    [Fact]
    public void Checkpoints_Tell_Fits_Apart_By_Every_Digit_Whatever_The_Culture()
    {
        using var dir = new TempDir();
        var options = new LearnerOptions { Path = dir.Path, Checkpoint = "c" };
        var culture = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");   // "0,25" where en-US writes "0.25"
            using (var killed = TinyRegression.OneGroup(TinyRegression.Loaders(), options))
                Assert.Throws<SimulatedCrash>(() => killed.FitOneCycle(3, 1.25e-2, pctStart: 0.25, callbacks: [new CrashAtEpoch(1)]));
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("en-US");
            using var resumed = TinyRegression.OneGroup(TinyRegression.Loaders(), options);
            var trace = new HyperTrace();
            resumed.FitOneCycle(3, 1.25e-2, pctStart: 0.25, callbacks: [trace], resume: true);
            Assert.Equal(20, trace.Lrs.Count);

            using var other = TinyRegression.OneGroup(TinyRegression.Loaders(), options);
            Assert.Throws<DataBlocksException>(() => other.FitOneCycle(3, 1.25001e-2, pctStart: 0.25, resume: true));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }


    private sealed class NormGradSpy : Callback
    {
        public List<double> Ratios { get; } = [];
        public int Checked => Ratios.Count;
        public override int Order => 11;   // after MixedPrecision (10) un-scaled into the masters
        public override void AfterBackward()
        {
            var bn = Learner.Model.named_parameters().First(p => p.name == "bn0.weight").parameter;
            using var model = bn.grad;
            using var master = Learner.MixedPrecision!.MasterOf(bn).grad;
            double m = master!.abs().sum().item<float>();
            if (m > 1e-6) Ratios.Add(model!.abs().sum().item<float>() / m);
        }
    }

    private sealed class PhaseSpy : Callback
    {
        public List<string> Log { get; } = [];
        public override void BeforeTrain() =>
            Log.Add($"train: training={Learner.Training}, train loader={ReferenceEquals(Learner.Dl, Learner.Dls.Train)}, model training={Learner.Model.training}");
        public override void BeforeValidate() =>
            Log.Add($"valid: training={Learner.Training}, valid loader={ReferenceEquals(Learner.Dl, Learner.Dls.Valid)}, model training={Learner.Model.training}");
    }
}
