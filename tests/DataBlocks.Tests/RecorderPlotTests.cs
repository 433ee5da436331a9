using System.IO;
using System.Linq;
using DataBlocks.Learning;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>What the recorder's plots show, given a recorded fit (restored from hand-written state).</summary>
public class RecorderPlotTests
{
    /// <summary>The recorder's state as it is written: smoothing sum and count, the four per-batch lists, the epoch ends.</summary>
    private static Recorder Restored(Recorder recorder, double[] losses, double[] lrs, double[] moms, (int Iteration, double Valid)[] ends)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(0.0);
            w.Write(losses.Length);
            foreach (var list in new[] { losses, losses, lrs, moms })
            {
                w.Write(list.Length);
                foreach (double v in list) w.Write(v);
            }
            w.Write(ends.Length);
            foreach (var (iteration, valid) in ends)
            {
                w.Write(iteration);
                w.Write(valid);
            }
        }
        stream.Position = 0;
        using var r = new BinaryReader(stream);
        recorder.ReadState(r);
        return recorder;
    }

    private static void AssertSeries(string label, double[] x, double[] y, PlotSeries series)
    {
        Assert.Equal(label, series.Label);
        Assert.Equal(x, series.X);
        Assert.Equal(y, series.Y);
    }

    [Fact]
    public void PlotLoss_Shows_Train_Loss_After_SkipStart_And_Valid_Loss_At_Each_Epoch_End()
    {
        var recorder = Restored(new Recorder(), [5, 4, 3, 2, 1], [0.1, 0.1, 0.1, 0.1, 0.1], [0.9, 0.9, 0.9, 0.9, 0.9], [(3, 2.5), (5, 1.5)]);
        var plot = recorder.LossPlot(skipStart: 2);
        Assert.Equal(("Loss", "iteration", "loss"), (plot.Title, plot.XLabel, plot.YLabel));
        Assert.Equal(2, plot.Series.Count);
        AssertSeries("train", new double[] { 2, 3, 4 }, new double[] { 3, 2, 1 }, plot.Series[0]);
        AssertSeries("valid", new double[] { 3, 5 }, new double[] { 2.5, 1.5 }, plot.Series[1]);
        Assert.Equal(["train"], recorder.LossPlot(skipStart: 2, withValid: false).Series.Select(s => s.Label));

        var noEpoch = Restored(new Recorder(), [5, 4], [0.1, 0.1], [0.9, 0.9], []);
        Assert.Equal(["train"], noEpoch.LossPlot(skipStart: 0).Series.Select(s => s.Label));
    }

    [Fact]
    public void PlotLr_Shows_The_Lr_By_Iteration()
    {
        var plot = Restored(new Recorder(), [1, 1, 1], [0.1, 0.2, 0.4], [0.9, 0.9, 0.9], []).LrPlot();
        Assert.Equal(("Learning rate", "iteration", "learning rate"), (plot.Title, plot.XLabel, plot.YLabel));
        var line = Assert.Single(plot.Series);
        AssertSeries("lr", new double[] { 0, 1, 2 }, new[] { 0.1, 0.2, 0.4 }, line);
    }

    [Fact]
    public void PlotSched_Shows_The_Lr_Relative_To_Its_Peak_And_The_Momentum()
    {
        var plot = Restored(new Recorder(), [1, 1, 1], [0.1, 0.4, 0.2], [0.95, 0.85, 0.9], []).SchedPlot();
        Assert.Equal(("Schedule (lr relative to its peak 0.4)", "iteration", "value"), (plot.Title, plot.XLabel, plot.YLabel));
        Assert.Equal(2, plot.Series.Count);
        AssertSeries("lr / peak", new double[] { 0, 1, 2 }, new[] { 0.25, 1, 0.5 }, plot.Series[0]);
        AssertSeries("momentum", new double[] { 0, 1, 2 }, new[] { 0.95, 0.85, 0.9 }, plot.Series[1]);
        Assert.Equal("Schedule (lr relative to its peak 0.123)", Restored(new Recorder(), [1], [0.123456], [0.9], []).SchedPlot().Title);
        Assert.Equal("Schedule (lr relative to its peak 1)", new Recorder().SchedPlot().Title);   // nothing recorded: no peak to divide by
    }

    [Fact]
    public void Reading_State_Replaces_What_Was_Recorded()
    {
        var recorder = Restored(new Recorder(), [5, 4, 3], [0.1, 0.2, 0.3], [0.9, 0.8, 0.7], [(3, 2.5)]);
        Restored(recorder, [7], [0.5], [0.6], [(1, 6.5)]);
        Assert.Equal([7], recorder.Losses);
        Assert.Equal([0.5], recorder.Lrs);
        Assert.Equal([0.6], recorder.Moms);
        var valid = recorder.LossPlot(skipStart: 0).Series[1];
        AssertSeries("valid", [1], [6.5], valid);
    }
}
