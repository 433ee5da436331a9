using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;

namespace DataBlocks.Learning;

/// <summary>
/// Keeps batch-norm layers in evaluation mode while training: they normalise with their running statistics and do not
/// update them. By default, as fastai's <c>BnFreeze</c>, the layers whose parameters do not train (a frozen body trained
/// with <c>TrainBn = false</c>); with <c>outsideHead: true</c>, every batch norm outside the last layer group — the body's
/// statistics stay those of its pretrained weights while its weights are fine-tuned, so a head trained on precomputed
/// activations (computed in evaluation mode) keeps seeing features normalised the same way. fastai: <c>BnFreeze</c>
/// (<c>set_bn_eval</c>).
/// </summary>
/// <param name="outsideHead">Freeze the statistics of every batch norm outside the last layer group, trainable or not.</param>
public sealed class BnFreeze(bool outsideHead = false) : Callback
{
    /// <summary>Whether every batch norm outside the last layer group is kept in evaluation mode (else only frozen ones).</summary>
    public bool OutsideHead { get; } = outsideHead;

    /// <inheritdoc />
    public override void BeforeTrain()
    {
        var head = new HashSet<Parameter>(Learner.LayerGroups[^1], System.Collections.Generic.ReferenceEqualityComparer.Instance);
        foreach (var (_, module) in Learner.Model.named_modules())
        {
            if (module is not (BatchNorm1d or BatchNorm2d or BatchNorm3d)) continue;
            var ps = module.parameters(recurse: false).ToArray();
            bool freeze = OutsideHead ? !ps.Any(head.Contains) : !ps.Any(p => p.requires_grad);
            if (freeze) module.eval();
        }
    }
}
