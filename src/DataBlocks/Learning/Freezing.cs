using System;
using System.Linq;
using TorchSharp.Modules;

namespace DataBlocks.Learning;

/// <summary>Freezing layer groups for transfer learning. fastai: <c>freeze_to</c>, <c>freeze</c>, <c>unfreeze</c>.</summary>
public static class Freezing
{
    /// <summary>
    /// Trains only the groups from <paramref name="n"/> on (negative counts from the end); earlier groups stop learning,
    /// except their normalisation layers when <see cref="OptimizerSettings.TrainBn"/> (fastai's <c>train_bn</c>). Clears the
    /// optimizer state, as fastai does. fastai: <c>freeze_to(n)</c>.
    /// </summary>
    public static void FreezeTo(this Learner learn, int n)
    {
        var groups = learn.LayerGroups;
        int from = n < 0 ? groups.Count + n : n;
        if (from >= groups.Count)
            learn.Options.Output?.WriteLine($"Freezing {from} of {groups.Count} layer groups: the whole model is frozen.");
        var norm = learn.Options.Optimizer.TrainBn ? ModelParameters.Norm(learn.Model) : [];
        bool created = learn.Optimizer is null;
        var opt = learn.Optimizer ?? learn.CreateOptimizer();
        for (int g = 0; g < groups.Count; g++)
            for (int i = 0; i < groups[g].Count; i++)
            {
                var p = groups[g][i];
                bool trainable = g >= from || norm.Contains(p);
                SetTrainable(p, trainable);
                // The optimizer's groups line up with the layer groups; it may step stand-ins (mixed precision's masters).
                if (!ReferenceEquals(opt.Groups[g][i], p)) SetTrainable(opt.Groups[g][i], trainable);
            }
        if (!created) opt.ClearState();
    }

    /// <summary>Trains only the last group (the head). Needs at least two layer groups. fastai: <c>freeze()</c>.</summary>
    /// <exception cref="InvalidOperationException">The model has a single layer group.</exception>
    public static void Freeze(this Learner learn)
    {
        if (learn.LayerGroups.Count < 2)
            throw new InvalidOperationException(
                "Freeze needs at least two layer groups (body and head); give the learner a Splitter or a model implementing ILayerGroups.");
        learn.FreezeTo(-1);
    }

    /// <summary>Trains every group. fastai: <c>unfreeze()</c>.</summary>
    public static void Unfreeze(this Learner learn) => learn.FreezeTo(0);

    /// <summary>Whether every parameter of group <paramref name="group"/> trains.</summary>
    public static bool IsTrainable(this Learner learn, int group) => learn.LayerGroups[group].All(p => p.requires_grad);

    private static void SetTrainable(Parameter p, bool trainable)
    {
        p.requires_grad = trainable;
        if (!trainable) p.grad = null;   // a zeroed gradient would still be stepped (and decayed)
    }
}
