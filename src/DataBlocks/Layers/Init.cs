using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.Learning;
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

    /// <summary>
    /// Kaiming He's normal initialisation with PyTorch's defaults, which fastai's heads use: N(0, 2/fan_in) — gain √2
    /// (leaky ReLU with slope 0), fan_in = input features × receptive field. fastai: <c>nn.init.kaiming_normal_</c>.
    /// </summary>
    public static void KaimingNormal(torch.Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        using var scope = torch.NewDisposeScope();   // whatever handle the call returns dies here; the weight itself is older
        using var noGrad = torch.no_grad();
        torch.nn.init.kaiming_normal_(weight, a: 0, mode: torch.nn.init.FanInOut.FanIn, nonlinearity: torch.nn.init.NonlinearityType.LeakyReLU);
    }

    /// <summary>
    /// Initialises every module of <paramref name="module"/> (itself included) that is not a normalisation layer and whose
    /// first parameter trains: <paramref name="init"/> on its own <c>weight</c>, and its own <c>bias</c> set to 0.
    /// fastai: <c>apply_init(m, func)</c> (<c>cond_init</c> → <c>init_default</c> on every module), which
    /// <c>vision_learner</c> runs on its head with <see cref="KaimingNormal"/>.
    /// </summary>
    /// <param name="module">The module to initialise.</param>
    /// <param name="init">Fills a weight; null = <see cref="KaimingNormal"/>.</param>
    public static void Apply(torch.nn.Module module, Action<torch.Tensor>? init = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        init ??= KaimingNormal;
        var seen = new HashSet<torch.nn.Module>(ReferenceEqualityComparer.Instance);
        foreach (var m in module.named_modules().Select(n => n.module).Prepend(module))
        {
            if (!seen.Add(m) || ModelParameters.IsNorm(m)) continue;
            if (m.parameters().FirstOrDefault() is not { requires_grad: true }) continue;   // fastai's requires_grad(m)
            foreach (var (name, p) in m.named_parameters(recurse: false))
            {
                if (name == "weight") init(p);
                else if (name == "bias")
                {
                    using var scope = torch.NewDisposeScope();   // a handle the in-place call may return dies here, not the bias
                    using var noGrad = torch.no_grad();
                    p.zero_();
                }
            }
        }
    }
}
