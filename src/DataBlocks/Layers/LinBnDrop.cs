using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch.nn;

namespace DataBlocks.Layers;

/// <summary>fastai's <c>LinBnDrop</c>: a linear layer with batch norm, dropout and an activation, as a named <c>Sequential</c>.</summary>
public static class LinBnDrop
{
    /// <summary>fastai's <c>BatchNorm(nf, ndim=1)</c>: a <c>BatchNorm1d</c> whose weight starts at 1 and bias at 1e-3.</summary>
    public static TorchSharp.Modules.BatchNorm1d BatchNorm(long features)
    {
        var bn = BatchNorm1d(features);
        using var noGrad = torch.no_grad();
        bn.bias!.fill_(1e-3);   // BatchNorm's bias and weight are its registered parameters, not new handles: not disposed here
        bn.weight!.fill_(1.0);
        return bn;
    }

    /// <summary>
    /// Builds the block. With <paramref name="linFirst"/> (what fastai 2.7's tabular and collab models use):
    /// <c>Linear(in, out, bias: !bn)</c>, the activation, <c>BatchNorm1d(out)</c>, then <c>Dropout(p)</c>; otherwise batch norm
    /// and dropout come first. Batch norm starts as fastai's (<see cref="BatchNorm"/>). Entries are named "0", "1", … as in PyTorch.
    /// </summary>
    public static TorchSharp.Modules.Sequential Create(long nIn, long nOut, bool bn = true, double p = 0, Module<torch.Tensor, torch.Tensor>? act = null,
        bool linFirst = false) =>
        Sequential(Layers(nIn, nOut, bn, p, act, linFirst));   // TorchSharp names the entries "0", "1", …

    /// <summary>
    /// The layers of <see cref="Create"/>, in order, without the <c>Sequential</c> around them: what fastai's
    /// <c>create_head</c> splices into its own flat <c>Sequential</c> (<c>layers += LinBnDrop(...)</c>).
    /// </summary>
    public static IReadOnlyList<Module<torch.Tensor, torch.Tensor>> Layers(long nIn, long nOut, bool bn = true, double p = 0,
        Module<torch.Tensor, torch.Tensor>? act = null, bool linFirst = false)
    {
        var norm = new List<Module<torch.Tensor, torch.Tensor>>();
        if (bn) norm.Add(BatchNorm(linFirst ? nOut : nIn));
        if (p != 0) norm.Add(Dropout(p));
        var lin = new List<Module<torch.Tensor, torch.Tensor>> { Linear(nIn, nOut, hasBias: !bn) };
        if (act is not null) lin.Add(act);
        return linFirst ? [.. lin, .. norm] : [.. norm, .. lin];
    }
}
