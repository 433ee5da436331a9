using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.TestKit;
using TorchSharp;
using Xunit;
using static TorchSharp.torch.nn;

namespace DataBlocks.Tests;

/// <summary>
/// fastai's trackers (fastai/callback/tracker.py) against a metric whose value each epoch is scripted, so that every
/// improvement, min_delta and patience decision can be worked out by hand.
/// </summary>
[Collection("Torch")]
public class TrackerTests
{
    /// <summary>A metric that reads its value of the n-th validation from a script.</summary>
    private sealed class Scripted(string name, params double[] values) : IMetric
    {
        private int _validation = -1;

        public string Name => name;

        public void Reset() => _validation++;

        public void Accumulate(torch.Tensor prediction, torch.Tensor target) { }

        public double Value => values[_validation];
    }

    /// <summary>A tracker that writes down what it was told after each epoch.</summary>
    private sealed class Probe(string monitor, bool? lowerIsBetter = null, double minDelta = 0) : TrackerCallback(monitor, lowerIsBetter, minDelta)
    {
        public List<(double Value, bool Improved, int BestEpoch)> Seen { get; } = [];

        protected override void OnEpochEnd(double value, bool improved) => Seen.Add((value, improved, BestEpoch));
    }

    /// <summary>Copies the weights at the end of each epoch (after the trackers).</summary>
    private sealed class WeightsByEpoch : Callback
    {
        public List<torch.Tensor[]> Epochs { get; } = [];

        public override int Order => 90;

        public override void AfterEpoch() => Epochs.Add(TinyRegression.Weights(Learner));
    }

    private static Learner Make(TempDir dir, TextWriter? output, params IMetric[] metrics) =>
        new(TinyRegression.Loaders(), Linear(1, 1), metrics: metrics,
            options: new LearnerOptions { Path = dir.Path, Output = output, Progress = ProgressMode.Silent });

    private static bool SameWeights(torch.Tensor[] a, torch.Tensor[] b) => a.Zip(b).All(p => p.First.equal(p.Second).item<bool>());

    [Fact]
    public void The_Direction_Comes_From_The_Name_Unless_Given()
    {
        Assert.True(new Probe("valid_loss").LowerIsBetter);
        Assert.True(new Probe("error_rate").LowerIsBetter);
        Assert.False(new Probe("accuracy").LowerIsBetter);
        Assert.False(new Probe("valid_loss", lowerIsBetter: false).LowerIsBetter);
        Assert.True(new Probe("accuracy", lowerIsBetter: true).LowerIsBetter);
        Assert.Equal(-1, new Probe("valid_loss").BestEpoch);
    }

    [Fact]
    public void Higher_Is_Better_Needs_More_Than_Best_Plus_MinDelta()
    {
        using var dir = new TempDir();
        using var learn = Make(dir, null, new Scripted("score", 1.0, 1.5, 2.25, 2.5));
        var probe = new Probe("score", minDelta: 0.5);
        learn.Fit(4, 0.0, callbacks: [probe]);
        // 1 beats -inf; 1.5 is not above 1 + 0.5; 2.25 is; 2.5 is not above 2.75.
        Assert.Equal([(1.0, true, 0), (1.5, false, 0), (2.25, true, 2), (2.5, false, 2)], probe.Seen);
        Assert.Equal((2.25, 2), (probe.Best, probe.BestEpoch));
    }

    [Fact]
    public void Lower_Is_Better_Needs_Less_Than_Best_Minus_MinDelta()
    {
        using var dir = new TempDir();
        using var learn = Make(dir, null, new Scripted("my_loss", 2.0, 1.75, 1.0, 0.5));
        var probe = new Probe("my_loss", minDelta: 0.5);
        learn.Fit(4, 0.0, callbacks: [probe]);
        Assert.Equal([(2.0, true, 0), (1.75, false, 0), (1.0, true, 2), (0.5, false, 2)], probe.Seen);
    }

    [Fact]
    public void Each_Fit_Starts_From_No_Best()
    {
        using var dir = new TempDir();
        using var learn = Make(dir, null, new Scripted("score", -3, -4, -5, double.NaN));
        var probe = new Probe("score");
        learn.Fit(2, 0.0, callbacks: [probe]);
        Assert.Equal([(-3.0, true, 0), (-4.0, false, 0)], probe.Seen);      // -3 beats -inf
        learn.Fit(1, 0.0, callbacks: [probe]);
        Assert.Equal((-5.0, true, 0), probe.Seen[^1]);                       // the best was reset: -5 beats -inf again
        learn.Fit(1, 0.0, callbacks: [probe]);
        Assert.Equal(-1, probe.BestEpoch);                                   // NaN improves on nothing
        Assert.False(probe.Seen[^1].Improved);
    }

    [Fact]
    public void The_Train_Loss_Can_Be_Watched_And_An_Unknown_Column_Is_Refused()
    {
        using var dir = new TempDir();
        using var learn = Make(dir, null);
        var probe = new Probe("train_loss");
        learn.Fit(2, 1e-2, callbacks: [probe]);
        Assert.Equal(learn.History.Select(r => r.TrainLoss), probe.Seen.Select(s => s.Value));

        using var scored = Make(dir, null, new Scripted("score", 1, 2), new Scripted("f1", 1, 2));
        var e = Assert.Throws<ArgumentException>(() => scored.Fit(1, 0.0, callbacks: [new Probe("accuracy")]));
        Assert.Equal("Probe monitors 'accuracy', which is not a column of the table (train_loss, valid_loss, score, f1).", e.Message);
        scored.Fit(1, 0.0, callbacks: [new Probe("score")]);                 // a metric's name is a column
    }

    [Theory]
    [InlineData(1, 3, 2, 1)]
    [InlineData(3, 1, 2, 0)]
    public void SaveModel_Saves_Each_Improvement_And_Loads_The_Best_At_The_End(double v0, double v1, double v2, int best)
    {
        using var dir = new TempDir();
        var output = new StringWriter();
        using var learn = Make(dir, output, new Scripted("score", v0, v1, v2));
        var weights = new WeightsByEpoch();
        learn.Fit(3, 1e-1, callbacks: [new SaveModelCallback(monitor: "score"), weights]);
        Assert.True(SameWeights(weights.Epochs[best], TinyRegression.Weights(learn)));
        Assert.False(SameWeights(weights.Epochs[2], TinyRegression.Weights(learn)));
        Assert.Contains(FormattableString.Invariant($"Better model found at epoch {best} with score value: {Math.Max(v0, v1)}."), output.ToString());
    }

    [Fact]
    public void SaveModel_Every_Epoch_Saves_Numbered_Files_And_Loads_Nothing()
    {
        using var dir = new TempDir();
        var output = new StringWriter();
        using var learn = Make(dir, output, new Scripted("score", 3, 1));
        var weights = new WeightsByEpoch();
        learn.Fit(2, 1e-1, callbacks: [new SaveModelCallback(monitor: "score", name: "snap", everyEpoch: true), weights]);
        Assert.True(File.Exists(learn.WeightsPath("snap_0")));
        Assert.True(File.Exists(learn.WeightsPath("snap_1")));
        Assert.False(File.Exists(learn.WeightsPath("snap")));
        Assert.True(SameWeights(weights.Epochs[1], TinyRegression.Weights(learn)));
        Assert.DoesNotContain("Better model", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EarlyStopping_Waits_Patience_Epochs_Without_Improvement_And_Says_Since_When()
    {
        using var dir = new TempDir();
        var output = new StringWriter();
        using var learn = Make(dir, output, new Scripted("score", 1, 2, 2, 2, 5));
        var rows = learn.Fit(5, 0.0, callbacks: [new EarlyStoppingCallback("score", patience: 2)]);
        Assert.Equal(4, rows.Count);
        Assert.Contains("No improvement since epoch 1: early stopping", output.ToString());
    }

    [Fact]
    public void EarlyStopping_State_Is_Best_Best_Epoch_And_Wait()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(1.5);
            w.Write(3);
            w.Write(2);
        }
        byte[] written = stream.ToArray();
        var stopper = new EarlyStoppingCallback();
        stream.Position = 0;
        using (var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true)) stopper.ReadState(r);
        Assert.Equal((1.5, 3), (stopper.Best, stopper.BestEpoch));
        using var again = new MemoryStream();
        using (var w = new BinaryWriter(again, System.Text.Encoding.UTF8, leaveOpen: true)) stopper.WriteState(w);
        Assert.Equal(written, again.ToArray());
    }
}
