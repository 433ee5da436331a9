using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.Learning;
using TorchSharp.Modules;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>
/// The columns of fastai's recorded finetune_trainable.csv for every layer group, as each fit of a fine-tune starts,
/// and the comparison with the recording.
/// </summary>
internal sealed class TrainableState(Func<TorchSharp.torch.nn.Module, HashSet<Parameter>> batchNormParameters) : Callback
{
    private int _fits;

    public List<(string Phase, int Group, long Tensors, long TrainableTensors, long Numel, long TrainableNumel, long BnTensors, long BnTrainable)> Rows { get; } = [];

    public override void BeforeFit()
    {
        string phase = _fits++ == 0 ? "frozen" : "unfrozen";
        var bn = batchNormParameters(Learner.Model);
        var groups = Learner.LayerGroups;
        for (int g = 0; g < groups.Count; g++)
        {
            var ps = groups[g];
            Rows.Add((phase, g, ps.Count, ps.Count(p => p.requires_grad), ps.Sum(p => p.numel()), ps.Where(p => p.requires_grad).Sum(p => p.numel()),
                ps.Count(bn.Contains), ps.Count(p => bn.Contains(p) && p.requires_grad)));
        }
    }

    /// <summary>Every row and column equal to fastai's recording.</summary>
    public void AssertMatchesFastai()
    {
        var expected = TinyRegression.Csv("finetune_trainable.csv");
        Assert.Equal(6, expected.Count);
        Assert.Equal(expected.Select(r => (r["phase"], int.Parse(r["group"]))), Rows.Select(r => (r.Phase, r.Group)));
        foreach (var (want, got) in expected.Zip(Rows))
            Assert.Equal(
                (long.Parse(want["n_tensors"]), long.Parse(want["n_trainable_tensors"]), long.Parse(want["numel"]), long.Parse(want["trainable_numel"]),
                    long.Parse(want["bn_tensors"]), long.Parse(want["bn_trainable_tensors"])),
                (got.Tensors, got.TrainableTensors, got.Numel, got.TrainableNumel, got.BnTensors, got.BnTrainable));
    }
}
