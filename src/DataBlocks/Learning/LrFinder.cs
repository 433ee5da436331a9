using System;
using System.Collections.Generic;
using System.Linq;

namespace DataBlocks.Learning;

/// <summary>The learning-rate finder on a learner. fastai: <c>lr_find</c>, <c>plot_lr_find</c>.</summary>
public static class LrFinder
{
    /// <summary>
    /// The learning-rate finder: trains with an exponentially growing learning rate from <paramref name="startLr"/> to
    /// <paramref name="endLr"/> over <paramref name="numIt"/> batches (stopping early when the loss diverges), records the
    /// smoothed loss, restores the model and optimizer exactly as they were, and suggests learning rates (valley, minimum,
    /// steep, slide). With <paramref name="plotPath"/>, writes the loss-vs-lr plot (log x axis, suggestions marked).
    /// fastai: <c>lr_find(start_lr=1e-7, end_lr=10, num_it=100, stop_div=True)</c>.
    /// </summary>
    public static LrFindResult LrFind(this Learner learn, double startLr = 1e-7, double endLr = 10, int numIt = 100, bool stopDiv = true, string? plotPath = null)
    {
        numIt = Math.Max(numIt, 6);
        int epochs = numIt / Math.Max(1, learn.Dls.Train.Count) + 1;
        var finder = new LrFinderCallback(startLr, endLr, numIt, stopDiv);
        int rows = learn.History.Count;
        // fastai runs lr_find with logging off, and its trackers stand down (they would stop it early or save its weights);
        // the loss may become NaN on purpose, so the NaN guard stands down too (NaN points are trimmed below).
        var benched = learn.Callbacks.Where(c => c is ProgressCallback or TrackerCallback or TerminateOnNaNCallback).ToArray();
        foreach (var c in benched) learn.RemoveCallback(c);
        double[] lrs, losses;
        var saved = learn.Snapshot();
        {
            try
            {
                learn.RunFit(epochs, startLr, null, [finder], resetOpt: false, 0);
            }
            finally
            {
                foreach (var c in benched) learn.AddCallback(c);
                saved.Restore();
                learn.Recorder.RestoreHistory(learn.History.Take(rows).ToArray());
            }
            lrs = learn.Recorder.Lrs.ToArray();
            losses = learn.Recorder.Losses.ToArray();
        }
        var (l, s) = LrSuggestions.Trim(lrs, losses, numIt);
        var result = new LrFindResult(lrs, losses, LrSuggestions.Valley(l, s), LrSuggestions.Minimum(l, s), LrSuggestions.Steep(l, s),
            LrSuggestions.Slide(l, s), finder.Diverged, null);
        if (plotPath is not null) result = result with { PlotPath = Learner.PlotLrFind(result, plotPath) };
        return result;
    }

    /// <summary>What <c>PlotLrFind</c> draws: the curve without its last <paramref name="skipEnd"/> points, and the suggestions.</summary>
    internal static LinePlot LrFindPlot(LrFindResult result, int skipEnd = 5)
    {
        int n = Math.Max(0, result.Lrs.Count - skipEnd);
        double LossAt(double lr)
        {
            int i = Array.FindIndex(result.Lrs.ToArray(), v => v >= lr);
            return i < 0 ? double.NaN : result.Losses[i];
        }
        var markers = new[]
        {
            new PlotMarker(FormattableString.Invariant($"valley {result.Valley:G3}"), result.Valley, LossAt(result.Valley)),
            new PlotMarker(FormattableString.Invariant($"minimum/10 {result.Minimum:G3}"), result.Minimum, LossAt(result.Minimum)),
            new PlotMarker(FormattableString.Invariant($"steep {result.Steep:G3}"), result.Steep, LossAt(result.Steep)),
            new PlotMarker(FormattableString.Invariant($"slide {result.Slide:G3}"), result.Slide, LossAt(result.Slide)),
        };
        return new LinePlot("Learning rate finder", "learning rate (log scale)", "loss (smoothed)",
            [new PlotSeries("", result.Lrs.Take(n).ToArray(), result.Losses.Take(n).ToArray())], LogX: true, markers);
    }

    extension(Learner)
    {
        /// <summary>Writes the learning-rate finder's plot: smoothed loss against learning rate (log scale), suggestions marked. fastai: <c>plot_lr_find</c>.</summary>
        public static string PlotLrFind(LrFindResult result, string path, int skipEnd = 5) => LrFinder.LrFindPlot(result, skipEnd).Write(path);
    }
}

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
        if (Diverges(Learner.Recorder.SmoothLoss))
        {
            Diverged = true;
            throw new CancelFitException("The loss diverged.");
        }
        if (Learner.TrainIter + 1 >= numIt) throw new CancelFitException("Done.");
    }

    /// <summary>Takes the next smoothed loss; true when the run must stop: above four times the best so far, or NaN (with stopDiv).</summary>
    internal bool Diverges(double smooth)
    {
        if (smooth < _best) _best = smooth;
        return stopDiv && (smooth > 4 * _best || double.IsNaN(smooth));
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
    /// ending at each point), and the lr about two-thirds down it. Where fastai's index comes out as −1 (a run that starts
    /// at the first point: <c>max_start = max_end − lds[max_end]</c>), Python reads the last lr; this takes the first.
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
