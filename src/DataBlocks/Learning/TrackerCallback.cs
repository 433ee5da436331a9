using System;
using System.Linq;

namespace DataBlocks.Learning;

/// <summary>
/// Watches one column of the epoch table (<c>valid_loss</c>, a metric name, or <c>train_loss</c>) and notices
/// improvements. "Lower is better" when the name contains <c>loss</c> or <c>error</c>, else "higher is better", unless
/// given. Order 60 (after the recorder). fastai: <c>TrackerCallback(monitor='valid_loss', comp=None, min_delta=0.)</c>.
/// </summary>
public abstract class TrackerCallback(string monitor = "valid_loss", bool? lowerIsBetter = null, double minDelta = 0) : Callback
{
    /// <summary>The column watched.</summary>
    public string Monitor { get; } = monitor;

    /// <summary>Whether smaller values are better.</summary>
    public bool LowerIsBetter { get; } = lowerIsBetter ?? (monitor.Contains("loss", StringComparison.Ordinal) || monitor.Contains("error", StringComparison.Ordinal));

    /// <summary>The best value seen in this fit.</summary>
    public double Best { get; private set; }

    /// <summary>The epoch of the best value.</summary>
    public int BestEpoch { get; private set; } = -1;

    /// <inheritdoc />
    public override int Order => 60;

    /// <inheritdoc />
    public override void BeforeFit()
    {
        Best = LowerIsBetter ? double.PositiveInfinity : double.NegativeInfinity;
        BestEpoch = -1;
        if (Monitor is not ("valid_loss" or "train_loss") && Learner.Metrics.All(m => m.Name != Monitor))
            throw new ArgumentException(
                $"{Name} monitors '{Monitor}', which is not a column of the table (train_loss, valid_loss, {string.Join(", ", Learner.Metrics.Select(m => m.Name))}).");
    }

    /// <inheritdoc />
    public override void AfterEpoch()
    {
        if (!Learner.EpochCompleted || Learner.Recorder.History.Count == 0) return;
        var row = Learner.Recorder.History[^1];
        double value = Monitor switch
        {
            "valid_loss" => row.ValidLoss,
            "train_loss" => row.TrainLoss,
            _ => row.Metric(Monitor),
        };
        bool better = LowerIsBetter ? value < Best - minDelta : value > Best + minDelta;
        if (better)
        {
            Best = value;
            BestEpoch = Learner.Epoch;
        }
        OnEpochEnd(value, better);
    }

    /// <summary>Called after each epoch with the watched value and whether it improved.</summary>
    protected abstract void OnEpochEnd(double value, bool improved);

    /// <inheritdoc />
    protected internal override void WriteState(System.IO.BinaryWriter writer)
    {
        writer.Write(Best);
        writer.Write(BestEpoch);
    }

    /// <inheritdoc />
    protected internal override void ReadState(System.IO.BinaryReader reader)
    {
        Best = reader.ReadDouble();
        BestEpoch = reader.ReadInt32();
    }
}

/// <summary>
/// Saves the model whenever the watched value improves, and loads the best one back at the end of the fit; or, with
/// <c>everyEpoch</c>, saves every epoch as <c>{name}_{epoch}</c>. Writes atomically. fastai:
/// <c>SaveModelCallback(monitor='valid_loss', fname='model', every_epoch=False, with_opt=False)</c>.
/// </summary>
public sealed class SaveModelCallback(string monitor = "valid_loss", string name = "model", bool everyEpoch = false, bool withOpt = false,
    bool? lowerIsBetter = null, double minDelta = 0) : TrackerCallback(monitor, lowerIsBetter, minDelta)
{
    /// <inheritdoc />
    protected override void OnEpochEnd(double value, bool improved)
    {
        if (everyEpoch)
        {
            Learner.Save($"{name}_{Learner.Epoch}", withOpt);
        }
        else if (improved)
        {
            Learner.Options.Output?.WriteLine(FormattableString.Invariant($"Better model found at epoch {Learner.Epoch} with {Monitor} value: {value}."));
            Learner.Save(name, withOpt);
        }
    }

    /// <inheritdoc />
    public override void AfterFit()
    {
        if (!everyEpoch && BestEpoch >= 0) Learner.Load(name, withOpt);
    }
}

/// <summary>
/// Stops the fit when the watched value has not improved for <c>patience</c> epochs. fastai:
/// <c>EarlyStoppingCallback(monitor='valid_loss', min_delta=0., patience=1)</c>.
/// </summary>
public sealed class EarlyStoppingCallback(string monitor = "valid_loss", int patience = 1, bool? lowerIsBetter = null, double minDelta = 0)
    : TrackerCallback(monitor, lowerIsBetter, minDelta)
{
    private int _wait;

    /// <inheritdoc />
    public override void BeforeFit()
    {
        base.BeforeFit();
        _wait = 0;
    }

    /// <inheritdoc />
    protected override void OnEpochEnd(double value, bool improved)
    {
        _wait = improved ? 0 : _wait + 1;
        if (_wait < patience) return;
        Learner.Options.Output?.WriteLine($"No improvement since epoch {BestEpoch}: early stopping");
        throw new CancelFitException("Early stopping.");
    }

    /// <inheritdoc />
    protected internal override void WriteState(System.IO.BinaryWriter writer)
    {
        base.WriteState(writer);
        writer.Write(_wait);
    }

    /// <inheritdoc />
    protected internal override void ReadState(System.IO.BinaryReader reader)
    {
        base.ReadState(reader);
        _wait = reader.ReadInt32();
    }
}
