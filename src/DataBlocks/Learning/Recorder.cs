using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using TorchSharp;

namespace DataBlocks.Learning;

/// <summary>
/// Records what fastai's recorder does: after every training batch the smoothed loss, the learning rate and momentum
/// of the last group; over validation the loss (weighted by batch size) and the metrics; after every epoch a row of
/// the table. The learner adds it; validation outside a fit (<see cref="Learner.RunValidation"/>) goes through it too, so
/// losses and metrics are computed here only. Order 50. fastai: <c>Recorder</c> with <c>AvgSmoothLoss(beta=0.98)</c> and <c>AvgLoss</c>.
/// </summary>
public sealed class Recorder : Callback
{
    private readonly List<double> _losses = [], _rawLosses = [], _lrs = [], _moms = [];
    private readonly List<EpochResult> _history = [];
    private readonly Stopwatch _clock = new();
    private double _smooth;
    private int _count;
    private double _validSum;
    private long _validCount;
    private bool _trained, _validated;

    /// <inheritdoc />
    public override int Order => 50;

    /// <summary>The smoothing factor of the training loss.</summary>
    public double Beta { get; init; } = 0.98;

    /// <summary>The smoothed (debiased) training loss after each training batch of the last fit. fastai: <c>recorder.losses</c>.</summary>
    public IReadOnlyList<double> Losses => _losses;

    /// <summary>The raw training loss of each batch of the last fit.</summary>
    public IReadOnlyList<double> RawLosses => _rawLosses;

    /// <summary>The learning rate of the last group at each training batch of the last fit. fastai: <c>recorder.lrs</c>.</summary>
    public IReadOnlyList<double> Lrs => _lrs;

    /// <summary>The momentum of the last group at each training batch of the last fit.</summary>
    public IReadOnlyList<double> Moms => _moms;

    /// <summary>The current smoothed training loss (NaN before the first batch). fastai: <c>smooth_loss</c>.</summary>
    public double SmoothLoss => _count == 0 ? double.NaN : _smooth / (1 - Math.Pow(Beta, _count));

    /// <summary>Every row of the epoch table, across fits.</summary>
    public IReadOnlyList<EpochResult> History => _history;

    /// <summary>
    /// The loss of the last validation phase, averaged over items (NaN when it saw no targets): a fit's
    /// <c>valid_loss</c>, and what <see cref="LearnerPredictions.Validate"/> returns. The metrics' values are beside it in
    /// <see cref="Learner.Metrics"/>.
    /// </summary>
    public double ValidLoss => _validCount > 0 ? _validSum / _validCount : double.NaN;

    /// <summary>Raised with each new row of the epoch table, as it is made (the progress display shows it). fastai: <c>learn.logger</c>.</summary>
    public event Action<EpochResult>? RowAdded;

    /// <summary>The metric columns, in table order.</summary>
    public IReadOnlyList<string> MetricNames => Learner.Metrics.Select(m => m.Name).ToArray();

    /// <summary>
    /// Plots the smoothed training loss of the last fit by batch (skipping the first <paramref name="skipStart"/>) and the
    /// validation loss at the end of each epoch; writes a PNG. fastai: <c>recorder.plot_loss(skip_start=5, with_valid=True)</c>.
    /// </summary>
    public string PlotLoss(string path, int skipStart = 5, bool withValid = true) => LossPlot(skipStart, withValid).Write(path);

    /// <summary>What <see cref="PlotLoss"/> draws.</summary>
    internal LinePlot LossPlot(int skipStart = 5, bool withValid = true)
    {
        var series = new List<PlotSeries>
        {
            new("train", Enumerable.Range(0, _losses.Count).Skip(skipStart).Select(i => (double)i).ToArray(), _losses.Skip(skipStart).ToArray()),
        };
        if (withValid && _epochEnds.Count > 0)
            series.Add(new("valid", _epochEnds.Select(e => (double)e.Iteration).ToArray(), _epochEnds.Select(e => e.ValidLoss).ToArray()));
        return new LinePlot("Loss", "iteration", "loss", series);
    }

    /// <summary>Plots the learning rate of the last group by batch. fastai: <c>recorder.plot_sched()</c> (lr panel).</summary>
    public string PlotLr(string path) => LrPlot().Write(path);

    /// <summary>What <see cref="PlotLr"/> draws.</summary>
    internal LinePlot LrPlot() =>
        new("Learning rate", "iteration", "learning rate",
            [new PlotSeries("lr", Enumerable.Range(0, _lrs.Count).Select(i => (double)i).ToArray(), _lrs.ToArray())]);

    /// <summary>Plots the learning rate and momentum schedules of the last fit. fastai: <c>recorder.plot_sched()</c>.</summary>
    public string PlotSched(string path) => SchedPlot().Write(path);

    /// <summary>What <see cref="PlotSched"/> draws.</summary>
    internal LinePlot SchedPlot()
    {
        var x = Enumerable.Range(0, _lrs.Count).Select(i => (double)i).ToArray();
        double maxLr = _lrs.Count == 0 ? 1 : _lrs.Max();
        // Two curves of different scales on one chart: the learning rate relative to its peak, and the momentum as is.
        return new LinePlot("Schedule (lr relative to its peak " + maxLr.ToString("G3", System.Globalization.CultureInfo.InvariantCulture) + ")",
            "iteration", "value",
            [new PlotSeries("lr / peak", x, _lrs.Select(v => v / maxLr).ToArray()), new PlotSeries("momentum", x, _moms.ToArray())]);
    }

    private readonly List<(int Iteration, double ValidLoss)> _epochEnds = [];

    /// <summary>Restores the recorded rows (used when resuming from a checkpoint).</summary>
    internal void RestoreHistory(IEnumerable<EpochResult> rows)
    {
        _history.Clear();
        _history.AddRange(rows);
    }

    /// <inheritdoc />
    public override void BeforeFit()
    {
        _losses.Clear();
        _rawLosses.Clear();
        _lrs.Clear();
        _moms.Clear();
        _epochEnds.Clear();
        _smooth = 0;
        _count = 0;
    }

    /// <inheritdoc />
    public override void BeforeEpoch()
    {
        _clock.Restart();
        _trained = _validated = false;
    }

    /// <inheritdoc />
    public override void BeforeValidate()
    {
        _validSum = 0;
        _validCount = 0;
        foreach (var m in Learner.Metrics) m.Reset();
    }

    /// <inheritdoc />
    public override void AfterTrain() => _trained = true;

    /// <inheritdoc />
    public override void AfterValidate() => _validated = true;

    /// <inheritdoc />
    public override void AfterCancelTrain() => _trained = false;

    /// <inheritdoc />
    public override void AfterCancelValidate() => _validated = false;

    /// <inheritdoc />
    public override void AfterBatch()
    {
        if (Learner.LossTensor is null) return;
        if (Learner.Training)
        {
            double value = Learner.LossValue;
            _count++;
            _smooth = Beta * _smooth + (1 - Beta) * value;
            _rawLosses.Add(value);
            _losses.Add(SmoothLoss);
            if (Learner.Optimizer is { } opt)
            {
                _lrs.Add(opt.Lr[^1]);
                _moms.Add(opt.Mom[^1]);
            }
        }
        else
        {
            int n = Learner.Batch!.Size;
            _validSum += Learner.LossValue * n;
            _validCount += n;
            foreach (var m in Learner.Metrics) m.Accumulate(Learner.Pred!, Learner.Batch.Targets[0]);
        }
    }

    /// <inheritdoc />
    public override void AfterEpoch()
    {
        if (!Learner.EpochCompleted) return;   // an error cut the epoch short: no row
        double validLoss = _validated ? ValidLoss : double.NaN;
        var metrics = Learner.Metrics.Select(m => new KeyValuePair<string, double>(m.Name, _validated ? m.Value : double.NaN)).ToArray();
        var row = new EpochResult(Learner.Epoch, _trained ? SmoothLoss : double.NaN, validLoss, metrics, _clock.Elapsed);
        _history.Add(row);
        _epochEnds.Add((_losses.Count, validLoss));
        RowAdded?.Invoke(row);   // printed here, as fastai's recorder logs: a later callback may cancel the fit
    }

    /// <inheritdoc />
    protected internal override void WriteState(System.IO.BinaryWriter writer)
    {
        writer.Write(_smooth);
        writer.Write(_count);
        foreach (var list in new[] { _losses, _rawLosses, _lrs, _moms })
        {
            writer.Write(list.Count);
            foreach (double v in list) writer.Write(v);
        }
        writer.Write(_epochEnds.Count);
        foreach (var (iteration, valid) in _epochEnds)
        {
            writer.Write(iteration);
            writer.Write(valid);
        }
    }

    /// <inheritdoc />
    protected internal override void ReadState(System.IO.BinaryReader reader)
    {
        _smooth = reader.ReadDouble();
        _count = reader.ReadInt32();
        foreach (var list in new[] { _losses, _rawLosses, _lrs, _moms })
        {
            list.Clear();
            int n = reader.ReadInt32();
            for (int i = 0; i < n; i++) list.Add(reader.ReadDouble());
        }
        _epochEnds.Clear();
        int ends = reader.ReadInt32();
        for (int i = 0; i < ends; i++) _epochEnds.Add((reader.ReadInt32(), reader.ReadDouble()));
    }
}
