using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using DataLoader = DataBlocks.Data.DataLoader;

namespace DataBlocks.Learning;

public sealed partial class Learner
{
    /// <summary>
    /// Validation loss (item-weighted) and metrics over <paramref name="loader"/> (default: the validation loader), without
    /// callbacks. fastai: <c>validate()</c>.
    /// </summary>
    public (double Loss, IReadOnlyList<double> Metrics) Validate(DataLoader? loader = null)
    {
        loader ??= Dls.Valid;
        foreach (var m in Metrics) m.Reset();
        double sum = 0;
        long count = 0;
        Model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            using var batches = loader.GetEnumerator();
            while (true)
            {
                using var scope = torch.NewDisposeScope();
                if (!batches.MoveNext()) break;
                var batch = batches.Current;
                var pred = Forward(batch);
                sum += Loss.Compute(pred, batch.Targets[0]).item<float>() * batch.Size;
                count += batch.Size;
                foreach (var m in Metrics) m.Accumulate(pred, batch.Targets[0]);
            }
        }
        finally
        {
            Model.train();
        }
        return (count == 0 ? double.NaN : sum / count, Metrics.Select(m => m.Value).ToArray());
    }

    /// <summary>
    /// Activated predictions (probabilities for a category target) and targets of every item of <paramref name="loader"/>
    /// (default: validation), on the CPU, in loader order. The caller disposes both. fastai: <c>get_preds()</c>.
    /// </summary>
    public (torch.Tensor Predictions, torch.Tensor? Targets) GetPreds(DataLoader? loader = null)
    {
        loader ??= Dls.Valid;
        var preds = new List<torch.Tensor>();
        var targets = new List<torch.Tensor>();
        Model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            using var batches = loader.GetEnumerator();
            while (true)
            {
                using var scope = torch.NewDisposeScope();
                if (!batches.MoveNext()) break;
                var batch = batches.Current;
                preds.Add(Loss.Activation(Forward(batch)).cpu().DetachFromDisposeScope());
                if (batch.Targets.Length > 0) targets.Add(batch.Targets[0].cpu().DetachFromDisposeScope());
            }
        }
        finally
        {
            Model.train();
        }
        try
        {
            return (torch.cat(preds, 0), targets.Count > 0 ? torch.cat(targets, 0) : null);
        }
        finally
        {
            foreach (var t in preds.Concat(targets)) t.Dispose();
        }
    }
}
