using System.Linq;
using TorchSharp;

namespace DataBlocks.Learning;

/// <summary>
/// Clips the global norm of the gradients the optimizer steps (the fp32 masters under mixed precision, after
/// un-scaling) before each step. Order 20. fastai: <c>GradientClip(max_norm=1., norm_type=2.)</c>.
/// </summary>
public sealed class GradientClip(double maxNorm = 1.0, double normType = 2.0) : Callback
{
    /// <inheritdoc />
    public override int Order => 20;

    /// <inheritdoc />
    public override bool RunOnValid => false;

    /// <inheritdoc />
    /// <remarks>libtorch's <c>clip_grad_norm_</c> skips parameters without a gradient (frozen groups), as PyTorch's does.</remarks>
    public override void AfterBackward() =>
        torch.nn.utils.clip_grad_norm_(Learner.Optimizer!.Groups.SelectMany(g => g), maxNorm, normType);
}

/// <summary>
/// Accumulates gradients over batches until <c>nAcc</c> items were seen, then steps once — a large effective batch on a
/// small memory budget. The loss is scaled so the step equals that of one batch of <c>nAcc</c> items. Order −4.
/// fastai: <c>GradientAccumulation(n_acc=32)</c>.
/// </summary>
public sealed class GradientAccumulation(int nAcc = 32) : Callback
{
    private int _count;

    /// <inheritdoc />
    public override int Order => -4;

    /// <inheritdoc />
    public override bool RunOnValid => false;

    /// <inheritdoc />
    public override void BeforeFit() => _count = 0;

    /// <inheritdoc />
    public override void AfterLoss() => Learner.LossGrad = Learner.LossGrad!.div((double)nAcc / Learner.Batch!.Size);

    /// <inheritdoc />
    public override void BeforeStep()
    {
        _count += Learner.Batch!.Size;
        if (_count < nAcc) throw new CancelBatchException();   // no step, and the gradients are kept
        _count = 0;
    }
}
