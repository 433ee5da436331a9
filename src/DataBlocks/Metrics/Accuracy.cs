using TorchSharp;

namespace DataBlocks.Metrics;

/// <summary>Share of items whose argmax prediction equals the target. fastai: <c>accuracy(inp, targ, axis=-1)</c>.</summary>
public sealed class Accuracy : AvgMetric
{
    /// <inheritdoc />
    public override string Name => "accuracy";

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

    /// <inheritdoc />
    protected override double BatchValue(torch.Tensor prediction, torch.Tensor target) => 1 - Accuracy.Compute(prediction, target);
}
