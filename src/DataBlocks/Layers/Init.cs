using System;
using TorchSharp;

namespace DataBlocks.Layers;

/// <summary>fastai's weight initialisations.</summary>
public static class Init
{
    /// <summary>
    /// fastai's truncated normal for embeddings: a standard normal sample, wrapped into (−2, 2) with <c>fmod</c>, times
    /// <paramref name="std"/> — every value within ±2·std. fastai: <c>trunc_normal_(x, std)</c> =
    /// <c>x.normal_().fmod_(2).mul_(std)</c>, used by its <c>Embedding</c>.
    /// </summary>
    public static void TruncNormal(torch.Tensor weight, double std = 0.01)
    {
        ArgumentNullException.ThrowIfNull(weight);
        using var noGrad = torch.no_grad();
        weight.normal_().fmod_(2).mul_(std);
    }

    /// <summary>An embedding initialised as fastai's <c>Embedding(ni, nf, std=0.01)</c>.</summary>
    public static TorchSharp.Modules.Embedding Embedding(long count, long dimensions, double std = 0.01)
    {
        var embedding = torch.nn.Embedding(count, dimensions);
        using var weight = embedding.weight!;   // each read of .weight is a new handle to the same storage
        TruncNormal(weight, std);
        return embedding;
    }

    /// <summary>
    /// fastai's embedding-size rule for a categorical variable with <paramref name="count"/> classes (the <c>#na#</c> slot
    /// included): <c>min(600, round(1.6 · count^0.56))</c>, rounding halves to even as Python does. fastai: <c>emb_sz_rule</c>.
    /// </summary>
    public static int EmbeddingSizeRule(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return (int)Math.Min(600, Math.Round(1.6 * Math.Pow(count, 0.56), MidpointRounding.ToEven));
    }
}
