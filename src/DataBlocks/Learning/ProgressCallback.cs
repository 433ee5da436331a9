using System;

namespace DataBlocks.Learning;

/// <summary>
/// Shows the fit: fastai's epoch table and, on an interactive terminal, a live bar with the phase, batches, elapsed time,
/// ETA and smoothed loss; plain table lines when output is redirected. The learner adds it. Order 70; the rows are written
/// when the recorder makes them (order 50, <see cref="Recorder.RowAdded"/>), so a tracker that stops the fit (order 60)
/// does not hide the last row. fastai: <c>ProgressCallback</c> as the recorder's logger.
/// </summary>
public sealed class ProgressCallback : Callback
{
    private FitProgress? _display;

    /// <inheritdoc />
    public override int Order => 70;

    /// <summary>Runs the fit inside the display (the live bar wraps the loop), showing each row as the recorder adds it.</summary>
    public override void AroundFit(Action fit)
    {
        var table = new EpochTable(Learner.Recorder.MetricNames);
        var display = FitProgress.Create(Learner.Options.Progress, Learner.Options.Output);
        void Show(EpochResult row) => display.Row(table.Row(row));
        Learner.Recorder.RowAdded += Show;
        _display = display;
        try
        {
            display.Run(table.Header, fit);
        }
        finally
        {
            Learner.Recorder.RowAdded -= Show;
            _display = null;
        }
    }

    /// <inheritdoc />
    public override void AfterBatch() =>
        _display?.Batch(Learner.Training ? "train" : "valid", Learner.Epoch, Learner.NEpoch, Learner.Iter + 1, Learner.NIter,
            Learner.Training ? Learner.Recorder.SmoothLoss : null);
}
