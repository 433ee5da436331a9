using System;
using System.Collections.Generic;
using System.IO;
using TorchSharp;
using TorchSharp.Modules;

namespace DataBlocks.Learning;

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

    /// <summary>
    /// Stop with an error when a training loss or gradient is NaN or infinite (the weights stay as they were before that
    /// batch): the learner adds a <see cref="TerminateOnNaNCallback"/>.
    /// </summary>
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
    /// last completed epoch, exactly where the schedule was. See <see cref="Checkpoints.CheckpointPath"/>.
    /// </summary>
    public string? Checkpoint { get; init; }
}
