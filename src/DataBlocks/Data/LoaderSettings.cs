using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;

namespace DataBlocks.Data;

/// <summary>
/// Everything one <see cref="DataLoader"/> needs besides its items: batch size, order, seed, threads, device and the
/// transforms, each checked when it is set. <see cref="DataLoaders"/> resolves the settings of its training, validation
/// and test loaders from one <see cref="DataLoaderOptions"/> with <see cref="ForSplits"/>.
/// </summary>
public sealed record LoaderSettings
{
    /// <summary>A training loader (random augmentation on) or not.</summary>
    public bool IsTraining { get; init; }

    /// <summary>Items per batch, at least 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int BatchSize
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(BatchSize));
            field = value;
        }
    } = 64;

    /// <summary>Shuffle the items every epoch.</summary>
    public bool Shuffle { get; init; }

    /// <summary>Drop the last incomplete batch.</summary>
    public bool DropLast { get; init; }

    /// <summary>Seed of shuffling and augmentation.</summary>
    public int Seed { get; init; }

    /// <summary>Background decoding threads; 0 decodes on the iterating thread.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public int Workers
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Workers));
            field = value;
        }
    }

    /// <summary>Batches decoded ahead per worker (at least one is).</summary>
    public int PrefetchPerWorker { get; init; } = 2;

    /// <summary>Where batches go.</summary>
    public torch.Device Device { get; init; } = torch.CPU;

    /// <summary>Item transforms, merged and sorted when set (see <see cref="ItemPipeline"/>), in the order they run.</summary>
    public IReadOnlyList<IItemTransform> ItemTransforms
    {
        get;
        init => field = ItemPipeline.Merge(value);
    } = [];

    /// <summary>Batch transforms, merged and sorted when set (see <see cref="BatchPipeline"/>), in the order they run.</summary>
    public IReadOnlyList<IBatchTransform> BatchTransforms
    {
        get;
        init => field = BatchPipeline.Merge(value);
    } = [];

    /// <summary>
    /// The settings of a DataBlock's three loaders, from <paramref name="options"/>. The transforms are, merged the fastai
    /// way: the blocks' own (<see cref="IBlock.ItemTransforms"/>, <see cref="IBlock.BatchTransforms"/>), then the declared
    /// ones, then those of the options. Training: shuffled, <c>drop_last</c> unless told otherwise. Validation: in
    /// order, every batch kept, its own seed. Test (new items): as validation, with the training seed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A batch size below 1 or negative workers.</exception>
    /// <exception cref="DataBlocksException">With <c>drop_last</c>, fewer training items than one batch.</exception>
    internal static (LoaderSettings Train, LoaderSettings Valid, LoaderSettings Test) ForSplits<TItem>(Datasets<TItem> datasets,
        DataLoaderOptions options)
    {
        var definition = datasets.Definition;
        var blocks = definition.Fields.Select(f => f.Block).ToArray();
        var train = new LoaderSettings
        {
            IsTraining = true,
            BatchSize = options.BatchSize,
            Shuffle = options.Shuffle,
            DropLast = options.DropLast ?? options.Shuffle,
            Seed = DataBlocks.Seed.OrRandom(options.Seed),
            Workers = options.ResolveWorkers(),
            PrefetchPerWorker = options.PrefetchPerWorker,
            Device = options.Device ?? Devices.Default,
            ItemTransforms = ItemPipeline.Merge(blocks.SelectMany(b => b.ItemTransforms).Concat(definition.ItemTransforms).Append(options.ItemTransforms)),
            BatchTransforms = BatchPipeline.Merge(blocks.SelectMany(b => b.BatchTransforms).Concat(definition.BatchTransforms).Append(options.BatchTransforms)),
        };
        if (train.DropLast && datasets.TrainIndices.Count < train.BatchSize)
            throw new DataBlocksException(
                $"{datasets.Name}: the training split has {datasets.TrainIndices.Count} items, fewer than the batch size {train.BatchSize}; " +
                "with drop_last the training loader would have no batches. Use a smaller bs.");
        var test = train with { IsTraining = false, BatchSize = options.ValidBatchSize ?? options.BatchSize, Shuffle = false, DropLast = false };
        return (train, test with { Seed = DataBlocks.Seed.Mix(train.Seed, 1) }, test);
    }
}
