using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace DataBlocks.Layers;

/// <summary>The classifier fastai puts on a pretrained body. fastai: <c>create_head</c>.</summary>
public static class Head
{
    /// <summary>
    /// Builds the head for a body with <paramref name="nf"/> output channels. By default (fastai's):
    /// <c>AdaptiveConcatPool2d → Flatten → BatchNorm1d(2·nf) → Dropout(0.25) → Linear(2·nf, 512, no bias) → ReLU →
    /// BatchNorm1d(512) → Dropout(0.5) → Linear(512, nOut, no bias)</c>: the linear layers have no bias because a batch
    /// norm precedes each, and there is no ReLU after the last. The layers are the entries of one flat <c>Sequential</c>,
    /// named "0", "1", … as fastai's (its state-dict keys are fastai's). Batch norms start at weight 1, bias 1e-3
    /// (<see cref="LinBnDrop.BatchNorm"/>); the linear layers have TorchSharp's initialisation until
    /// <see cref="Init.Apply"/> (which the vision learner runs, as fastai does).
    /// </summary>
    /// <param name="nf">The body's output channels (doubled by the concat pool).</param>
    /// <param name="nOut">The number of outputs.</param>
    /// <param name="options">Hidden sizes, dropouts, pooling, batch norms, output range; null = fastai's defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1, or a dropout probability outside [0, 1).</exception>
    /// <exception cref="ArgumentException"><see cref="HeadOptions.Dropouts"/> of the wrong length.</exception>
    public static Sequential Create(long nf, long nOut, HeadOptions? options = null)
    {
        var o = options ?? HeadOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(nf, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nOut, 1);
        if (o.Pool && o.ConcatPool) nf *= 2;
        long[] sizes = [nf, .. (o.LinFtrs ?? [512]).Select(s => (long)s), nOut];
        foreach (long s in sizes) ArgumentOutOfRangeException.ThrowIfLessThan(s, 1, nameof(HeadOptions.LinFtrs));
        var ps = new Queue<double>(Dropouts(o, sizes.Length - 1));

        var layers = new List<Module<torch.Tensor, torch.Tensor>>();
        if (o.Pool)
        {
            layers.Add(o.ConcatPool ? new AdaptiveConcatPool2d() : AdaptiveAvgPool2d(1));
            layers.Add(Flatten());
        }
        // fastai: with lin_first the first dropout stands alone in front, the blocks take the rest, and a plain linear
        // layer (with a bias) gives the outputs; otherwise one LinBnDrop per pair of sizes, the last without activation.
        if (o.LinFirst) layers.Add(Dropout(ps.Dequeue()));
        int blocks = o.LinFirst ? sizes.Length - 2 : sizes.Length - 1;
        for (int i = 0; i < blocks; i++)
        {
            bool last = i == sizes.Length - 2;
            layers.AddRange(LinBnDrop.Layers(sizes[i], sizes[i + 1], bn: i > 0 || o.FirstBn, p: ps.Dequeue(),
                act: last ? null : ReLU(inplace: true), linFirst: o.LinFirst));
        }
        if (o.LinFirst) layers.Add(Linear(sizes[^2], nOut));
        if (o.BnFinal) layers.Add(BatchNorm1d(nOut, momentum: 0.01));
        if (o.YRange is { } range) layers.Add(new SigmoidRange(range.Low, range.High));
        return Sequential(layers);
    }

    /// <summary>The dropout before each of the <paramref name="count"/> linear layers: fastai's <c>[ps/2]·(count − 1) + [ps]</c>, or the list given.</summary>
    private static double[] Dropouts(HeadOptions o, int count)
    {
        double[] ps = o.Dropouts?.ToArray() ?? [.. Enumerable.Repeat(o.Ps / 2, count - 1), o.Ps];
        if (ps.Length != count)
            throw new ArgumentException(
                $"The head has {count} linear layer(s) ({nameof(HeadOptions.LinFtrs)} + 1), so it takes {count} dropout probabilities, not {ps.Length}.",
                "options");
        foreach (double p in ps)
            if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException("options", p, "A dropout probability must lie in [0, 1).");
        return ps;
    }
}
