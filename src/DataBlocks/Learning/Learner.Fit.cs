using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using DataLoader = DataBlocks.Data.DataLoader;

namespace DataBlocks.Learning;

public sealed partial class Learner
{
    /// <summary>
    /// Trains for <paramref name="nEpoch"/> epochs at constant learning rates, validating after each, and prints the
    /// epoch table. fastai: <c>learn.fit(n_epoch, lr, wd, cbs, reset_opt, start_epoch)</c>.
    /// </summary>
    /// <param name="nEpoch">Number of epochs.</param>
    /// <param name="lr">Learning rate(s); null = <see cref="LearnerOptions.Lr"/>.</param>
    /// <param name="wd">Weight decay; null = <see cref="LearnerOptions.Wd"/> or the optimizer's default.</param>
    /// <param name="callbacks">Callbacks for this fit only.</param>
    /// <param name="resetOpt">Recreate the optimizer (dropping its state) first.</param>
    /// <param name="startEpoch">Skip the epochs before this one (the schedule position follows, as fastai's <c>start_epoch</c>).</param>
    /// <returns>The rows of the epoch table.</returns>
    /// <param name="resume">Continue from the checkpoint of this same fit (<see cref="LearnerOptions.Checkpoint"/>) if there is one.</param>
    public IReadOnlyList<EpochResult> Fit(int nEpoch, LR? lr = null, double? wd = null, IEnumerable<Callback>? callbacks = null,
        bool resetOpt = false, int startEpoch = 0, bool resume = false) =>
        RunFit(nEpoch, lr, wd, callbacks, resetOpt, startEpoch, Describe(nameof(Fit), nEpoch, lr, wd), resume);

    private IReadOnlyList<EpochResult> RunFit(int nEpoch, LR? lr, double? wd, IEnumerable<Callback>? callbacks, bool resetOpt, int startEpoch,
        string? description = null, bool resume = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nEpoch, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(startEpoch);
        if (resume && Options.Checkpoint is null)
            throw new InvalidOperationException("resume: true needs LearnerOptions.Checkpoint, the name checkpoints are written under.");
        int fit = description is null ? -1 : _fits++;   // the lr finder's fit is not numbered
        int firstRow = History.Count;
        CheckpointPosition? restored = null;
        if (resume && description is not null && RestoreCheckpoint(fit, description) is { } position)
        {
            firstRow = position.FirstRow;
            if (position.Completed)
            {
                Options.Output?.WriteLine($"{description} already ran to its end: restored from {CheckpointPath(fit)}.");
                return History.Skip(firstRow).ToArray();
            }
            restored = position;
            startEpoch = position.NextEpoch;
            Options.Output?.WriteLine($"Resuming {description} at epoch {startEpoch} from {CheckpointPath(fit)}.");
        }
        var added = callbacks?.ToList() ?? [];
        if (Options.Checkpoint is not null && description is not null) added.Add(new CheckpointCallback(fit, description, firstRow));
        foreach (var cb in added) AddCallback(cb);
        try
        {
            if ((resetOpt && restored is null) || _opt is null) CreateOptimizer();
            if (wd is { } w) _opt!.SetWd([w]);
            else if (Options.Wd is { } d) _opt!.SetWd([d]);
            _opt!.SetLr((lr ?? Options.Lr).Expand(_opt.GroupCount));
            NEpoch = nEpoch;
            var progress = _callbacks.OfType<ProgressCallback>().FirstOrDefault();
            void Body() => Phase(c => c.BeforeFit(), () =>
            {
                if (restored is not null) ApplyCallbackStates(restored.CallbackStates);
                TrainIter = startEpoch * Dls.Train.Count;
                for (int epoch = startEpoch; epoch < nEpoch; epoch++)
                {
                    Epoch = epoch;
                    EpochCompleted = false;
                    Phase(c => c.BeforeEpoch(), DoEpoch, c =>
                    {
                        EpochCompleted = true;   // cancelled on purpose: the epoch counts as done
                        c.AfterCancelEpoch();
                    }, c => c.AfterEpoch(), typeof(CancelEpochException));
                }
            }, c => c.AfterCancelFit(), c => c.AfterFit(), typeof(CancelFitException));
            if (progress is null) Body();
            else progress.Run(Body);
            return History.Skip(firstRow).ToArray();
        }
        finally
        {
            foreach (var cb in added) RemoveCallback(cb);
        }
    }

    private void DoEpoch()
    {
        // The phase's state is set before its before-event, as fastai's TrainEvalCallback (order −10) does.
        EnterPhase(Dls.Train, training: true);
        Phase(c => c.BeforeTrain(), () => RunBatches(Dls.Train, training: true),
            c => c.AfterCancelTrain(), c => c.AfterTrain(), typeof(CancelTrainException));
        EnterPhase(Dls.Valid, training: false);
        Phase(c => c.BeforeValidate(), () => RunBatches(Dls.Valid, training: false),
            c => c.AfterCancelValidate(), c => c.AfterValidate(), typeof(CancelValidException));
        EpochCompleted = true;
    }

    private void EnterPhase(DataLoader loader, bool training)
    {
        Training = training;
        Dl = loader;
        NIter = loader.Count;
        if (training) Model.train();
        else Model.eval();
    }

    private void RunBatches(DataLoader loader, bool training)
    {
        // The phase was entered before its before-event (EnterPhase), so a callback may change the model's mode there
        // (put norm layers in eval, as fastai's BnFreeze does) and it stays so for the batches.
        using var noGrad = training ? null : torch.no_grad();
        try
        {
            using var batches = loader.GetEnumerator();
            for (int i = 0; ; i++)
            {
                using var scope = torch.NewDisposeScope();   // every tensor of the batch dies here
                if (!batches.MoveNext()) break;
                Iter = i;
                Batch = batches.Current;
                if (training) PctTrain = (double)TrainIter / (NEpoch * NIter);
                try
                {
                    BatchPhase(c => c.BeforeBatch(), OneBatch, c => c.AfterCancelBatch(), c => c.AfterBatch(), typeof(CancelBatchException));
                }
                finally
                {
                    Pred = null;
                    LossTensor = null;
                    LossGrad = null;
                    Batch = null;
                }
                if (training) TrainIter++;
            }
        }
        finally
        {
            Model.train();
        }
    }

    private void OneBatch()
    {
        Pred = Forward(Batch!);
        Call(c => c.AfterPred(), batchEvent: true);
        if (Batch!.Targets.Length == 0) return;
        LossTensor = Loss.Compute(Pred, Batch.Targets[0]);
        LossGrad = LossTensor;
        Call(c => c.AfterLoss(), batchEvent: true);
        if (!Training) return;
        BatchPhase(c => c.BeforeBackward(), () => LossGrad!.backward(), c => c.AfterCancelBackward(), c => c.AfterBackward(),
            typeof(CancelBackwardException));
        if (Options.StopOnNaN && !_findingLr) GuardAgainstNaN();   // the lr finder runs into NaN on purpose
        BatchPhase(c => c.BeforeStep(), () => _opt!.Step(), c => c.AfterCancelStep(), c => c.AfterStep(), typeof(CancelStepException));
        _opt!.ZeroGrad();
    }

    /// <summary>Stops before the step when the loss or a gradient is not finite, so the weights stay those of the last good batch.</summary>
    private void GuardAgainstNaN()
    {
        double loss = LossValue;
        bool finite = double.IsFinite(loss);
        if (finite)
        {
            // The sum of every gradient is NaN or infinite exactly when one of them holds a NaN or an infinity (or when they
            // are too large to add up in float32, which is divergence too): one read of each gradient, no copies.
            using var scope = torch.NewDisposeScope();
            var sums = new List<torch.Tensor>();
            foreach (var group in _opt!.Groups)
                foreach (var p in group)
                {
                    var grad = p.grad;   // a new handle: the scope disposes it
                    if (grad is not null) sums.Add(grad.sum());
                }
            if (sums.Count > 0) finite = double.IsFinite(torch.stack(sums).sum().item<float>());
        }
        if (finite) return;
        _opt!.ZeroGrad();
        throw new TrainingDivergedException(Epoch, Iter, loss);
    }

    /// <summary>
    /// Runs a phase as fastai's <c>_with_events</c>: its before-event and the body; a cancel exception of
    /// <paramref name="cancel"/> is absorbed after the after-cancel event; then the after-event. Any other exception
    /// propagates without after-events.
    /// </summary>
    private void Phase(Action<Callback> before, Action body, Action<Callback> afterCancel, Action<Callback> after, Type cancel) =>
        WithEvents(before, body, afterCancel, after, cancel, batchEvent: false);

    private void BatchPhase(Action<Callback> before, Action body, Action<Callback> afterCancel, Action<Callback> after, Type cancel) =>
        WithEvents(before, body, afterCancel, after, cancel, batchEvent: true);

    private void WithEvents(Action<Callback> before, Action body, Action<Callback> afterCancel, Action<Callback> after, Type cancel, bool batchEvent)
    {
        try
        {
            Call(before, batchEvent);
            body();
        }
        catch (Exception e) when (e.GetType() == cancel)
        {
            Call(afterCancel, batchEvent);
        }
        Call(after, batchEvent);
    }

    private void Call(Action<Callback> @event, bool batchEvent)
    {
        foreach (var cb in _running)
        {
            if (batchEvent && (Training ? !cb.RunOnTrain : !cb.RunOnValid)) continue;
            @event(cb);
        }
    }
}

/// <summary>
/// Writes the learner's checkpoint after every epoch but the last, and once more at the end of the fit — after every other
/// callback's <c>AfterFit</c>, so the final checkpoint holds what the fit left (the best model a SaveModelCallback loaded
/// back, or the state where early stopping ended it). See <see cref="LearnerOptions.Checkpoint"/>. Order 80.
/// </summary>
internal sealed class CheckpointCallback(int fit, string description, int firstRow) : Callback
{
    public override int Order => 80;

    public override void AfterEpoch()
    {
        if (Learner.EpochCompleted && Learner.Epoch < Learner.NEpoch - 1) Learner.WriteCheckpoint(fit, description, firstRow, completed: false);
    }

    public override void AfterFit() => Learner.WriteCheckpoint(fit, description, firstRow, completed: true);
}

/// <summary>Training produced a NaN or infinite loss or gradient; the step was not taken, so the weights are those of the last good batch.</summary>
public sealed class TrainingDivergedException(int epoch, int batch, double loss)
    : DataBlocksException($"Training diverged at epoch {epoch}, batch {batch}: the loss is {loss} or a gradient is not finite. " +
                          "The step was not taken, so the model keeps the weights of the last good batch. Try a lower learning rate.")
{
    /// <summary>The epoch (0-based) where it happened.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>The batch (0-based, within the epoch).</summary>
    public int Batch { get; } = batch;
}
