using TorchSharp;

namespace DataBlocks.Metrics;

/// <summary>
/// A validation metric, accumulated batch by batch over an epoch. fastai: <c>Metric</c> with <c>reset</c>,
/// <c>accumulate</c> and <c>value</c>.
/// </summary>
public interface IMetric
{
    /// <summary>The column name in the epoch table (fastai's metric name, e.g. <c>accuracy</c>).</summary>
    string Name { get; }

    /// <summary>Starts a new epoch.</summary>
    void Reset();

    /// <summary>Adds one batch: raw model outputs and targets.</summary>
    void Accumulate(torch.Tensor prediction, torch.Tensor target);

    /// <summary>The value over everything accumulated since <see cref="Reset"/>.</summary>
    double Value { get; }

    /// <summary>
    /// The kinds of target it scores, or null for any. A Learner refuses, when it is created, a metric whose kinds do not
    /// include the loaders' target, naming the metric, the target and the metrics that fit it.
    /// </summary>
    System.Collections.Generic.IReadOnlyList<FieldKind>? TargetKinds => null;
}

/// <summary>
/// A metric that averages a per-batch value weighted by batch size. fastai: <c>AvgMetric(func)</c>, which wraps plain
/// metric functions such as <c>accuracy</c>.
/// </summary>
public abstract class AvgMetric : IMetric
{
    private double _total;
    private long _count;

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>The metric's mean over one batch.</summary>
    protected abstract double BatchValue(torch.Tensor prediction, torch.Tensor target);

    /// <inheritdoc />
    public void Reset()
    {
        _total = 0;
        _count = 0;
    }

    /// <inheritdoc />
    public void Accumulate(torch.Tensor prediction, torch.Tensor target)
    {
        using var scope = torch.NewDisposeScope();
        long n = target.shape.Length == 0 ? 1 : target.shape[0];
        _total += BatchValue(prediction, target) * n;
        _count += n;
    }

    /// <inheritdoc />
    public double Value => _count == 0 ? double.NaN : _total / _count;

    /// <inheritdoc />
    public virtual System.Collections.Generic.IReadOnlyList<FieldKind>? TargetKinds => null;
}
