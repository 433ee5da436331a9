using System;
using System.Linq;
using DataBlocks.Learning;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>
/// The learning-rate finder's pieces on small hand-made curves, each expected value worked out by hand from fastai's
/// definitions (fastai/callback/schedule.py: <c>valley</c>, <c>minimum</c>, <c>steep</c>, <c>slide</c>, <c>LRFinder</c>).
/// </summary>
public class LrSuggestionTests
{
    private static double[] Lrs(int n) => Enumerable.Range(1, n).Select(i => i / 100.0).ToArray();

    [Fact]
    public void The_Finder_Stops_Once_The_Smoothed_Loss_Passes_Four_Times_Its_Best_Or_Is_NaN()
    {
        var finder = new LrFinderCallback(1e-7, 10, 100, stopDiv: true);
        Assert.False(finder.Diverges(3));
        Assert.False(finder.Diverges(2));      // best 2
        Assert.False(finder.Diverges(5));      // 5 < 8: still going (4 / best would be 2)
        Assert.False(finder.Diverges(8));      // exactly 4 x best: not above it
        Assert.True(finder.Diverges(8.5));

        var rising = new LrFinderCallback(1e-7, 10, 100, stopDiv: true);
        Assert.False(rising.Diverges(1));
        Assert.False(rising.Diverges(3));      // the best stays 1, not the latest value
        Assert.True(rising.Diverges(4.5));

        var nan = new LrFinderCallback(1e-7, 10, 100, stopDiv: true);
        Assert.False(nan.Diverges(1));
        Assert.True(nan.Diverges(double.NaN));

        var on = new LrFinderCallback(1e-7, 10, 100, stopDiv: false);
        Assert.False(on.Diverges(1));
        Assert.False(on.Diverges(100));
        Assert.False(on.Diverges(double.NaN));
    }

    [Fact]
    public void Trim_Drops_The_First_Tenth_The_Last_Five_And_Everything_From_The_First_NaN()
    {
        var lrs = Lrs(20);
        var losses = Enumerable.Range(0, 18).Select(i => 100.0 - i).ToArray();   // two losses fewer than lrs
        var (l, s) = LrSuggestions.Trim(lrs, losses, numIt: 20);                 // [20/10, 18 - 5) = [2, 13)
        Assert.Equal(lrs[2..13], l);
        Assert.Equal(losses[2..13], s);

        losses[6] = double.NaN;
        (l, s) = LrSuggestions.Trim(lrs, losses, numIt: 20);
        Assert.Equal(lrs[2..6], l);
        Assert.Equal(losses[2..6], s);

        losses[2] = double.NaN;                                                  // NaN at the first point kept: nothing left
        (l, s) = LrSuggestions.Trim(lrs, losses, numIt: 20);
        Assert.Empty(l);
        Assert.Empty(s);
    }

    [Fact]
    public void Valley_Counts_Only_Strict_Decreases_And_Keeps_The_First_Longest_Valley()
    {
        // Longest strictly decreasing run lengths: 1 2 2 3 4 1 1 → ends at 4, "start" 4 - 4 = 0; 4/3 → 0 + 1 + 0 = 1.
        Assert.Equal(0.02, LrSuggestions.Valley(Lrs(7), [5, 4, 4, 3, 2, 6, 7]));
        // Two valleys of length 3 (5 4 3 and 9 8 7): the first wins; start 2 - 3 = -1, 3/3 → -1 + 1 + 0 = 0.
        Assert.Equal(0.01, LrSuggestions.Valley(Lrs(7), [5, 4, 3, 9, 8, 7, 10]));
    }

    [Fact]
    public void Minimum_Is_The_First_Lowest_Losses_Lr_Over_Ten()
    {
        Assert.Equal(0.002, LrSuggestions.Minimum(Lrs(4), [2, 1, 3, 1]), 15);
        Assert.True(double.IsNaN(LrSuggestions.Minimum([], [])));
    }

    [Fact]
    public void Steep_Divides_The_Loss_Drop_By_The_Log_Lr_Step()
    {
        // Drops per unit of log-lr: -1/ln 2 = -1.44, -0.1/ln 1.25 = -0.45, -1.9/ln 4 = -1.37: the first is steepest.
        // (Multiplying by the log step instead would pick the third.)
        Assert.Equal(1, LrSuggestions.Steep([1, 2, 2.5, 10], [3, 2, 1.9, 0]));
        Assert.Equal(1, LrSuggestions.Steep([1, 2], [3, 1]));                // two points: one slope, at the first lr
    }

    [Fact]
    public void Slide_Walks_Left_From_The_End_Until_The_Gradient_Flattens()
    {
        var line = Enumerable.Range(0, 20).Select(i => 100.0 - 2 * i).ToArray();   // gradient -2 everywhere
        // |grad[19] - grad[4]| = 0 <= 0.005 at once: lrs[19 - 15].
        Assert.Equal(0.05, LrSuggestions.Slide(Lrs(20), line));
        Assert.Equal(0.05, LrSuggestions.Slide(Lrs(20), line, thresh: 0));          // "flat" includes equal
        Assert.Equal(0.1, LrSuggestions.Slide(Lrs(20), line, adjustValue: 2));
        // i²: gradient 1, 2, 4, ..., 30, 31 — never flat: the walk runs to the first point.
        var parabola = Enumerable.Range(0, 17).Select(i => (double)(i * i)).ToArray();
        Assert.Equal(0.01, LrSuggestions.Slide(Lrs(17), parabola));
        Assert.True(double.IsNaN(LrSuggestions.Slide(Lrs(15), line[..15])));       // no room for the 15-point window
    }

    [Fact]
    public void Gradient_Is_NumPys_Central_Differences_With_One_Sided_Ends()
    {
        Assert.Equal([3, 4, 6, 7], LrSuggestions.Gradient([1, 4, 9, 16]));
        Assert.Equal([3, 3], LrSuggestions.Gradient([2, 5]));
        Assert.Equal([0], LrSuggestions.Gradient([7]));
    }

    [Fact]
    public void The_Plot_Shows_The_Curve_Less_Its_End_And_Marks_Each_Suggestion_At_Its_Loss()
    {
        var result = new LrFindResult([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4], [9, 8, 7, 6, 5, 4, 3],
            Valley: 0.4, Minimum: 0.05, Steep: 0.3, Slide: 100, Diverged: false, PlotPath: null);
        var plot = LrFinder.LrFindPlot(result, skipEnd: 2);
        Assert.Equal(("Learning rate finder", "learning rate (log scale)", "loss (smoothed)", true), (plot.Title, plot.XLabel, plot.YLabel, plot.LogX));
        var line = Assert.Single(plot.Series);
        Assert.Equal("", line.Label);
        Assert.Equal([0.1, 0.2, 0.4, 0.8, 1.6], line.X);
        Assert.Equal([9, 8, 7, 6, 5], line.Y);
        // Each marker sits at the loss of the first lr at or above it; one beyond the last lr has no loss.
        Assert.Equal(
            [new PlotMarker("valley 0.4", 0.4, 7), new PlotMarker("minimum/10 0.05", 0.05, 9), new PlotMarker("steep 0.3", 0.3, 7),
             new PlotMarker("slide 100", 100, double.NaN)],
            plot.Markers!);
        Assert.Empty(Assert.Single(LrFinder.LrFindPlot(result, skipEnd: 10).Series).X);
    }
}
