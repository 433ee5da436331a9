using System;
using System.IO;
using System.Linq;
using TorchSharp;

namespace DataBlocks.Learning;

public sealed partial class Learner
{
    /// <summary>
    /// The learning-rate finder: trains with an exponentially growing learning rate from <paramref name="startLr"/> to
    /// <paramref name="endLr"/> over <paramref name="numIt"/> batches (stopping early when the loss diverges), records the
    /// smoothed loss, restores the model and optimizer exactly as they were, and suggests learning rates (valley, minimum,
    /// steep, slide). With <paramref name="plotPath"/>, writes the loss-vs-lr plot (log x axis, suggestions marked).
    /// fastai: <c>lr_find(start_lr=1e-7, end_lr=10, num_it=100, stop_div=True)</c>.
    /// </summary>
    public LrFindResult LrFind(double startLr = 1e-7, double endLr = 10, int numIt = 100, bool stopDiv = true, string? plotPath = null)
    {
        numIt = Math.Max(numIt, 6);
        int epochs = numIt / Math.Max(1, Dls.Train.Count) + 1;
        if (_opt is null) CreateOptimizer();
        var finder = new LrFinderCallback(startLr, endLr, numIt, stopDiv);
        int rows = History.Count;
        // fastai runs lr_find with logging off, and its trackers stand down (they would stop it early or save its weights).
        var benched = _callbacks.Where(c => c is ProgressCallback or TrackerCallback).ToArray();
        foreach (var c in benched) RemoveCallback(c);
        using var saved = Snapshot();
        _findingLr = true;   // the loss may become NaN on purpose: no divergence guard; NaN points are trimmed below
        try
        {
            RunFit(epochs, startLr, null, [finder], resetOpt: false, 0);
        }
        finally
        {
            _findingLr = false;
            saved.Restore();
            Recorder.RestoreHistory(History.Take(rows).ToArray());
            foreach (var c in benched) AddCallback(c);
        }

        var lrs = Recorder.Lrs.ToArray();
        var losses = Recorder.Losses.ToArray();
        var (l, s) = LrSuggestions.Trim(lrs, losses, numIt);
        var result = new LrFindResult(lrs, losses, LrSuggestions.Valley(l, s), LrSuggestions.Minimum(l, s), LrSuggestions.Steep(l, s),
            LrSuggestions.Slide(l, s), finder.Diverged, null);
        if (plotPath is not null) result = result with { PlotPath = PlotLrFind(result, plotPath) };
        return result;
    }

    /// <summary>Writes the learning-rate finder's plot: smoothed loss against learning rate (log scale), suggestions marked. fastai: <c>plot_lr_find</c>.</summary>
    public static string PlotLrFind(LrFindResult result, string path, int skipEnd = 5)
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
        return Plots.Line(path, "Learning rate finder", "learning rate (log scale)", "loss (smoothed)",
            [new PlotSeries("", result.Lrs.Take(n).ToArray(), result.Losses.Take(n).ToArray())], logX: true, markers);
    }

    /// <summary>
    /// A copy of the weights (the fp32 masters under mixed precision), the optimizer state and the loss scale, to put back
    /// later (the lr finder's temporary save).
    /// </summary>
    private StateSnapshot Snapshot()
    {
        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            WriteWeights(w, withOpt: true);
            w.Write(_mixed is not null);
            _mixed?.WriteState(w);
        }
        return new StateSnapshot(this, stream);
    }

    private sealed class StateSnapshot(Learner learner, MemoryStream stream) : IDisposable
    {
        public void Restore()
        {
            stream.Position = 0;
            using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            learner.ReadWeights(r, "the learner's snapshot", withOpt: true);
            if (r.ReadBoolean()) learner._mixed?.ReadState(r);
        }

        public void Dispose() => stream.Dispose();
    }
}
