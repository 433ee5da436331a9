using System;

namespace DataBlocks.Learning;

/// <summary>
/// Shows the fit: fastai's epoch table and, on an interactive terminal, a live bar with the phase, batches, elapsed time,
/// ETA and smoothed loss; plain table lines when output is redirected. Order 70; the rows are written when the recorder
/// makes them (order 50), so a tracker that stops the fit (order 60) does not hide the last row. fastai:
/// <c>ProgressCallback</c> as the recorder's logger.
/// </summary>
public sealed class ProgressCallback : Callback
{
    private FitProgress? _display;

    /// <inheritdoc />
    public override int Order => 70;

    /// <summary>Runs the fit inside the display (the live bar needs to wrap the loop).</summary>
    internal void Run(Action fit)
    {
        var table = new EpochTable(Learner.Recorder.MetricNames);
        _display = FitProgress.Create(Learner.Options.Progress, Learner.Options.Output);
        var display = _display;
        Learner.RowLogger = row => display.Row(table.Row(row));
        try
        {
            _display.Run(table.Header, fit);
        }
        finally
        {
            Learner.RowLogger = null;
            _display = null;
        }
    }

    /// <inheritdoc />
    public override void AfterBatch() =>
        _display?.Batch(Learner.Training ? "train" : "valid", Learner.Epoch, Learner.NEpoch, Learner.Iter + 1, Learner.NIter,
            Learner.Training ? Learner.Recorder.SmoothLoss : null);
}
