using System;
using System.Collections.Generic;
using TorchSharp;

namespace DataBlocks.Learning;

/// <summary>
/// Hooks into the training loop. Override the events you need; read and change the learner's state through
/// <see cref="Learner"/>. Callbacks run in ascending <see cref="Order"/> (ties in the order they were added); throw one
/// of the <c>Cancel…Exception</c>s to skip the rest of a batch, a step, an epoch, or the whole fit.
/// fastai: <c>Callback</c> with the events of <c>learner.py</c>.
/// </summary>
/// <remarks>
/// Event order for one fit: <c>BeforeFit</c>; per epoch <c>BeforeEpoch</c>, <c>BeforeTrain</c>, per training batch
/// (<c>BeforeBatch</c>, <c>AfterPred</c>, <c>AfterLoss</c>, <c>BeforeBackward</c>, <c>AfterBackward</c>, <c>BeforeStep</c>,
/// <c>AfterStep</c>, <c>AfterBatch</c>), <c>AfterTrain</c>, <c>BeforeValidate</c>, the same batch events without backward and
/// step, <c>AfterValidate</c>, <c>AfterEpoch</c>; finally <c>AfterFit</c>, which always runs. A cancelled phase fires its
/// <c>AfterCancel…</c> event before its <c>After…</c> event.
/// </remarks>
public abstract class Callback
{
    /// <summary>The learner running this callback (set when the callback is added).</summary>
    public Learner Learner { get; internal set; } = null!;

    /// <summary>Sort key: fastai's TrainEval is −10, Recorder 50, ParamScheduler 60, Progress 70.</summary>
    public virtual int Order => 0;

    /// <summary>Whether the batch events of training run for this callback.</summary>
    public virtual bool RunOnTrain => true;

    /// <summary>Whether the batch events of validation run for this callback.</summary>
    public virtual bool RunOnValid => true;

    /// <summary>A name for messages.</summary>
    public virtual string Name => GetType().Name;

    /// <summary>
    /// Writes what this callback needs to carry on exactly after a resume (a tracker's best value, a running count). Called
    /// whenever a checkpoint is written (<see cref="LearnerOptions.Checkpoint"/>); the default writes nothing.
    /// </summary>
    protected internal virtual void WriteState(System.IO.BinaryWriter writer) { }

    /// <summary>
    /// Reads what <see cref="WriteState"/> wrote, when a fit resumes from a checkpoint: after <see cref="BeforeFit"/>, before
    /// the first epoch. Callbacks are matched by type and by their position among callbacks of that type.
    /// </summary>
    protected internal virtual void ReadState(System.IO.BinaryReader reader) { }

    /// <summary>
    /// Runs the whole fit (<paramref name="fit"/>: <c>BeforeFit</c> to <c>AfterFit</c>) inside something this callback
    /// sets up and always tears down, errors included (the progress display's live bar). Callbacks wrap in
    /// <see cref="Order"/>, the first outermost; the default just runs it.
    /// </summary>
    public virtual void AroundFit(Action fit) => fit();

    /// <summary>
    /// Called each time the learner creates its optimizer (<see cref="Learning.Learner.CreateOptimizer"/>), before anything
    /// steps it: a callback may hand it other parameters to step (mixed precision's fp32 masters). fastai: <c>create_opt</c>'s aftermath.
    /// </summary>
    public virtual void AfterCreateOpt() { }

    /// <summary>
    /// Lets the callback stand its own tensors in for the model's in the state that saving writes and loading fills
    /// (<see cref="LearnerFiles.StateTensors"/>), by state-dict name: mixed precision puts the fp32 masters there.
    /// </summary>
    public virtual void ModelStateTensors(IDictionary<string, torch.Tensor> tensors) { }

    /// <summary>Called after loaded weights were copied into <see cref="LearnerFiles.StateTensors"/> (mixed precision copies the masters into the model).</summary>
    public virtual void AfterModelStateLoaded() { }

#pragma warning disable CS1591 // the events are described in the class remarks
    public virtual void BeforeFit() { }
    public virtual void BeforeEpoch() { }
    public virtual void BeforeTrain() { }
    public virtual void BeforeBatch() { }
    public virtual void AfterPred() { }
    public virtual void AfterLoss() { }
    public virtual void BeforeBackward() { }
    public virtual void AfterBackward() { }
    public virtual void BeforeStep() { }
    public virtual void AfterStep() { }
    public virtual void AfterBatch() { }
    public virtual void AfterTrain() { }
    public virtual void BeforeValidate() { }
    public virtual void AfterValidate() { }
    public virtual void AfterEpoch() { }
    public virtual void AfterFit() { }
    public virtual void AfterCancelBatch() { }
    public virtual void AfterCancelStep() { }
    public virtual void AfterCancelBackward() { }
    public virtual void AfterCancelTrain() { }
    public virtual void AfterCancelValidate() { }
    public virtual void AfterCancelEpoch() { }
    public virtual void AfterCancelFit() { }
#pragma warning restore CS1591
}

/// <summary>Skips the rest of the current batch. fastai: <c>CancelBatchException</c>.</summary>
public sealed class CancelBatchException() : Exception("The batch was cancelled.");

/// <summary>Skips the optimizer step of the current batch. fastai: <c>CancelStepException</c>.</summary>
public sealed class CancelStepException() : Exception("The step was cancelled.");

/// <summary>Skips the backward pass of the current batch. fastai: <c>CancelBackwardException</c>.</summary>
public sealed class CancelBackwardException() : Exception("The backward pass was cancelled.");

/// <summary>Ends the training phase of the epoch. fastai: <c>CancelTrainException</c>.</summary>
public sealed class CancelTrainException() : Exception("The training phase was cancelled.");

/// <summary>Ends the validation phase of the epoch. fastai: <c>CancelValidException</c>.</summary>
public sealed class CancelValidException() : Exception("The validation phase was cancelled.");

/// <summary>Ends the current epoch. fastai: <c>CancelEpochException</c>.</summary>
public sealed class CancelEpochException() : Exception("The epoch was cancelled.");

/// <summary>Stops the fit (<c>AfterCancelFit</c> and <c>AfterFit</c> still run). fastai: <c>CancelFitException</c>.</summary>
public sealed class CancelFitException(string? reason = null) : Exception(reason ?? "The fit was cancelled.");
