using System;
using DataBlocks.Data;
using TorchSharp;

namespace DataBlocks.Bench;

/// <summary>The loop a TorchSharp user writes by hand, the baseline of the learner benchmarks.</summary>
internal static class HandLoop
{
    /// <summary>
    /// One epoch: a dispose scope per batch, forward, cross-entropy, backward, step; then a validation pass computing the
    /// loss and accuracy, as the Learner's recorder does.
    /// </summary>
    /// <returns>The validation accuracy.</returns>
    public static double Epoch(torch.nn.Module<torch.Tensor, torch.Tensor> model, Action step, Action zeroGrad, DataLoaders dls)
    {
        model.train();
        foreach (var batch in dls.Train)
        {
            using var scope = torch.NewDisposeScope();
            var loss = torch.nn.functional.cross_entropy(model.call(batch.Inputs[0]), batch.Targets[0]);
            loss.backward();
            step();
            zeroGrad();
            _ = loss.item<float>();
        }
        model.eval();
        long correct = 0, total = 0;
        using (torch.no_grad())
            foreach (var batch in dls.Valid)
            {
                using var scope = torch.NewDisposeScope();
                var pred = model.call(batch.Inputs[0]);
                _ = torch.nn.functional.cross_entropy(pred, batch.Targets[0]).item<float>();
                correct += pred.argmax(-1).eq(batch.Targets[0]).sum().item<long>();
                total += batch.Size;
            }
        model.train();
        return (double)correct / total;
    }
}
