using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Losses;
using DataBlocks.Metrics;
using TorchSharp;
using TorchSharp.Modules;
using DataLoader = DataBlocks.Data.DataLoader;

namespace DataBlocks.Learning;

/// <summary>
/// The training loop and its events, the way fastai's <c>Learner</c> is: it owns the model, the data, the loss and the
/// optimizer over layer groups, runs fits and validation phases, and raises fastai's events for its callbacks.
/// Everything else attaches to it: the recorder, the progress display and the NaN guard are callbacks it adds; the
/// schedules (<c>FitOneCycle</c>, <c>FineTune</c>, <c>FitSgdr</c>, <c>FitFlatCos</c>, 0.7's cycles), <c>LrFind</c>,
/// mixed precision (<c>ToBf16</c>/<c>ToFp16</c>), freezing, predictions, saving and checkpoints are extension methods
/// that add callbacks. fastai: <c>Learner</c>.
/// </summary>
public sealed class Learner : IDisposable
{
    private readonly List<Callback> _callbacks = [];

    /// <summary>A snapshot of <see cref="_callbacks"/>, replaced on each change: an event runs the callbacks there were when it began.</summary>
    private Callback[] _running = [];
    private LearnerOptimizer? _opt;
    private IReadOnlyList<IReadOnlyList<Parameter>>? _groups;
    private int _startEpoch;
    private torch.Tensor? _lossTensor;
    private double? _lossValue;
    private int _loopDepth;

    /// <summary>Creates a learner; the model is moved to the loaders' device.</summary>
    /// <param name="dls">The data.</param>
    /// <param name="model">The model: raw outputs from the input batch (several categorical inputs arrive stacked as <c>[B, n]</c>).</param>
    /// <param name="loss">The loss; null = the loss the target block implies (<see cref="DataLoaders.DefaultLoss"/>).</param>
    /// <param name="metrics">Validation metrics, in table order.</param>
    /// <param name="options">Hyper-parameters, optimizer, layer groups, output, where files go.</param>
    /// <exception cref="DataBlocksException">No loss given and none can be inferred, or the loss or a metric does not take the target.</exception>
    public Learner(DataLoaders dls, torch.nn.Module<torch.Tensor, torch.Tensor> model, ILossFunction? loss = null,
        IEnumerable<IMetric>? metrics = null, LearnerOptions? options = null)
    {
        Dls = dls;
        Model = model;
        Loss = loss ?? dls.DefaultLoss ?? throw new DataBlocksException(
            $"Could not infer a loss function from {dls.Datasets.Name}'s target; pass one to the Learner.");
        Metrics = metrics?.ToArray() ?? [];
        TargetChecks.Check(dls, Loss, Metrics);
        Options = options ?? new LearnerOptions();
        Model.to(dls.Device);
        Recorder = new Recorder();
        AddCallback(Recorder);
        AddCallback(new ProgressCallback());
        if (Options.StopOnNaN) AddCallback(new TerminateOnNaNCallback());
        foreach (var cb in Options.Callbacks) AddCallback(cb);
    }

    /// <summary>The data (replaced by <see cref="SetData"/>).</summary>
    public DataLoaders Dls { get; private set; }

    /// <summary>The model (owned by the learner).</summary>
    public torch.nn.Module<torch.Tensor, torch.Tensor> Model { get; }

    /// <summary>The loss.</summary>
    public ILossFunction Loss { get; }

    /// <summary>The validation metrics.</summary>
    public IReadOnlyList<IMetric> Metrics { get; }

    /// <summary>Hyper-parameters and output.</summary>
    public LearnerOptions Options { get; }

    /// <summary>Records losses, learning rates, momentums, validation results and the epoch table. fastai: <c>learn.recorder</c>.</summary>
    public Recorder Recorder { get; }

    /// <summary>Every epoch trained so far, across fits (each fit numbers its epochs from 0, as fastai's table does).</summary>
    public IReadOnlyList<EpochResult> History => Recorder.History;

    /// <summary>The smoothed training loss after every training batch of the last fit (fastai's <c>recorder.losses</c>).</summary>
    public IReadOnlyList<double> Losses => Recorder.Losses;

    /// <summary>The callbacks, in the order they run.</summary>
    public IReadOnlyList<Callback> Callbacks => _callbacks;

    /// <summary>The optimizer, created at the first fit (or by <see cref="CreateOptimizer"/>); null before.</summary>
    public LearnerOptimizer? Optimizer => _opt;

    /// <summary>The layer groups (body first, head last), from <see cref="LearnerOptions.Splitter"/>. fastai: <c>splitter(model)</c>.</summary>
    public IReadOnlyList<IReadOnlyList<Parameter>> LayerGroups => _groups ??= ModelParameters.Split(Model, Options.Splitter);

    /// <summary>Where saved models and checkpoints go: <see cref="LearnerOptions.Path"/>/<see cref="LearnerOptions.ModelDir"/>.</summary>
    public string ModelDirectory => Path.Combine(Options.Path, Options.ModelDir);

    /// <summary>The body's activations the loop reads batches from while precompute is on (<see cref="Precompute.SetPrecompute"/>); null when off.</summary>
    internal PrecomputedActivations? Precomputed { get; set; }

    /// <summary>How many fits were numbered so far (each numbered fit has its own checkpoint; the lr finder's is not numbered).</summary>
    internal int NumberedFits { get; set; }

    // ---- loop state, for callbacks --------------------------------------------------------------------------------

    /// <summary>The current epoch (0-based).</summary>
    public int Epoch { get; private set; }

    /// <summary>The number of epochs of the current fit.</summary>
    public int NEpoch { get; private set; }

    /// <summary>The index of the current batch in its epoch.</summary>
    public int Iter { get; private set; }

    /// <summary>The number of batches in the current phase.</summary>
    public int NIter { get; private set; }

    /// <summary>Training batches done so far in the current fit. fastai: <c>train_iter</c>.</summary>
    public int TrainIter { get; private set; }

    /// <summary>Whether the current epoch ran to its end (or was cancelled on purpose) rather than being cut short by an error.</summary>
    public bool EpochCompleted { get; private set; }

    /// <summary>Training progress of the current batch, in [0, 1). fastai: <c>pct_train</c>.</summary>
    public double PctTrain { get; private set; }

    /// <summary>Whether the current phase trains (else it validates).</summary>
    public bool Training { get; private set; }

    /// <summary>The loader of the current phase.</summary>
    public DataLoader? Dl { get; private set; }

    /// <summary>The current batch (valid during batch events).</summary>
    public Batch? Batch { get; private set; }

    /// <summary>The model's output for the current batch (from <c>AfterPred</c>); callbacks may replace it.</summary>
    public torch.Tensor? Pred { get; set; }

    /// <summary>The loss of the current batch (from <c>AfterLoss</c>), as recorded. fastai: <c>learn.loss</c>.</summary>
    public torch.Tensor? LossTensor
    {
        get => _lossTensor;
        set
        {
            _lossTensor = value;
            _lossValue = null;
        }
    }

    /// <summary>
    /// <see cref="LossTensor"/> as a number, read from the device once per batch however many callbacks ask (each
    /// read of a CUDA tensor waits for the GPU). NaN when the batch has no loss.
    /// </summary>
    public double LossValue => _lossValue ??= _lossTensor is { } loss ? loss.item<float>() : double.NaN;

    /// <summary>The tensor the backward pass starts from; callbacks may scale it (gradient accumulation, loss scaling). fastai: <c>loss_grad</c>.</summary>
    public torch.Tensor? LossGrad { get; set; }

    /// <summary>Adds a callback (it runs in <see cref="Callback.Order"/>, ties in the order they were added).</summary>
    public void AddCallback(Callback callback)
    {
        callback.Learner = this;
        int at = _callbacks.FindLastIndex(c => c.Order <= callback.Order) + 1;
        _callbacks.Insert(at, callback);
        _running = _callbacks.ToArray();
    }

    /// <summary>Removes a callback.</summary>
    public bool RemoveCallback(Callback callback)
    {
        bool removed = _callbacks.Remove(callback);
        _running = _callbacks.ToArray();
        return removed;
    }

    /// <summary>
    /// Creates (or recreates) the optimizer over the layer groups, with every learning rate at <see cref="LearnerOptions.Lr"/>,
    /// then raises <see cref="Callback.AfterCreateOpt"/>. Happens at the first fit; call it to read or set hyper-parameters
    /// earlier. fastai: <c>create_opt</c>.
    /// </summary>
    public LearnerOptimizer CreateOptimizer()
    {
        _opt?.Dispose();
        var noDecay = Options.Optimizer.WdBnBias ? new HashSet<Parameter>() : ModelParameters.NoDecay(Model);
        double[] lrs = Options.Lr.Expand(LayerGroups.Count);
        _opt = new LearnerOptimizer(LayerGroups, noDecay, Options.Optimizer, lrs[^1]);
        _opt.SetLr(lrs);
        if (Options.Wd is { } wd) _opt.SetWd([wd]);
        Call(c => c.AfterCreateOpt(), batchEvent: false);
        return _opt;
    }

    /// <summary>Forgets the layer groups, to be worked out again (after a change that replaced the model's <see cref="Parameter"/> objects).</summary>
    internal void ResetLayerGroups() => _groups = null;

    /// <summary>Raises a non-batch event (state hooks) for every callback.</summary>
    internal void Raise(Action<Callback> @event) => Call(@event, batchEvent: false);

    /// <summary>
    /// Continues with other data: the same model, optimizer, callbacks and history on <paramref name="dls"/> — the course's
    /// progressive resizing (train at 128 px, then at 224 px). The new loaders must hold the same fields: the same kinds,
    /// the same number of outputs and the same classes in the same order (the head's outputs mean the same). The model
    /// moves to their device. When the old training loader has a <see cref="Vision.Normalize"/> (one a vision learner
    /// added for its pretrained weights) and the new one has none, the same is added to the new loaders. With precompute
    /// on, the activations are computed again for the new data. fastai 0.7: <c>learn.set_data(data)</c>; fastai 2:
    /// <c>learn.dls = dls</c>.
    /// </summary>
    /// <exception cref="DataBlocksException">The new loaders' fields differ (names the field and what differs), or the loss or a metric does not take their target.</exception>
    /// <exception cref="InvalidOperationException">Called from a callback during a fit or validation.</exception>
    public void SetData(DataLoaders dls)
    {
        ArgumentNullException.ThrowIfNull(dls);
        if (_loopDepth > 0) throw new InvalidOperationException("SetData cannot run during a fit or a validation phase.");
        DataChecks.CheckCompatible(Dls, dls);
        TargetChecks.Check(dls, Loss, Metrics);
        if (Dls.Train.BatchTransforms.OfType<Vision.Normalize>().FirstOrDefault() is { } norm && !dls.Train.BatchTransforms.Any(t => t is Vision.Normalize))
            dls.AddBatchTransforms(norm);
        bool precompute = Precomputed is not null;
        this.SetPrecompute(false);
        Dls = dls;
        Model.to(dls.Device);
        if (precompute) this.SetPrecompute(true);
    }

    /// <summary>
    /// The model's raw output for a batch (inputs moved through the model; several 1-D inputs are stacked). A batch of
    /// precomputed activations goes through the head only.
    /// </summary>
    public torch.Tensor Forward(Batch batch)
    {
        if (batch.HoldsActivations)
            return (Precomputed ?? throw new InvalidOperationException("This batch holds precomputed activations, but precompute is off.")).Forward(batch.Inputs[0]);
        if (batch.NInputs == 1) return Model.call(batch.Inputs[0]);
        var inputs = batch.Inputs.ToArray();
        if (inputs.All(t => t.dim() == 1 && t.dtype == inputs[0].dtype))
            return Model.call(torch.stack(inputs, 1));
        throw new DataBlocksException(
            $"{Dls.Datasets.Name} has {batch.NInputs} inputs of different kinds; a single-input model cannot take them. Stack them in a custom module.");
    }

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
    /// <param name="resume">Continue from the checkpoint of this same fit (<see cref="LearnerOptions.Checkpoint"/>) if there is one.</param>
    /// <returns>The rows of the epoch table.</returns>
    public IReadOnlyList<EpochResult> Fit(int nEpoch, LR? lr = null, double? wd = null, IEnumerable<Callback>? callbacks = null,
        bool resetOpt = false, int startEpoch = 0, bool resume = false) =>
        Checkpoints.Run(this, Checkpoints.Describe(nameof(Fit), nEpoch, lr, wd), resume, (at, extra) =>
            RunFit(nEpoch, lr, wd, [.. callbacks ?? [], .. extra], resetOpt && at is null, at ?? startEpoch));

    /// <summary>
    /// The loop of a fit: creates the optimizer if needed, sets the fit's learning rates and weight decay, adds the fit's
    /// callbacks and runs <c>BeforeFit</c>, the epochs, <c>AfterFit</c> (fastai's <c>_do_fit</c> within <c>_with_events</c>).
    /// </summary>
    /// <returns>The rows this fit added to the table.</returns>
    internal IReadOnlyList<EpochResult> RunFit(int nEpoch, LR? lr, double? wd, IEnumerable<Callback> callbacks, bool resetOpt, int startEpoch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nEpoch, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(startEpoch);
        if (Precomputed is not null) Precompute.CheckFrozen(Precompute.Parts(Model).Body);
        int firstRow = History.Count;
        WithCallbacks(callbacks, () =>
        {
            if (resetOpt || _opt is null) CreateOptimizer();
            if ((wd ?? Options.Wd) is { } w) _opt!.SetWd([w]);
            _opt!.SetLr((lr ?? Options.Lr).Expand(_opt.GroupCount));
            NEpoch = nEpoch;
            _startEpoch = startEpoch;
            Action fit = () => Phase(c => c.BeforeFit(), DoFit, c => c.AfterCancelFit(), c => c.AfterFit(), typeof(CancelFitException));
            foreach (var cb in _running.Reverse())
            {
                var inner = fit;
                fit = () => cb.AroundFit(inner);
            }
            fit();
        });
        return History.Skip(firstRow).ToArray();
    }

    /// <summary>
    /// One validation phase over <paramref name="loader"/> (default: the validation loader) with the learner's callbacks and
    /// <paramref name="callbacks"/>: the same <c>BeforeValidate</c>, batch and <c>AfterValidate</c> events as a fit's
    /// validation, in evaluation mode without gradients. The recorder computes the loss and metrics
    /// (<see cref="Learning.Recorder.ValidLoss"/>); <see cref="GatherPredsCallback"/> collects predictions. fastai: <c>_do_epoch_validate</c>.
    /// </summary>
    public void RunValidation(DataLoader? loader = null, IEnumerable<Callback>? callbacks = null) =>
        WithCallbacks(callbacks ?? [], () => ValidationPhase(loader ?? Dls.Valid));

    /// <summary>Disposes the model, the optimizer and the callbacks it holds that are <see cref="IDisposable"/> (mixed precision's masters).</summary>
    public void Dispose()
    {
        _opt?.Dispose();
        _opt = null;
        Precomputed?.Dispose();
        Precomputed = null;
        foreach (var cb in _callbacks.OfType<IDisposable>()) cb.Dispose();
        Model.Dispose();
    }

    private void WithCallbacks(IEnumerable<Callback> callbacks, Action body)
    {
        var added = callbacks.ToArray();
        foreach (var cb in added) AddCallback(cb);
        _loopDepth++;
        try
        {
            body();
        }
        finally
        {
            _loopDepth--;
            foreach (var cb in added) RemoveCallback(cb);
        }
    }

    private void DoFit()
    {
        TrainIter = _startEpoch * Dls.Train.Count;
        for (int epoch = _startEpoch; epoch < NEpoch; epoch++)
        {
            Epoch = epoch;
            EpochCompleted = false;
            Phase(c => c.BeforeEpoch(), DoEpoch, c =>
            {
                EpochCompleted = true;   // cancelled on purpose: the epoch counts as done
                c.AfterCancelEpoch();
            }, c => c.AfterEpoch(), typeof(CancelEpochException));
        }
    }

    private void DoEpoch()
    {
        // The phase's state is set before its before-event, as fastai's TrainEvalCallback (order −10) does.
        EnterPhase(Dls.Train, training: true);
        Phase(c => c.BeforeTrain(), () => RunBatches(Dls.Train, training: true),
            c => c.AfterCancelTrain(), c => c.AfterTrain(), typeof(CancelTrainException));
        ValidationPhase(Dls.Valid);
        EpochCompleted = true;
    }

    private void ValidationPhase(DataLoader loader)
    {
        EnterPhase(loader, training: false);
        Phase(c => c.BeforeValidate(), () => RunBatches(loader, training: false),
            c => c.AfterCancelValidate(), c => c.AfterValidate(), typeof(CancelValidException));
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
            using var batches = Precomputed?.Batches(loader) ?? loader.GetEnumerator();
            for (int i = 0; ; i++)
            {
                using var scope = torch.NewDisposeScope();   // every tensor of the batch dies here
                if (!batches.MoveNext()) break;
                Iter = i;
                Batch = batches.Current;
                if (training) PctTrain = (double)TrainIter / (NEpoch * NIter);
                try
                {
                    Phase(c => c.BeforeBatch(), OneBatch, c => c.AfterCancelBatch(), c => c.AfterBatch(), typeof(CancelBatchException), batchEvent: true);
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
        Phase(c => c.BeforeBackward(), () => LossGrad!.backward(), c => c.AfterCancelBackward(), c => c.AfterBackward(),
            typeof(CancelBackwardException), batchEvent: true);
        Phase(c => c.BeforeStep(), () => _opt!.Step(), c => c.AfterCancelStep(), c => c.AfterStep(), typeof(CancelStepException), batchEvent: true);
        _opt!.ZeroGrad();
    }

    /// <summary>
    /// Runs a phase as fastai's <c>_with_events</c>: its before-event and the body; a cancel exception of
    /// <paramref name="cancel"/> is absorbed after the after-cancel event; then the after-event. Any other exception
    /// propagates without after-events.
    /// </summary>
    private void Phase(Action<Callback> before, Action body, Action<Callback> afterCancel, Action<Callback> after, Type cancel, bool batchEvent = false)
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
