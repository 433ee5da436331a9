using System;
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
        foreach (var m in Metrics) m.Reset();
        double sum = 0;
        long count = 0;
        Evaluate(loader ?? Dls.Valid, (batch, pred) =>
        {
            sum += Loss.Compute(pred, batch.Targets[0]).item<float>() * batch.Size;
            count += batch.Size;
            foreach (var m in Metrics) m.Accumulate(pred, batch.Targets[0]);
        });
        return (count == 0 ? double.NaN : sum / count, Metrics.Select(m => m.Value).ToArray());
    }

    /// <summary>
    /// Activated predictions (probabilities for a category target) and targets of every item of <paramref name="loader"/>
    /// (default: validation), on the CPU, in loader order. The caller disposes both. fastai: <c>get_preds()</c>.
    /// </summary>
    public (torch.Tensor Predictions, torch.Tensor? Targets) GetPreds(DataLoader? loader = null)
    {
        var preds = new List<torch.Tensor>();
        var targets = new List<torch.Tensor>();
        try
        {
            Evaluate(loader ?? Dls.Valid, (batch, pred) =>
            {
                preds.Add(Loss.Activation(pred).to(torch.float32).cpu().DetachFromDisposeScope());
                if (batch.Targets.Length > 0) targets.Add(batch.Targets[0].cpu().DetachFromDisposeScope());
            });
            return (torch.cat(preds, 0), targets.Count > 0 ? torch.cat(targets, 0) : null);
        }
        finally
        {
            foreach (var t in preds.Concat(targets)) t.Dispose();
        }
    }

    /// <summary>Runs the model over a loader in evaluation mode without gradients, one dispose scope per batch.</summary>
    private void Evaluate(DataLoader loader, Action<Data.Batch, torch.Tensor> onBatch)
    {
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
                if (_mixed is not null) _mixed.CastInputs(batch);
                var pred = Forward(batch);
                onBatch(batch, _mixed is null ? pred : pred.to(torch.float32));
            }
        }
        finally
        {
            Model.train();
        }
    }
}
