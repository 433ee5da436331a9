using TorchSharp;

namespace DataBlocks.Losses;

/// <summary>
/// Cross-entropy over the last axis, with outputs flattened to <c>[N, C]</c> and targets to <c>[N]</c>; activation
/// softmax, decoding argmax. fastai: <c>CrossEntropyLossFlat(axis=-1)</c>, the loss implied by a <c>CategoryBlock</c>.
/// </summary>
public sealed class CrossEntropyLossFlat : ILossFunction
{
    /// <summary>Single labels: category (and categorical) targets.</summary>
    public System.Collections.Generic.IReadOnlyList<FieldKind> TargetKinds => TargetKindSets.Labels;

    /// <inheritdoc />
    public string Name => nameof(CrossEntropyLossFlat);

    /// <inheritdoc />
    public torch.Tensor Compute(torch.Tensor prediction, torch.Tensor target, bool reduce = true)
    {
        long c = prediction.shape[^1];
        var t = target.dtype == torch.int64 ? target : target.to(torch.int64);
        return torch.nn.functional.cross_entropy(prediction.reshape(-1, c), t.reshape(-1),
            reduction: reduce ? torch.nn.Reduction.Mean : torch.nn.Reduction.None);
    }

    /// <inheritdoc />
    public torch.Tensor Activation(torch.Tensor prediction) => prediction.softmax(-1);

    /// <inheritdoc />
    public torch.Tensor Decode(torch.Tensor activated) => activated.argmax(-1);
}
