using TorchSharp;

namespace DataBlocks.Losses;

/// <summary>
/// Binary cross-entropy on logits, every label slot one binary problem (inputs and targets flattened); activation
/// sigmoid, decoding <c>p &gt; Threshold</c>. fastai: <c>BCEWithLogitsLossFlat(thresh=0.5)</c>, the loss implied by a
/// <c>MultiCategoryBlock</c>.
/// </summary>
/// <param name="threshold">Probability above which a label is predicted.</param>
public sealed class BCEWithLogitsLossFlat(double threshold = 0.5) : ILossFunction
{
    /// <summary>Probability above which a label is predicted.</summary>
    public double Threshold { get; } = threshold;

    /// <summary>Several labels, or numbers in [0, 1] (a regression of probabilities).</summary>
    public System.Collections.Generic.IReadOnlyList<FieldKind> TargetKinds => TargetKindSets.LabelSetsOrNumbers;

    /// <inheritdoc />
    public string Name => nameof(BCEWithLogitsLossFlat);

    /// <inheritdoc />
    public torch.Tensor Compute(torch.Tensor prediction, torch.Tensor target, bool reduce = true)
    {
        var t = target.dtype == torch.float32 ? target : target.to(torch.float32);
        if (reduce)
            return torch.nn.functional.binary_cross_entropy_with_logits(prediction.reshape(-1), t.reshape(-1));
        // One loss per item: mean over its label slots.
        var perSlot = torch.nn.functional.binary_cross_entropy_with_logits(prediction, t.reshape(prediction.shape),
            reduction: torch.nn.Reduction.None);
        return perSlot.reshape(prediction.shape[0], -1).mean([1]);
    }

    /// <inheritdoc />
    public torch.Tensor Activation(torch.Tensor prediction) => prediction.sigmoid();

    /// <inheritdoc />
    public torch.Tensor Decode(torch.Tensor activated) => activated.gt(Threshold);
}
