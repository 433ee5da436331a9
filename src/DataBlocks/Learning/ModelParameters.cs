using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;

namespace DataBlocks.Learning;

/// <summary>A model's parameters as fastai groups them: layer groups, and the normalisation layers and biases it treats apart.</summary>
internal static class ModelParameters
{
    /// <summary>Parameters of normalisation layers, and every bias (fastai's <c>wd_bn_bias=False</c> exclusions).</summary>
    public static HashSet<Parameter> NoDecay(torch.nn.Module model)
    {
        var set = Norm(model);
        foreach (var (_, module) in model.named_modules())
            foreach (var (name, p) in module.named_parameters(recurse: false))
                if (name == "bias") set.Add(p);
        return set;
    }

    /// <summary>Parameters of normalisation layers (they stay trainable in frozen groups, fastai's <c>train_bn</c>).</summary>
    public static HashSet<Parameter> Norm(torch.nn.Module model)
    {
        var set = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (_, module) in model.named_modules())
            if (IsNorm(module))
                foreach (var (_, p) in module.named_parameters(recurse: false)) set.Add(p);
        return set;
    }

    /// <summary>Whether a module is a normalisation layer (batch, layer, group or instance norm).</summary>
    public static bool IsNorm(torch.nn.Module module) => module is BatchNorm1d or BatchNorm2d or BatchNorm3d or LayerNorm or GroupNorm
        or InstanceNorm1d or InstanceNorm2d or InstanceNorm3d;

    /// <summary>The layer groups (body first, head last): the splitter's, else the model's own (<see cref="ILayerGroups"/>), else one group.</summary>
    /// <exception cref="DataBlocksException">The model has no parameters.</exception>
    public static IReadOnlyList<IReadOnlyList<Parameter>> Split(torch.nn.Module<torch.Tensor, torch.Tensor> model,
        Func<torch.nn.Module<torch.Tensor, torch.Tensor>, IEnumerable<IEnumerable<Parameter>>>? splitter)
    {
        var groups = splitter?.Invoke(model) ?? (model is ILayerGroups layered ? layered.LayerGroups() : [model.parameters().ToArray()]);
        var result = groups.Select(g => (IReadOnlyList<Parameter>)g.ToArray()).Where(g => g.Count > 0).ToArray();
        if (result.Length == 0) throw new DataBlocksException("The model has no parameters to train.");
        return result;
    }
}
