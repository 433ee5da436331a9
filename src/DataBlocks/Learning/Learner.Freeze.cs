using System;
using System.Linq;

namespace DataBlocks.Learning;

public sealed partial class Learner
{
    /// <summary>
    /// Trains only the groups from <paramref name="n"/> on (negative counts from the end); earlier groups stop learning,
    /// except their normalisation layers when <see cref="OptimizerSettings.TrainBn"/> (fastai's <c>train_bn</c>). Clears the
    /// optimizer state, as fastai does. fastai: <c>freeze_to(n)</c>.
    /// </summary>
    public void FreezeTo(int n)
    {
        var groups = LayerGroups;
        int from = n < 0 ? groups.Count + n : n;
        if (from >= groups.Count)
            Options.Output?.WriteLine($"Freezing {from} of {groups.Count} layer groups: the whole model is frozen.");
        var norm = Options.Optimizer.TrainBn ? NormParameters() : [];
        for (int g = 0; g < groups.Count; g++)
            foreach (var p in groups[g])
            {
                bool trainable = g >= from || norm.Contains(p);
                p.requires_grad = trainable;
                if (!trainable) p.grad = null;   // a zeroed gradient would still be stepped (and decayed)
                if (_mixed is not null)
                {
                    var master = _mixed.MasterOf(p);
                    master.requires_grad = trainable;
                    if (!trainable) master.grad = null;
                }
            }
        if (_opt is null) CreateOptimizer();
        else _opt.ClearState();
    }

    /// <summary>Trains only the last group (the head). Needs at least two layer groups. fastai: <c>freeze()</c>.</summary>
    /// <exception cref="InvalidOperationException">The model has a single layer group.</exception>
    public void Freeze()
    {
        if (LayerGroups.Count < 2)
            throw new InvalidOperationException(
                "Freeze needs at least two layer groups (body and head); give the learner a Splitter or a model implementing ILayerGroups.");
        FreezeTo(-1);
    }

    /// <summary>Trains every group. fastai: <c>unfreeze()</c>.</summary>
    public void Unfreeze() => FreezeTo(0);

    /// <summary>Whether every parameter of group <paramref name="group"/> trains.</summary>
    public bool IsTrainable(int group) => LayerGroups[group].All(p => p.requires_grad);
}
