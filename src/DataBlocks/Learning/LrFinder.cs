using System;
using System.Collections.Generic;
using System.Linq;

namespace DataBlocks.Learning;

/// <summary>
/// The learning-rate finder's schedule: exponential from <c>startLr</c> to <c>endLr</c> over <c>numIt</c> training batches,
/// stopping early when the smoothed loss exceeds four times its best; validation is skipped. fastai: <c>LRFinder</c>.
/// </summary>
public sealed class LrFinderCallback(double startLr, double endLr, int numIt, bool stopDiv)
    : ParamScheduler(Same(Sched.Exp(startLr, endLr)))
{
    private double _best = double.PositiveInfinity;

    /// <summary>Why the run stopped, for the result.</summary>
    public bool Diverged { get; private set; }

    /// <inheritdoc />
    protected override double Position => (double)Learner.TrainIter / numIt;

    /// <inheritdoc />
    public override void BeforeValidate() => throw new CancelValidException();

    /// <inheritdoc />
    public override void AfterBatch()
    {
        double smooth = Learner.Recorder.SmoothLoss;
        if (smooth < _best) _best = smooth;
        if (stopDiv && (smooth > 4 * _best || double.IsNaN(smooth)))
        {
            Diverged = true;
            throw new CancelFitException("The loss diverged.");
        }
        if (Learner.TrainIter + 1 >= numIt) throw new CancelFitException("Done.");
    }
}

/// <summary>
/// What the learning-rate finder saw: the learning rate and smoothed loss of every batch, and fastai's suggestions.
/// fastai: the <c>SuggestedLRs</c> of <c>lr_find(suggest_funcs=(valley, minimum, steep, slide))</c>.
/// </summary>
public sealed record LrFindResult(IReadOnlyList<double> Lrs, IReadOnlyList<double> Losses, double Valley, double Minimum, double Steep, double Slide,
    bool Diverged, string? PlotPath)
{
    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"valley {Valley:G3}, minimum {Minimum:G3}, steep {Steep:G3}, slide {Slide:G3}");
}

/// <summary>fastai's learning-rate suggestions, computed exactly as <c>fastai/callback/schedule.py</c> does.</summary>
public static class LrSuggestions
{
    /// <summary>
    /// The points the suggestions look at: drop the first <c>numIt/10</c> and the last 5, then everything from the first
    /// NaN loss on.
    /// </summary>
    public static (double[] Lrs, double[] Losses) Trim(IReadOnlyList<double> lrs, IReadOnlyList<double> losses, int numIt)
    {
        int start = numIt / 10, end = Math.Min(lrs.Count, losses.Count) - 5;
        if (end <= start) return ([], []);
        var l = lrs.Skip(start).Take(end - start).ToArray();
        var s = losses.Skip(start).Take(end - start).ToArray();
        int nan = Array.FindIndex(s, double.IsNaN);
        return nan < 0 ? (l, s) : (l[..nan], s[..nan]);
    }

    /// <summary>
    /// <c>valley</c> (fastai's default): the longest run of decreasing losses (longest strictly decreasing subsequence
    /// ending at each point), and the lr about two-thirds down it.
    /// </summary>
    public static double Valley(double[] lrs, double[] losses)
    {
        int n = losses.Length;
        if (n == 0) return double.NaN;
        int maxStart = 0, maxEnd = 0;
        var lds = Enumerable.Repeat(1, n).ToArray();
        for (int i = 1; i < n; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
                if (lds[maxEnd] < lds[i])
                {
                    maxEnd = i;
                    maxStart = maxEnd - lds[maxEnd];
                }
            }
        }
        double sections = (maxEnd - maxStart) / 3.0;
        int idx = maxStart + (int)sections + (int)(sections / 2);
        return lrs[Math.Clamp(idx, 0, n - 1)];
    }

    /// <summary><c>minimum</c>: the lr of the lowest loss, divided by 10.</summary>
    public static double Minimum(double[] lrs, double[] losses) =>
        losses.Length == 0 ? double.NaN : lrs[ArgMin(losses)] / 10;

    /// <summary><c>steep</c>: the lr where the loss falls fastest per unit of log-lr.</summary>
    public static double Steep(double[] lrs, double[] losses)
    {
        if (losses.Length < 2) return double.NaN;
        var grads = new double[losses.Length - 1];
        for (int i = 0; i < grads.Length; i++)
            grads[i] = (losses[i + 1] - losses[i]) / (Math.Log(lrs[i + 1]) - Math.Log(lrs[i]));
        return lrs[ArgMin(grads)];
    }

    /// <summary>
    /// <c>slide</c>: walking left from the end with a window of <paramref name="lrDiff"/> points, the first lr where the
    /// loss gradient flattens to within <paramref name="thresh"/>.
    /// </summary>
    public static double Slide(double[] lrs, double[] losses, int lrDiff = 15, double thresh = 0.005, double adjustValue = 1.0)
    {
        int n = losses.Length;
        if (n <= lrDiff) return double.NaN;
        var grad = Gradient(losses);
        int right = n - 1, left = right - lrDiff;
        double local = lrs[left];
        while (left >= 0 && Math.Abs(grad[right] - grad[left]) > thresh)
        {
            local = lrs[left];
            right--;
            left--;
        }
        return local * adjustValue;
    }

    /// <summary>NumPy's <c>gradient</c> with unit spacing: central differences inside, one-sided at the ends.</summary>
    internal static double[] Gradient(double[] f)
    {
        int n = f.Length;
        var g = new double[n];
        if (n < 2) return g;
        g[0] = f[1] - f[0];
        g[n - 1] = f[n - 1] - f[n - 2];
        for (int i = 1; i < n - 1; i++) g[i] = (f[i + 1] - f[i - 1]) / 2;
        return g;
    }

    private static int ArgMin(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] < values[best]) best = i;
        return best;
    }
}
