using TorchSharp;

namespace DataBlocks.Metrics;

/// <summary>Share of items whose argmax prediction equals the target. fastai: <c>accuracy(inp, targ, axis=-1)</c>.</summary>
public sealed class Accuracy : AvgMetric
{
    /// <inheritdoc />
    public override string Name => "accuracy";

    /// <summary>Single labels: category (and categorical) targets.</summary>
    public override System.Collections.Generic.IReadOnlyList<FieldKind> TargetKinds => TargetKindSets.Labels;

    /// <inheritdoc />
    protected override double BatchValue(torch.Tensor prediction, torch.Tensor target) => Compute(prediction, target);

    /// <summary>Mean of <c>argmax(prediction, -1) == target</c> over all items (both flattened).</summary>
    public static double Compute(torch.Tensor prediction, torch.Tensor target)
    {
        using var scope = torch.NewDisposeScope();
        var predicted = prediction.argmax(-1).reshape(-1);
        return predicted.eq(target.reshape(-1)).to(torch.float32).mean().item<float>();
    }
}

/// <summary><c>1 − accuracy</c>. fastai: <c>error_rate</c>.</summary>
public sealed class ErrorRate : AvgMetric
{
    /// <inheritdoc />
    public override string Name => "error_rate";

    /// <summary>Single labels: category (and categorical) targets.</summary>
    public override System.Collections.Generic.IReadOnlyList<FieldKind> TargetKinds => TargetKindSets.Labels;

    /// <inheritdoc />
    protected override double BatchValue(torch.Tensor prediction, torch.Tensor target) => 1 - Accuracy.Compute(prediction, target);
}

/// <summary>
/// Share of (item, label) pairs predicted right: a label is predicted when its sigmoid exceeds <paramref name="threshold"/>.
/// fastai: <c>accuracy_multi(inp, targ, thresh=0.5, sigmoid=True)</c>.
/// </summary>
/// <param name="threshold">The probability above which a label counts as predicted.</param>
/// <param name="sigmoid">Whether the predictions are raw outputs to pass through a sigmoid first (fastai's default).</param>
public sealed class AccuracyMulti(double threshold = 0.5, bool sigmoid = true) : AvgMetric
{
    /// <summary>The probability above which a label counts as predicted.</summary>
    public double Threshold { get; } = threshold;

    /// <inheritdoc />
    public override string Name => "accuracy_multi";

    /// <summary>Several labels: multi-category targets.</summary>
    public override System.Collections.Generic.IReadOnlyList<FieldKind> TargetKinds => TargetKindSets.LabelSets;

    /// <inheritdoc />
    protected override double BatchValue(torch.Tensor prediction, torch.Tensor target)
    {
        using var scope = torch.NewDisposeScope();
        var p = sigmoid ? prediction.sigmoid() : prediction;
        return p.gt(Threshold).eq(target.to(torch.@bool)).to(torch.float32).mean().item<float>();
    }
}
