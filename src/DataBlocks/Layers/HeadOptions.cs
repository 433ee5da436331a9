using System.Collections.Generic;

namespace DataBlocks.Layers;

/// <summary>
/// How <see cref="Head.Create"/> builds a head; every default is fastai's. fastai: the keyword arguments of
/// <c>create_head(nf, n_out, lin_ftrs=None, ps=0.5, pool=True, concat_pool=True, first_bn=True, bn_final=False,
/// lin_first=False, y_range=None)</c>, which <c>vision_learner</c> passes through.
/// </summary>
public sealed record HeadOptions
{
    /// <summary>The default head: fastai's.</summary>
    public static HeadOptions Default { get; } = new();

    /// <summary>
    /// The sizes of the hidden linear layers, between the pooled features and the outputs; null = fastai's <c>[512]</c>;
    /// empty = a single linear layer. fastai: <c>lin_ftrs</c>.
    /// </summary>
    public IReadOnlyList<int>? LinFtrs { get; init; }

    /// <summary>
    /// The dropout probability before the last linear layer; each earlier one gets half of it (default 0.5: dropouts
    /// 0.25, 0.5). Ignored when <see cref="Dropouts"/> is given. fastai: <c>ps</c> as a number.
    /// </summary>
    public double Ps { get; init; } = 0.5;

    /// <summary>
    /// One dropout probability per linear layer (<c>LinFtrs.Count + 1</c> of them), in order; null = from <see cref="Ps"/>.
    /// With <see cref="LinFirst"/> the first one is the dropout in front of the first linear layer. fastai: <c>ps</c> as a list.
    /// </summary>
    public IReadOnlyList<double>? Dropouts { get; init; }

    /// <summary>Pool the body's feature map and flatten it first (false: the body already gives <c>[B, nf]</c>). fastai: <c>pool</c>.</summary>
    public bool Pool { get; init; } = true;

    /// <summary>
    /// Pool with <see cref="AdaptiveConcatPool2d"/> (max and average side by side, twice the features) rather than an
    /// average pool. fastai: <c>concat_pool</c>.
    /// </summary>
    public bool ConcatPool { get; init; } = true;

    /// <summary>A batch norm in front of the first linear layer (without it, that layer has a bias). fastai: <c>first_bn</c>.</summary>
    public bool FirstBn { get; init; } = true;

    /// <summary>A <c>BatchNorm1d(nOut, momentum: 0.01)</c> after the last layer. fastai: <c>bn_final</c>.</summary>
    public bool BnFinal { get; init; }

    /// <summary>
    /// Linear layers before their batch norm and dropout (fastai's tabular order); the head then starts with a dropout
    /// and ends with a plain linear layer with a bias. fastai: <c>lin_first</c>.
    /// </summary>
    public bool LinFirst { get; init; }

    /// <summary>Squash the outputs into (low, high) with <see cref="SigmoidRange"/> (regression). fastai: <c>y_range</c>.</summary>
    public (double Low, double High)? YRange { get; init; }
}
