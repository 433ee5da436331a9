using TorchSharp;

namespace DataBlocks.Metrics;

/// <summary>Share of items whose target is among the <c>k</c> highest outputs. fastai: <c>top_k_accuracy(inp, targ, k=5)</c>.</summary>
public sealed class TopKAccuracy(int k = 5) : AvgMetric
{
    /// <summary>How many of the highest outputs count.</summary>
    public int K { get; } = k;

    /// <inheritdoc />
    public override string Name => "top_k_accuracy";

    /// <summary>Single labels: category (and categorical) targets.</summary>
    public override System.Collections.Generic.IReadOnlyList<FieldKind> TargetKinds => TargetKindSets.Labels;

    /// <inheritdoc />
    protected override double BatchValue(torch.Tensor prediction, torch.Tensor target)
    {
        using var scope = torch.NewDisposeScope();
        int k = (int)System.Math.Min(K, prediction.shape[^1]);
        var top = prediction.topk(k, dim: -1).indexes;
        var hit = top.eq(target.reshape(-1, 1)).any(dim: -1);
        return hit.to(torch.float32).mean().item<float>();
    }
}
