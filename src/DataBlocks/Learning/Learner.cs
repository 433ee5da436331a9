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
/// Trains a model on DataLoaders the fastai way: a training loop that raises fastai's events for callbacks; fastai's
/// Adam over layer groups with per-group learning rates; one-cycle, SGDR, flat-cos and fine-tune schedules; the
/// learning-rate finder; freezing; saving, checkpoints and resuming. fastai: <c>Learner</c>.
/// </summary>
/// <remarks>
/// The recorder (<see cref="Recorder"/>), the progress display and the schedules are callbacks. The learner owns the
/// model and the optimizer and disposes them.
/// </remarks>
public sealed partial class Learner : IDisposable
{
    private readonly List<Callback> _callbacks = [];

    /// <summary>A snapshot of <see cref="_callbacks"/>, replaced on each change: an event runs the callbacks there were when it began.</summary>
    private Callback[] _running = [];
    private LearnerOptimizer? _opt;
    private IReadOnlyList<IReadOnlyList<Parameter>>? _groups;
    private MixedPrecision? _mixed;
    private int _fits;
    private bool _findingLr;

    /// <summary>Creates a learner; the model is moved to the loaders' device.</summary>
    /// <param name="dls">The data.</param>
    /// <param name="model">The model: raw outputs from the input batch (several categorical inputs arrive stacked as <c>[B, n]</c>).</param>
    /// <param name="loss">The loss; null = the loss the target block implies (<see cref="DataLoaders.DefaultLoss"/>).</param>
    /// <param name="metrics">Validation metrics, in table order.</param>
    /// <param name="options">Hyper-parameters, optimizer, layer groups, output, where files go.</param>
    /// <exception cref="DataBlocksException">No loss given and none can be inferred.</exception>
    public Learner(DataLoaders dls, torch.nn.Module<torch.Tensor, torch.Tensor> model, ILossFunction? loss = null,
        IEnumerable<IMetric>? metrics = null, LearnerOptions? options = null)
    {
        Dls = dls;
        Model = model;
        Loss = loss ?? dls.DefaultLoss ?? throw new DataBlocksException(
            $"Could not infer a loss function from {dls.Datasets.Name}'s target; pass one to the Learner.");
        Metrics = metrics?.ToArray() ?? [];
        Options = options ?? new LearnerOptions();
        Model.to(dls.Device);
        Recorder = new Recorder();
        AddCallback(Recorder);
        AddCallback(new ProgressCallback());
        foreach (var cb in Options.Callbacks) AddCallback(cb);
    }

    /// <summary>The data.</summary>
    public DataLoaders Dls { get; }

    /// <summary>The model (owned by the learner).</summary>
    public torch.nn.Module<torch.Tensor, torch.Tensor> Model { get; }

    /// <summary>The loss.</summary>
    public ILossFunction Loss { get; }

    /// <summary>The validation metrics.</summary>
    public IReadOnlyList<IMetric> Metrics { get; }

    /// <summary>Hyper-parameters and output.</summary>
    public LearnerOptions Options { get; }

    /// <summary>Records losses, learning rates, momentums and the epoch table. fastai: <c>learn.recorder</c>.</summary>
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
    public IReadOnlyList<IReadOnlyList<Parameter>> LayerGroups => _groups ??= SplitModel();

    /// <summary>Where saved models and checkpoints go: <see cref="LearnerOptions.Path"/>/<see cref="LearnerOptions.ModelDir"/>.</summary>
    public string ModelDirectory => Path.Combine(Options.Path, Options.ModelDir);

    // ---- loop state, for callbacks --------------------------------------------------------------------------------

    /// <summary>The current epoch (0-based).</summary>
    public int Epoch { get; internal set; }

    /// <summary>The number of epochs of the current fit.</summary>
    public int NEpoch { get; internal set; }

    /// <summary>The index of the current batch in its epoch.</summary>
    public int Iter { get; internal set; }

    /// <summary>The number of batches in the current phase.</summary>
    public int NIter { get; internal set; }

    /// <summary>Training batches done so far in the current fit. fastai: <c>train_iter</c>.</summary>
    public int TrainIter { get; internal set; }

    /// <summary>Whether the current epoch ran to its end (or was cancelled on purpose) rather than being cut short by an error.</summary>
    public bool EpochCompleted { get; internal set; }

    /// <summary>Training progress of the current batch, in [0, 1). fastai: <c>pct_train</c>.</summary>
    public double PctTrain { get; internal set; }

    /// <summary>Whether the current phase trains (else it validates).</summary>
    public bool Training { get; internal set; }

    /// <summary>The loader of the current phase.</summary>
    public DataLoader? Dl { get; internal set; }

    /// <summary>The current batch (valid during batch events).</summary>
    public Batch? Batch { get; internal set; }

    /// <summary>The model's output for the current batch (from <c>AfterPred</c>).</summary>
    public torch.Tensor? Pred { get; internal set; }

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

    private torch.Tensor? _lossTensor;
    private double? _lossValue;

    /// <summary>
    /// <see cref="LossTensor"/> as a number, read from the device once per batch however many callbacks ask (each
    /// read of a CUDA tensor waits for the GPU). NaN when the batch has no loss.
    /// </summary>
    public double LossValue => _lossValue ??= _lossTensor is { } loss ? loss.item<float>() : double.NaN;

    /// <summary>The tensor the backward pass starts from; callbacks may scale it (gradient accumulation, loss scaling). fastai: <c>loss_grad</c>.</summary>
    public torch.Tensor? LossGrad { get; set; }

    /// <summary>Where the recorder sends each new row of the epoch table (the progress display, during a fit). fastai: <c>learn.logger</c>.</summary>
    internal Action<EpochResult>? RowLogger { get; set; }

    /// <summary>Adds a callback (it runs in <see cref="Callback.Order"/>).</summary>
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
    /// Creates (or recreates) the optimizer over the layer groups, with every learning rate at <see cref="LearnerOptions.Lr"/>.
    /// Happens at the first fit; call it to read or set hyper-parameters earlier. fastai: <c>create_opt</c>.
    /// </summary>
    public LearnerOptimizer CreateOptimizer()
    {
        _opt?.Dispose();
        var settings = Options.Optimizer;
        var noDecay = settings.WdBnBias ? new HashSet<Parameter>() : NoDecayParameters();
        var groups = LayerGroups;
        if (_mixed is not null)
        {
            // Mixed precision: the optimizer steps the fp32 masters of the model's parameters.
            groups = groups.Select(g => (IReadOnlyList<Parameter>)g.Select(_mixed.MasterOf).ToArray()).ToArray();
            noDecay = new HashSet<Parameter>(noDecay.Select(_mixed.MasterOf), ReferenceEqualityComparer.Instance);
        }
        double[] lrs = Options.Lr.Expand(LayerGroups.Count);
        _opt = new LearnerOptimizer(groups, noDecay, settings, lrs[^1]);
        _opt.SetLr(lrs);
        if (Options.Wd is { } wd) _opt.SetWd([wd]);
        return _opt;
    }

    /// <summary>The mixed-precision callback when training in bf16/fp16, else null.</summary>
    public MixedPrecision? MixedPrecision => _mixed;

    /// <summary>
    /// Trains in bfloat16 with fp32 master weights (runs on the CPU and on GPUs). See <see cref="Learning.MixedPrecision"/>.
    /// fastai: <c>to_bf16()</c> (here without autocast: the way fastai v1's <c>to_fp16</c> worked).
    /// </summary>
    public Learner ToBf16(bool dynamic = true, double initialScale = 1) => ToHalf(new MixedPrecision(torch.ScalarType.BFloat16, dynamic, initialScale));

    /// <summary>
    /// Trains in float16 with fp32 master weights and dynamic loss scaling (meant for CUDA). See
    /// <see cref="Learning.MixedPrecision"/>. fastai: <c>to_fp16()</c> / <c>to_non_native_fp16()</c>.
    /// </summary>
    public Learner ToFp16(bool dynamic = true, double initialScale = 65536) => ToHalf(new MixedPrecision(torch.ScalarType.Float16, dynamic, initialScale));

    /// <summary>
    /// Back to full precision: the fp32 master weights go back into the model. The optimizer keeps its state and
    /// hyper-parameters. fastai: <c>to_fp32()</c>.
    /// </summary>
    public Learner ToFp32()
    {
        if (_mixed is null) return this;
        using var state = SaveOptimizerState();
        _mixed.Disable();
        RemoveCallback(_mixed);
        _mixed = null;
        _groups = null;   // the conversion made new Parameter objects
        RebuildOptimizer(state);
        return this;
    }

    private Learner ToHalf(MixedPrecision mixed)
    {
        ToFp32();
        using var state = SaveOptimizerState();
        mixed.Enable(this);
        _mixed = mixed;
        _groups = null;   // the conversion made new Parameter objects
        AddCallback(mixed);
        RebuildOptimizer(state);
        return this;
    }

    /// <summary>The optimizer's state in memory, to carry over to a rebuilt optimizer; null when there is no optimizer yet.</summary>
    private MemoryStream? SaveOptimizerState()
    {
        if (_opt is null) return null;
        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) _opt.Save(w);
        stream.Position = 0;
        return stream;
    }

    /// <summary>Recreates the optimizer over the (new) parameters, with the state saved before a dtype conversion.</summary>
    private void RebuildOptimizer(MemoryStream? state)
    {
        if (state is null) return;
        CreateOptimizer();
        using var r = new BinaryReader(state, System.Text.Encoding.UTF8, leaveOpen: true);
        _opt!.Load(r, "the optimizer state before the precision change");
    }

    /// <summary>The model's raw output for a batch (inputs moved through the model; several 1-D inputs are stacked).</summary>
    public torch.Tensor Forward(Batch batch)
    {
        if (batch.NInputs == 1) return Model.call(batch.Inputs[0]);
        var inputs = batch.Inputs.ToArray();
        if (inputs.All(t => t.dim() == 1 && t.dtype == inputs[0].dtype))
            return Model.call(torch.stack(inputs, 1));
        throw new DataBlocksException(
            $"{Dls.Datasets.Name} has {batch.NInputs} inputs of different kinds; a single-input model cannot take them. Stack them in a custom module.");
    }

    /// <summary>Disposes the model, the optimizer and, under mixed precision, the master weights.</summary>
    public void Dispose()
    {
        _opt?.Dispose();
        _opt = null;
        _mixed?.Release();
        Model.Dispose();
    }

    private IReadOnlyList<IReadOnlyList<Parameter>> SplitModel()
    {
        var groups = Options.Splitter?.Invoke(Model)
                     ?? (Model is ILayerGroups layered ? layered.LayerGroups() : [Model.parameters().ToArray()]);
        var result = groups.Select(g => (IReadOnlyList<Parameter>)g.ToArray()).Where(g => g.Count > 0).ToArray();
        if (result.Length == 0) throw new DataBlocksException("The model has no parameters to train.");
        return result;
    }

    /// <summary>Parameters of normalisation layers, and every bias (fastai's <c>wd_bn_bias=False</c> exclusions).</summary>
    internal HashSet<Parameter> NoDecayParameters()
    {
        var set = NormParameters();
        foreach (var (_, module) in Model.named_modules())
            foreach (var (name, p) in module.named_parameters(recurse: false))
                if (name == "bias") set.Add(p);
        return set;
    }

    /// <summary>Parameters of normalisation layers (they stay trainable in frozen groups, fastai's <c>train_bn</c>).</summary>
    internal HashSet<Parameter> NormParameters()
    {
        var set = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (_, module) in Model.named_modules())
            if (IsNorm(module))
                foreach (var (_, p) in module.named_parameters(recurse: false)) set.Add(p);
        return set;
    }

    internal static bool IsNorm(torch.nn.Module module) => module is BatchNorm1d or BatchNorm2d or BatchNorm3d or LayerNorm or GroupNorm
        or InstanceNorm1d or InstanceNorm2d or InstanceNorm3d;
}

/// <summary>A model that knows its layer groups (body first, head last), for discriminative learning rates and freezing.</summary>
public interface ILayerGroups
{
    /// <summary>The parameters of each group.</summary>
    IReadOnlyList<IReadOnlyList<Parameter>> LayerGroups();
}

/// <summary>Learner hyper-parameters and settings.</summary>
public sealed record LearnerOptions
{
    /// <summary>Default learning rate (fastai: <c>lr=1e-3</c>); a float, per-group array or slice.</summary>
    public LR Lr { get; init; } = 1e-3;

    /// <summary>Weight decay for every fit; null = the optimizer's default (<see cref="OptimizerSettings.Wd"/>).</summary>
    public double? Wd { get; init; }

    /// <summary>The optimizer (default fastai's Adam).</summary>
    public OptimizerSettings Optimizer { get; init; } = OptimizerSettings.Adam;

    /// <summary>Momentums of the one-cycle schedule (fastai: <c>moms=(0.95, 0.85, 0.95)</c>).</summary>
    public (double Start, double Middle, double End) Moms { get; init; } = (0.95, 0.85, 0.95);

    /// <summary>Splits the model into layer groups (body first, head last); null = the model's <see cref="ILayerGroups"/> or one group.</summary>
    public Func<torch.nn.Module<torch.Tensor, torch.Tensor>, IEnumerable<IEnumerable<Parameter>>>? Splitter { get; init; }

    /// <summary>Extra callbacks added to the learner.</summary>
    public IReadOnlyList<Callback> Callbacks { get; init; } = [];

    /// <summary>Stop with an error when a training loss or gradient is NaN or infinite (the weights stay as they were before that batch).</summary>
    public bool StopOnNaN { get; init; } = true;

    /// <summary>How progress is shown.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where the epoch table goes; null = nowhere.</summary>
    public TextWriter? Output { get; init; } = Console.Out;

    /// <summary>The learner's folder (fastai: <c>path</c>).</summary>
    public string Path { get; init; } = ".";

    /// <summary>The folder under <see cref="Path"/> for saved models and checkpoints (fastai: <c>model_dir='models'</c>).</summary>
    public string ModelDir { get; init; } = "models";

    /// <summary>
    /// When set, the learner's fits are numbered from 0 and fit <c>n</c> writes <c>{ModelDir}/{Checkpoint}.fit{n}.ckpt</c>
    /// after each epoch and at its end (atomically): weights, optimizer state, schedule position, recorded rows, the
    /// callbacks' states (recorder, trackers, loss scale) and the CPU random state. Rerunning the same script with
    /// <c>resume: true</c> on its fits restores the fits that had finished and continues the one that was killed from its
    /// last completed epoch, exactly where the schedule was. See <see cref="Learner.CheckpointPath"/>.
    /// </summary>
    public string? Checkpoint { get; init; }
}
