using TorchSharp;

namespace DataBlocks.Losses;

/// <summary>
/// Mean squared error with inputs and targets flattened and targets cast to float; identity activation and decoding.
/// fastai: <c>MSELossFlat()</c>, the loss implied by a <c>RegressionBlock</c> or <c>PointBlock</c>.
/// </summary>
public sealed class MSELossFlat : ILossFunction
{
    /// <summary>Numbers: regression and keypoint targets.</summary>
    public System.Collections.Generic.IReadOnlyList<FieldKind> TargetKinds => TargetKindSets.Numbers;

    /// <inheritdoc />
    public string Name => nameof(MSELossFlat);

    /// <inheritdoc />
    public torch.Tensor Compute(torch.Tensor prediction, torch.Tensor target, bool reduce = true)
    {
        var t = target.dtype == torch.float32 ? target : target.to(torch.float32);
        if (reduce)
            return torch.nn.functional.mse_loss(prediction.reshape(-1), t.reshape(-1));
        long n = prediction.shape[0];
        var perItem = torch.nn.functional.mse_loss(prediction.reshape(n, -1), t.reshape(n, -1), reduction: torch.nn.Reduction.None);
        return perItem.mean([1]);
    }

    /// <inheritdoc />
    public torch.Tensor Activation(torch.Tensor prediction) => prediction.alias();

    /// <inheritdoc />
    public torch.Tensor Decode(torch.Tensor activated) => activated.alias();
}
