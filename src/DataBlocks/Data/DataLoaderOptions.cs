using TorchSharp;

namespace DataBlocks.Data;

/// <summary>
/// Settings of the training and validation loaders. Defaults are fastai's (<c>bs=64</c>, shuffled training batches with
/// <c>drop_last</c>, validation unshuffled with the same batch size) except that the seed is explicit.
/// </summary>
public sealed record DataLoaderOptions
{
    /// <summary>Items per training batch (fastai: <c>bs</c>).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Items per validation batch; null = <see cref="BatchSize"/> (fastai: <c>val_bs</c>).</summary>
    public int? ValidBatchSize { get; init; }

    /// <summary>Seeds shuffling and augmentation; the same seed gives the same batches. Null = a fresh seed per loader.</summary>
    public int? Seed { get; init; }

    /// <summary>Background threads decoding batches; 0 decodes on the calling thread. Null = the number of cores, at most 16 (fastai's default is the number of cores).</summary>
    public int? Workers { get; init; }

    /// <summary>Batches decoded ahead per worker (bounded prefetch queue).</summary>
    public int PrefetchPerWorker { get; init; } = 2;

    /// <summary>Where batches go; null = <see cref="Devices.Default"/>.</summary>
    public torch.Device? Device { get; init; }

    /// <summary>Shuffle the training items every epoch (validation is never shuffled).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Drop the last incomplete training batch; null = <see cref="Shuffle"/> (fastai).</summary>
    public bool? DropLast { get; init; }

    /// <summary>Item transforms added to the declared ones (same type = replaced).</summary>
    public IItemTransform? ItemTransforms { get; init; }

    /// <summary>Batch transforms added to the declared ones (same type = replaced).</summary>
    public IBatchTransform? BatchTransforms { get; init; }

    /// <summary>Options for building the datasets (skipping bad items).</summary>
    public DatasetsOptions Datasets { get; init; } = new();

    internal int ResolveWorkers() => Workers ?? System.Math.Min(16, System.Environment.ProcessorCount);
}
