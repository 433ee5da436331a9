using TorchSharp;

namespace DataBlocks.Losses;

/// <summary>
/// A loss with fastai's companions: the activation that turns raw model outputs into probabilities or values, and the
/// decoding that turns those into predictions. fastai: <c>BaseLoss</c> with <c>activation</c> and <c>decodes</c>.
/// </summary>
public interface ILossFunction
{
    /// <summary>The name shown in summaries, e.g. <c>CrossEntropyLossFlat</c>.</summary>
    string Name { get; }

    /// <summary>The loss of a batch: <paramref name="prediction"/> = raw model output, <paramref name="target"/> = the batch target.</summary>
    /// <param name="prediction">Model output.</param>
    /// <param name="target">Target tensor.</param>
    /// <param name="reduce">Mean over the batch (<c>true</c>) or one loss per item (<c>false</c>, fastai's <c>reduction='none'</c>).</param>
    torch.Tensor Compute(torch.Tensor prediction, torch.Tensor target, bool reduce = true);

    /// <summary>Raw output → probabilities/values (softmax, sigmoid, identity).</summary>
    torch.Tensor Activation(torch.Tensor prediction);

    /// <summary>Activated output → predictions (argmax, threshold, identity).</summary>
    torch.Tensor Decode(torch.Tensor activated);

    /// <summary>
    /// The kinds of target it takes, or null for any. A Learner refuses, when it is created, a loss whose kinds do not
    /// include the loaders' target, naming the loss, the target and the losses that fit it.
    /// </summary>
    System.Collections.Generic.IReadOnlyList<FieldKind>? TargetKinds => null;
}
