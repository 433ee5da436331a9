using System;

namespace DataBlocks.Learning;

/// <summary>
/// Shows the fit: fastai's epoch table and, on an interactive terminal, a live bar with the phase, batches, elapsed time,
/// ETA and smoothed loss; plain table lines when output is redirected. Order 70 (after the recorder). fastai:
/// <c>ProgressCallback</c>.
/// </summary>
public sealed class ProgressCallback : Callback
{
    private FitProgress? _display;
    private EpochTable? _table;

    /// <inheritdoc />
    public override int Order => 70;

    /// <summary>Runs the fit inside the display (the live bar needs to wrap the loop).</summary>
    internal void Run(Action fit)
    {
        _table = new EpochTable(Learner.Recorder.MetricNames);
        _display = FitProgress.Create(Learner.Options.Progress, Learner.Options.Output);
        try
        {
            _display.Run(_table.Header, fit);
        }
        finally
        {
            _display = null;
        }
    }

    /// <inheritdoc />
    public override void AfterBatch() =>
        _display?.Batch(Learner.Training ? "train" : "valid", Learner.Epoch, Learner.NEpoch, Learner.Iter + 1, Learner.NIter,
            Learner.Training ? Learner.Recorder.SmoothLoss : null);

    /// <inheritdoc />
    public override void AfterEpoch()
    {
        if (_display is null || _table is null || Learner.Recorder.History.Count == 0) return;
        _display.Row(_table.Row(Learner.Recorder.History[^1]));
    }
}
