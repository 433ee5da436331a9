using System.Collections.Generic;
using TorchSharp;

namespace DataBlocks.Metrics;

/// <summary>
/// A metric computed once over every prediction of the epoch (RMSE, F-beta, AUC...), not averaged over batches:
/// predictions and targets are kept on the CPU until <see cref="Value"/>. fastai: <c>AccumMetric</c>.
/// </summary>
public abstract class AccumMetric : IMetric
{
    private readonly List<torch.Tensor> _preds = [], _targets = [];
    private double? _value;

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>The metric over all predictions and targets of the epoch (concatenated along the batch dimension).</summary>
    protected abstract double Compute(torch.Tensor predictions, torch.Tensor targets);

    /// <inheritdoc />
    public void Reset()
    {
        foreach (var t in _preds) t.Dispose();
        foreach (var t in _targets) t.Dispose();
        _preds.Clear();
        _targets.Clear();
        _value = null;
    }

    /// <inheritdoc />
    public void Accumulate(torch.Tensor prediction, torch.Tensor target)
    {
        _preds.Add(prediction.detach().cpu().DetachFromDisposeScope());
        _targets.Add(target.detach().cpu().DetachFromDisposeScope());
        _value = null;
    }

    /// <inheritdoc />
    public double Value
    {
        get
        {
            if (_value is { } v) return v;
            if (_preds.Count == 0) return double.NaN;
            using var scope = torch.NewDisposeScope();
            _value = Compute(torch.cat(_preds, 0), torch.cat(_targets, 0));
            return _value.Value;
        }
    }

    /// <inheritdoc />
    public virtual IReadOnlyList<FieldKind>? TargetKinds => null;
}

/// <summary>Root mean squared error over the whole epoch. fastai: <c>rmse</c>.</summary>
public sealed class Rmse : AccumMetric
{
    /// <inheritdoc />
    public override string Name => "_rmse";

    /// <summary>Numbers: regression and keypoint targets.</summary>
    public override IReadOnlyList<FieldKind> TargetKinds => TargetKindSets.Numbers;

    /// <inheritdoc />
    protected override double Compute(torch.Tensor predictions, torch.Tensor targets) =>
        System.Math.Sqrt(torch.nn.functional.mse_loss(predictions.reshape(-1).to(torch.float32), targets.reshape(-1).to(torch.float32)).item<float>());
}
