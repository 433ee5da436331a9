using System.Linq;
using TorchSharp;
using TorchSharp.Modules;

namespace DataBlocks.Learning;

/// <summary>
/// Trains with channels-last (NHWC) strides: every 2-D convolution weight is given them once (<see cref="ChannelsLastExtensions.ToChannelsLast"/>),
/// and each batch's 4-D floating-point inputs before the forward pass, so libtorch's oneDNN kernels run in their
/// native layout without reordering. Values are unchanged; only the strides differ. TorchSharp has no memory-format API:
/// the strides come from <c>permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)</c>. Order 11, after
/// <see cref="MixedPrecision"/>'s cast. PyTorch: <c>model.to(memory_format=torch.channels_last)</c>.
/// </summary>
public sealed class ChannelsLast : Callback
{
    /// <inheritdoc />
    public override int Order => 11;

    /// <inheritdoc />
    public override void BeforeBatch()
    {
        var batch = Learner.Batch!;
        for (int i = 0; i < batch.NInputs; i++)
            if (batch.Fields[i].dim() == 4 && batch.Fields[i].is_floating_point())
                batch.Replace(i, Strides(batch.Fields[i]));
    }

    /// <summary>A tensor with the same values as <paramref name="x"/> <c>[N, C, H, W]</c> and channels-last strides.</summary>
    public static torch.Tensor Strides(torch.Tensor x)
    {
        using var nhwc = x.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }

    /// <summary>Whether <paramref name="x"/> (4-D) has channels-last strides: the channel dimension is the innermost.</summary>
    public static bool HasStrides(torch.Tensor x) => x.dim() == 4 && x.stride(1) == 1 && x.stride(3) == x.shape[1];

    /// <summary>Replaces every 2-D convolution weight with a channels-last copy (same values, same <c>requires_grad</c>).</summary>
    internal static void ConvertWeights(torch.nn.Module model)
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, module) in model.named_modules())
            if (module is Conv2d { weight: { } w } conv && !HasStrides(w))
            {
                using var detached = w.detach();
                using var strided = Strides(detached);
                var copy = new Parameter(strided.clone(), w.requires_grad);   // clone keeps the strides (preserve format)
                copy.DetachFromDisposeScope();
                conv.weight = copy;
            }
    }
}

/// <summary>Channels-last training on a learner. PyTorch: <c>model.to(memory_format=torch.channels_last)</c>.</summary>
public static class ChannelsLastExtensions
{
    /// <summary>
    /// Gives the model's convolution weights channels-last strides and adds the <see cref="Learning.ChannelsLast"/> callback
    /// for the inputs. The optimizer keeps its state and hyper-parameters; mixed precision is kept (converted back to fp32,
    /// converted, then to the same half type again). Does nothing when already on.
    /// </summary>
    public static Learner ToChannelsLast(this Learner learn)
    {
        if (learn.IsChannelsLast()) return learn;
        var mixed = learn.MixedPrecision;
        var dtype = mixed?.DType;
        if (mixed is not null) learn.ToFp32();
        learn.ReplaceParameters(() =>
        {
            Learning.ChannelsLast.ConvertWeights(learn.Model);
            learn.AddCallback(new ChannelsLast());
        });
        if (dtype == torch.ScalarType.BFloat16) learn.ToBf16();
        else if (dtype == torch.ScalarType.Float16) learn.ToFp16();
        return learn;
    }

    /// <summary>Whether <see cref="ToChannelsLast"/> is on.</summary>
    public static bool IsChannelsLast(this Learner learn) => learn.Callbacks.OfType<ChannelsLast>().Any();
}
