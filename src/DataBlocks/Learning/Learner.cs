using System;
using System.Collections.Generic;
using System.Diagnostics;
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
/// Trains a model on DataLoaders the fastai way. This is the minimal learner: <see cref="Fit"/> with a constant learning
/// rate and fastai's Adam (decoupled weight decay 0.01, β = (0.9, 0.99), ε = 1e-5, no weight decay on biases and norm
/// layers), smoothed training loss, validation loss and metrics, and fastai's epoch table.
/// fastai: <c>Learner(dls, model, loss_func, metrics=...)</c>.
/// </summary>
public sealed class Learner : IDisposable
{
    private AdamW? _optimizer;
    private bool[] _decays = [];

    /// <summary>Creates a learner; the model is moved to the loaders' device.</summary>
    /// <param name="dls">The data.</param>
    /// <param name="model">The model: raw outputs from the input batch (several categorical inputs arrive stacked as <c>[B, n]</c>).</param>
    /// <param name="loss">The loss; null = the loss the target block implies (<see cref="DataLoaders.DefaultLoss"/>).</param>
    /// <param name="metrics">Validation metrics, in table order.</param>
    /// <param name="options">Hyper-parameters and output.</param>
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

    /// <summary>Every epoch trained so far, across fits (each fit numbers its epochs from 0, as fastai's table does).</summary>
    public List<EpochResult> History { get; } = [];

    /// <summary>The smoothed training loss after every training batch of the last fit (fastai's <c>recorder.losses</c>).</summary>
    public List<double> Losses { get; } = [];

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs at a constant learning rate, validating after each, and prints the
    /// epoch table. fastai: <c>learn.fit(n_epoch, lr)</c>.
    /// </summary>
    /// <param name="epochs">Number of epochs.</param>
    /// <param name="lr">Learning rate; null = <see cref="LearnerOptions.Lr"/>.</param>
    /// <param name="wd">Weight decay; null = <see cref="LearnerOptions.Wd"/>.</param>
    /// <returns>The rows of the epoch table.</returns>
    public IReadOnlyList<EpochResult> Fit(int epochs, double? lr = null, double? wd = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        var optimizer = Optimizer(lr ?? Options.Lr, wd ?? Options.Wd);
        var table = new EpochTable(Metrics.Select(m => m.Name));
        var progress = FitProgress.Create(Options.Progress, Options.Output);
        var results = new List<EpochResult>();
        var smooth = new SmoothLoss(0.98);
        Losses.Clear();
        progress.Run(table.Header, () =>
        {
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                TrainEpoch(optimizer, smooth, progress, epoch, epochs);
                var (validLoss, metricValues) = Evaluate(Dls.Valid, progress, epoch, epochs);
                var row = new EpochResult(epoch, smooth.Value, validLoss,
                    Metrics.Select((m, i) => new KeyValuePair<string, double>(m.Name, metricValues[i])).ToArray(), clock.Elapsed);
                results.Add(row);
                History.Add(row);
                progress.Row(table.Row(row));
            }
        });
        return results;
    }

    /// <summary>Validation loss and metrics over <paramref name="loader"/> (default: the validation loader). fastai: <c>validate()</c>.</summary>
    public (double Loss, IReadOnlyList<double> Metrics) Validate(DataLoader? loader = null) =>
        Evaluate(loader ?? Dls.Valid, FitProgress.Create(ProgressMode.Silent, null), 0, 1);

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
            foreach (var batch in loader)
            {
                using var scope = torch.NewDisposeScope();
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

    /// <summary>Disposes the model and optimizer.</summary>
    public void Dispose()
    {
        _optimizer?.Dispose();
        Model.Dispose();
    }

    private void TrainEpoch(AdamW optimizer, SmoothLoss smooth, FitProgress progress, int epoch, int epochs)
    {
        Model.train();
        int total = Dls.Train.Count, done = 0;
        using var batches = Dls.Train.GetEnumerator();
        while (true)
        {
            using var scope = torch.NewDisposeScope();
            if (!batches.MoveNext()) break;
            var batch = batches.Current;
            var loss = Loss.Compute(Forward(batch), batch.Targets[0]);
            loss.backward();
            optimizer.step();
            optimizer.zero_grad();
            double value = loss.item<float>();
            smooth.Add(value);
            Losses.Add(smooth.Value);
            progress.Batch("train", epoch, epochs, ++done, total, smooth.Value);
        }
    }

    private (double Loss, double[] Metrics) Evaluate(DataLoader loader, FitProgress progress, int epoch, int epochs)
    {
        Model.eval();
        foreach (var m in Metrics) m.Reset();
        double lossSum = 0;
        long count = 0;
        int total = loader.Count, done = 0;
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
                var target = batch.Targets[0];
                lossSum += Loss.Compute(pred, target).item<float>() * batch.Size;
                count += batch.Size;
                foreach (var m in Metrics) m.Accumulate(pred, target);
                progress.Batch("valid", epoch, epochs, ++done, total, null);
            }
        }
        finally
        {
            Model.train();
        }
        return (count == 0 ? double.NaN : lossSum / count, Metrics.Select(m => m.Value).ToArray());
    }

    private AdamW Optimizer(double lr, double wd)
    {
        if (_optimizer is null)
        {
            // fastai's wd_bn_bias=False: no weight decay on biases and normalisation layers.
            var noDecay = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
            foreach (var (_, module) in Model.named_modules())
            {
                bool norm = module is BatchNorm1d or BatchNorm2d or BatchNorm3d or LayerNorm or GroupNorm
                    or InstanceNorm1d or InstanceNorm2d or InstanceNorm3d;
                foreach (var (name, p) in module.named_parameters(recurse: false))
                    if (norm || name == "bias") noDecay.Add(p);
            }
            var all = Model.parameters().ToArray();
            var groups = new List<AdamW.ParamGroup>
            {
                new(all.Where(p => !noDecay.Contains(p)).ToArray(), lr, 0.9, 0.99, 1e-5, wd, false, false),
                new(all.Where(p => noDecay.Contains(p)).ToArray(), lr, 0.9, 0.99, 1e-5, 0.0, false, false),
            };
            var used = groups.Select((g, i) => (g, decays: i == 0)).Where(p => p.g.Parameters.Any()).ToArray();
            _decays = used.Select(p => p.decays).ToArray();
            _optimizer = torch.optim.AdamW(used.Select(p => p.g), lr, 0.9, 0.99, 1e-5, wd, false, false);
        }
        int index = 0;
        foreach (var group in _optimizer.ParamGroups)
        {
            group.LearningRate = lr;
            ((AdamW.Options)((ParamGroup)group).Options).weight_decay = _decays[index++] ? wd : 0.0;
        }
        return _optimizer;
    }

    /// <summary>fastai's <c>AvgSmoothLoss</c>: an exponential moving average, debiased.</summary>
    private sealed class SmoothLoss(double beta)
    {
        private double _value;
        private int _count;

        public void Add(double loss)
        {
            _count++;
            _value = beta * _value + (1 - beta) * loss;
        }

        public double Value => _count == 0 ? double.NaN : _value / (1 - Math.Pow(beta, _count));
    }
}

/// <summary>Learner hyper-parameters and output.</summary>
public sealed record LearnerOptions
{
    /// <summary>Default learning rate (fastai: <c>lr=1e-3</c>).</summary>
    public double Lr { get; init; } = 1e-3;

    /// <summary>Weight decay, decoupled (fastai's Adam default 0.01).</summary>
    public double Wd { get; init; } = 0.01;

    /// <summary>How progress is shown.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where the epoch table goes; null = nowhere.</summary>
    public TextWriter? Output { get; init; } = Console.Out;
}
