using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>
/// The learner is the loop and its events: validation and predictions go through the same loop and callbacks, and the
/// hooks callbacks attach through (AroundFit, AfterCreateOpt, the model-state hooks, the recorder's rows) work as documented.
/// </summary>
[Collection("Torch")]
public class LearnerLayeringTests
{
    [Fact]
    public void Validate_Runs_The_Validation_Events_And_Computes_The_Item_Weighted_Loss()
    {
        // 36 validation points in batches of 16: 16 + 16 + 4, so an unweighted mean of batch losses would differ.
        var dls = TinyRegression.Loaders(valid: 36);
        var spy = new PhaseCounter();
        using var learn = TinyRegression.OneGroup(dls, new LearnerOptions { Callbacks = [spy] });
        var (loss, metrics) = learn.Validate();

        Assert.Equal((1, 3, 1, 0), (spy.BeforeValidates, spy.ValidBatches, spy.AfterValidates, spy.TrainBatches));
        Assert.Empty(metrics);
        // The oracle: the model's MSE over the 36 validation points, computed here from the weights.
        using var scope = torch.NewDisposeScope();
        var w = learn.Model.parameters().ToArray();
        double a = w[0].item<float>(), b = w[1].item<float>();
        double expected = ValidXs(dls).Select(x => Math.Pow(a * x + b - (2 * x + 1), 2)).Average();
        Assert.Equal(expected, loss, 1e-5);
    }

    [Fact]
    public void GetPreds_Goes_Through_The_Callbacks_And_Leaves_None_Behind()
    {
        var dls = TinyRegression.Loaders();
        var spy = new PhaseCounter();
        using var learn = TinyRegression.OneGroup(dls, new LearnerOptions { Callbacks = [spy] });
        int before = learn.Callbacks.Count;
        var (preds, targets) = learn.GetPreds();
        using (preds)
        using (targets)
        {
            Assert.Equal((1, 2), (spy.BeforeValidates, spy.ValidBatches));
            Assert.Equal(before, learn.Callbacks.Count);   // the gathering callback was removed
            Assert.Equal([32L, 1L], preds.shape);
            using var scope = torch.NewDisposeScope();
            var w = learn.Model.parameters().ToArray();
            double a = w[0].item<float>(), b = w[1].item<float>();
            var expected = ValidXs(dls).Select(x => a * x + b).ToArray();
            var actual = preds.data<float>().ToArray();
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5);
        }
    }

    [Fact]
    public void Validate_Metrics_Are_The_Recorders_As_In_A_Fit()
    {
        var dls = TinyRegression.Loaders();
        using var learn = new Learner(dls, torch.nn.Linear(1, 1), metrics: [new Rmse()], options: TinyRegression.Silent);
        var row = learn.Fit(1, 1e-2)[0];
        var (loss, metrics) = learn.Validate();
        Assert.Equal(row.ValidLoss, loss, 6);
        Assert.Equal(row.Metric("_rmse"), metrics[0], 6);
        Assert.Equal(Math.Sqrt(loss), metrics[0], 4);   // the RMSE of the same predictions: the root of their MSE
    }

    [Fact]
    public void AroundFit_Wraps_The_Fit_In_Order_And_Unwinds_On_An_Error()
    {
        var log = new List<string>();
        var outer = new Wrapper("outer", -5, log);
        var inner = new Wrapper("inner", 5, log);
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(), new LearnerOptions { Callbacks = [inner, outer] });
        learn.Fit(1, 1e-2, callbacks: [new Throwing(log)]);   // a CancelFitException: the fit ends normally
        Assert.Equal(["outer in", "inner in", "BeforeFit", "AfterFit", "inner out", "outer out"], log);

        log.Clear();
        Assert.Throws<InvalidOperationException>(() => learn.Fit(1, 1e-2, callbacks: [new Throwing(log, fatal: true)]));
        Assert.Equal(["outer in", "inner in", "BeforeFit", "inner out", "outer out"], log);   // no AfterFit, but both unwound
    }

    [Fact]
    public void AfterCreateOpt_Runs_For_Every_Optimizer_The_Learner_Creates()
    {
        var seen = new OptimizerWatcher();
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(), new LearnerOptions { Callbacks = [seen] });
        Assert.Empty(seen.Optimizers);
        learn.Fit(1, 1e-2);
        learn.Fit(1, 1e-2, resetOpt: true);
        Assert.Equal(2, seen.Optimizers.Count);
        Assert.NotSame(seen.Optimizers[0], seen.Optimizers[1]);
        Assert.Same(learn.Optimizer, seen.Optimizers[1]);
    }

    [Fact]
    public void The_NaN_Guard_Is_A_Callback_The_Learner_Adds_Only_When_Asked()
    {
        using var guarded = TinyRegression.OneGroup(TinyRegression.Loaders());
        using var unguarded = TinyRegression.OneGroup(TinyRegression.Loaders(), new LearnerOptions { StopOnNaN = false });
        Assert.Single(guarded.Callbacks.OfType<TerminateOnNaNCallback>());
        Assert.Empty(unguarded.Callbacks.OfType<TerminateOnNaNCallback>());
        // Without the guard a diverging fit runs to its end, NaN losses and all.
        var rows = unguarded.Fit(1, 1e30);
        Assert.True(double.IsNaN(rows[0].TrainLoss) || double.IsInfinity(rows[0].TrainLoss), $"train loss {rows[0].TrainLoss}");
        Assert.Throws<TrainingDivergedException>(() => guarded.Fit(1, 1e30));
    }

    [Fact]
    public void The_Recorder_Raises_Each_Row_As_It_Makes_It()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        var rows = new List<EpochResult>();
        learn.Recorder.RowAdded += rows.Add;
        var fit = learn.Fit(3, 1e-2);
        Assert.Equal(fit, rows);
    }

    [Fact]
    public void Disposing_The_Learner_Disposes_Its_Disposable_Callbacks()
    {
        var owned = new DisposableCallback();
        var learn = TinyRegression.OneGroup(TinyRegression.Loaders(), new LearnerOptions { Callbacks = [owned] });
        Assert.False(owned.Disposed);
        learn.Dispose();
        Assert.True(owned.Disposed);
    }

    private static float[] ValidXs(Data.DataLoaders dls)
    {
        var xs = new List<float>();
        foreach (var batch in dls.Valid)
            using (var scope = torch.NewDisposeScope())
                xs.AddRange(batch.Inputs[0].data<float>().ToArray());
        return xs.ToArray();
    }

    private sealed class PhaseCounter : Callback
    {
        public int BeforeValidates, AfterValidates, ValidBatches, TrainBatches;

        public override void BeforeValidate() => BeforeValidates++;

        public override void AfterValidate() => AfterValidates++;

        public override void AfterBatch()
        {
            if (Learner.Training) TrainBatches++;
            else ValidBatches++;
        }
    }

    private sealed class Wrapper(string name, int order, List<string> log) : Callback
    {
        public override int Order => order;

        public override void AroundFit(Action fit)
        {
            log.Add($"{name} in");
            try
            {
                fit();
            }
            finally
            {
                log.Add($"{name} out");
            }
        }
    }

    private sealed class Throwing(List<string> log, bool fatal = false) : Callback
    {
        public override void BeforeFit()
        {
            log.Add("BeforeFit");
            if (fatal) throw new InvalidOperationException("a bug in a callback");
            throw new CancelFitException();
        }

        public override void AfterFit() => log.Add("AfterFit");
    }

    private sealed class OptimizerWatcher : Callback
    {
        public List<LearnerOptimizer> Optimizers { get; } = [];

        public override void AfterCreateOpt() => Optimizers.Add(Learner.Optimizer!);
    }

    private sealed class DisposableCallback : Callback, IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
