using System.Collections.Generic;
using TorchSharp;

namespace DataBlocks.Learning;

/// <summary>
/// Stops the fit with a <see cref="TrainingDivergedException"/> when a training loss or gradient is NaN or infinite,
/// before the step, so the weights stay those of the last good batch. The learner adds it when
/// <see cref="LearnerOptions.StopOnNaN"/> (the default); the lr finder runs without it (it diverges on purpose). Order −9,
/// so it looks at the gradients after every <c>AfterBackward</c> (un-scaling, clipping) and before any <c>BeforeStep</c>.
/// fastai: <c>TerminateOnNaNCallback</c> (which checks the loss only).
/// </summary>
public sealed class TerminateOnNaNCallback : Callback
{
    /// <inheritdoc />
    public override int Order => -9;

    /// <inheritdoc />
    public override bool RunOnValid => false;

    /// <inheritdoc />
    public override void BeforeStep()
    {
        double loss = Learner.LossValue;
        bool finite = double.IsFinite(loss);
        var opt = Learner.Optimizer!;
        if (finite)
        {
            // The sum of every gradient is NaN or infinite exactly when one of them holds a NaN or an infinity (or when they
            // are too large to add up in float32, which is divergence too): one read of each gradient, no copies.
            using var scope = torch.NewDisposeScope();
            var sums = new List<torch.Tensor>();
            foreach (var group in opt.Groups)
                foreach (var p in group)
                {
                    var grad = p.grad;   // a new handle: the scope disposes it
                    if (grad is not null) sums.Add(grad.sum());
                }
            if (sums.Count > 0) finite = double.IsFinite(torch.stack(sums).sum().item<float>());
        }
        if (finite) return;
        opt.ZeroGrad();
        throw new TrainingDivergedException(Learner.Epoch, Learner.Iter, loss);
    }
}

/// <summary>Training produced a NaN or infinite loss or gradient; the step was not taken, so the weights are those of the last good batch.</summary>
public sealed class TrainingDivergedException(int epoch, int batch, double loss)
    : DataBlocksException($"Training diverged at epoch {epoch}, batch {batch}: the loss is {loss} or a gradient is not finite. " +
                          "The step was not taken, so the model keeps the weights of the last good batch. Try a lower learning rate.")
{
    /// <summary>The epoch (0-based) where it happened.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>The batch (0-based, within the epoch).</summary>
    public int Batch { get; } = batch;
}
