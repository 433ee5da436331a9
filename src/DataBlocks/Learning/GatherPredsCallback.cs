using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using DataLoader = DataBlocks.Data.DataLoader;

namespace DataBlocks.Learning;

/// <summary>
/// Collects the activated predictions (the loss's activation: probabilities for a category target) and the targets of
/// every validation batch, on the CPU, in loader order. <see cref="LearnerPredictions.GetPreds"/> adds it for one
/// validation phase. fastai: <c>GatherPredsCallback</c>.
/// </summary>
public sealed class GatherPredsCallback : Callback, IDisposable
{
    private readonly List<torch.Tensor> _preds = [], _targets = [];

    /// <inheritdoc />
    public override bool RunOnTrain => false;

    /// <inheritdoc />
    public override void BeforeValidate() => Dispose();

    /// <inheritdoc />
    public override void AfterBatch()
    {
        _preds.Add(Learner.Loss.Activation(Learner.Pred!).to(torch.float32).cpu().DetachFromDisposeScope());
        if (Learner.Batch!.Targets.Length > 0) _targets.Add(Learner.Batch.Targets[0].cpu().DetachFromDisposeScope());
    }

    /// <summary>The predictions and targets gathered, each concatenated into one tensor the caller disposes; null targets when the batches had none.</summary>
    public (torch.Tensor Predictions, torch.Tensor? Targets) Result() =>
        (torch.cat(_preds, 0), _targets.Count > 0 ? torch.cat(_targets, 0) : null);

    /// <summary>Frees what was gathered.</summary>
    public void Dispose()
    {
        foreach (var t in _preds.Concat(_targets)) t.Dispose();
        _preds.Clear();
        _targets.Clear();
    }
}

/// <summary>Validation and predictions over a loader, through the learner's validation loop. fastai: <c>validate</c>, <c>get_preds</c>.</summary>
public static class LearnerPredictions
{
    /// <summary>
    /// Validation loss (item-weighted) and metrics over <paramref name="loader"/> (default: the validation loader), as the
    /// recorder computes them in a fit. fastai: <c>validate()</c>.
    /// </summary>
    public static (double Loss, IReadOnlyList<double> Metrics) Validate(this Learner learn, DataLoader? loader = null)
    {
        learn.RunValidation(loader);
        return (learn.Recorder.ValidLoss, learn.Metrics.Select(m => m.Value).ToArray());
    }

    /// <summary>
    /// Activated predictions (probabilities for a category target) and targets of every item of <paramref name="loader"/>
    /// (default: validation), on the CPU, in loader order. The caller disposes both. fastai: <c>get_preds()</c>.
    /// </summary>
    public static (torch.Tensor Predictions, torch.Tensor? Targets) GetPreds(this Learner learn, DataLoader? loader = null)
    {
        using var gather = new GatherPredsCallback();
        learn.RunValidation(loader, [gather]);
        return gather.Result();
    }
}
