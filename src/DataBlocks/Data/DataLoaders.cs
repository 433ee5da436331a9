using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using DataBlocks.Losses;
using DataBlocks.Vision;
using TorchSharp;

namespace DataBlocks.Data;

/// <summary>
/// The training and validation loaders of a DataBlock, with what a learner needs to know about the data: the
/// device, the number of outputs (<see cref="C"/>) and the loss the target implies. fastai: <c>DataLoaders</c>.
/// </summary>
public class DataLoaders : IDisposable
{
    /// <summary>Wraps two loaders over <paramref name="datasets"/>.</summary>
    protected DataLoaders(IDatasets datasets, DataLoader train, DataLoader valid, DataLoaderOptions options)
    {
        Datasets = datasets;
        Train = train;
        Valid = valid;
        Options = options;
    }

    /// <summary>The training loader (shuffled, augmented, drop_last).</summary>
    public DataLoader Train { get; }

    /// <summary>The validation loader.</summary>
    public DataLoader Valid { get; }

    /// <summary>The datasets behind the loaders.</summary>
    public IDatasets Datasets { get; }

    /// <summary>The options the loaders were built with.</summary>
    public DataLoaderOptions Options { get; }

    /// <summary>Where batches go.</summary>
    public torch.Device Device => Train.Device;

    /// <summary>How many fields are inputs.</summary>
    public int NInputs => Datasets.NInputs;

    /// <summary>The codec of each field, block order.</summary>
    public IReadOnlyList<IFieldCodec> Codecs => Datasets.Codecs;

    /// <summary>The codec of the first target, or null when the DataBlock has no target.</summary>
    public IFieldCodec? Target => Codecs.Count > NInputs ? Codecs[NInputs] : null;

    /// <summary>The number of model outputs the first target needs (fastai: <c>dls.c</c>).</summary>
    public int C => Target?.OutputCount ?? 0;

    /// <summary>The loss the first target implies (fastai infers it from the target's block), or null.</summary>
    public ILossFunction? DefaultLoss => Target?.DefaultLoss;

    /// <summary>
    /// Frees what the loaders keep: the encoded tensors of columnar loaders (<see cref="DataLoader.IsColumnar"/>).
    /// Loaders made by <c>TestDataLoader</c> belong to their caller.
    /// </summary>
    public void Dispose()
    {
        Train.Dispose();
        Valid.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A readable description: fields, splits, transforms (fastai: <c>DataBlock.summary</c>, abridged).</summary>
    public string Summary()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Datasets.Name}: {Datasets.TrainIndices.Count} training and {Datasets.ValidIndices.Count} validation items");
        foreach (var codec in Codecs)
            sb.AppendLine($"  {(codec.Field.IsInput ? "input " : "target")} {codec.Field.Name}: {codec.Kind}" +
                          (codec.OutputCount > 0 ? $" ({codec.OutputCount} outputs)" : ""));
        sb.AppendLine($"  item transforms:  {(Train.ItemTransforms.Count == 0 ? "none" : string.Join(" → ", Train.ItemTransforms.Select(t => t.Name)))}");
        sb.AppendLine($"  batch transforms: {string.Join(" → ", Train.BatchTransforms.Select(t => t.Name))}");
        sb.AppendLine($"  batch size {Train.BatchSize}, {Train.Count} training and {Valid.Count} validation batches, {(Train.IsColumnar ? "columnar (index slices of the encoded split)" : $"{Train.Workers} worker(s)")}, device {Device}, seed {Train.Seed}");
        if (DefaultLoss is { } loss) sb.AppendLine($"  loss: {loss.Name}");
        return sb.ToString();
    }

    /// <summary>Builds the loaders' shared settings and checks the batch size against the data.</summary>
    private protected static LoaderSettings Resolve(IDatasets datasets, DataLoaderOptions options,
        IEnumerable<IItemTransform> declaredItem, IEnumerable<IBatchTransform> declaredBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options.BatchSize));
        bool dropLast = options.DropLast ?? options.Shuffle;
        if (dropLast && datasets.TrainIndices.Count < options.BatchSize)
            throw new DataBlocksException(
                $"{datasets.Name}: the training split has {datasets.TrainIndices.Count} items, fewer than the batch size {options.BatchSize}; " +
                "with drop_last the training loader would have no batches. Use a smaller bs.");
        var defaults = new List<IBatchTransform>();
        if (datasets.Codecs.Any(c => c.Kind == FieldKind.Image)) defaults.Add(new IntToFloatTensor());
        var item = ItemPipeline.Merge(declaredItem.Append(options.ItemTransforms));
        var batch = BatchPipeline.Merge(defaults.Concat(declaredBatch).Append(options.BatchTransforms));
        return new LoaderSettings(options, DataBlocks.Seed.OrRandom(options.Seed), options.ResolveWorkers(),
            options.Device ?? Devices.Default, dropLast, item, batch);
    }

    private protected sealed record LoaderSettings(DataLoaderOptions Options, int Seed, int Workers, torch.Device Device, bool DropLast,
        IReadOnlyList<IItemTransform> ItemTransforms, IReadOnlyList<IBatchTransform> BatchTransforms)
    {
        public int ValidBatchSize => Options.ValidBatchSize ?? Options.BatchSize;
    }
}

/// <summary>The loaders of a DataBlock over items of type <typeparamref name="TItem"/>, with a loader for new items.</summary>
/// <typeparam name="TItem">The item type.</typeparam>
public class DataLoaders<TItem> : DataLoaders
{
    private protected readonly LoaderSettings Settings;

    private protected DataLoaders(Datasets<TItem> datasets, LoaderSettings settings, DataLoader train, DataLoader valid)
        : base(datasets, train, valid, settings.Options)
    {
        Datasets = datasets;
        Settings = settings;
    }

    /// <summary>The datasets behind the loaders.</summary>
    public new Datasets<TItem> Datasets { get; }

    /// <summary>Builds datasets and loaders from a definition and its items.</summary>
    public static DataLoaders<TItem> Create(DataBlockDefinition<TItem> definition, IEnumerable<TItem> items, DataLoaderOptions? options = null)
    {
        options ??= new DataLoaderOptions();
        var ds = Datasets<TItem>.Create(definition, items, options.Datasets);
        var s = Resolve(ds, options, definition.ItemTransforms, definition.BatchTransforms);
        return new DataLoaders<TItem>(ds, s,
            new DataLoader(ds, ds.TrainIndices, true, options.BatchSize, options.Shuffle, s.DropLast, s.Seed, s.Workers,
                options.PrefetchPerWorker, s.Device, s.ItemTransforms, s.BatchTransforms, ds.Codecs.Count),
            new DataLoader(ds, ds.ValidIndices, false, s.ValidBatchSize, false, false, DataBlocks.Seed.Mix(s.Seed, 1), s.Workers,
                options.PrefetchPerWorker, s.Device, s.ItemTransforms, s.BatchTransforms, ds.Codecs.Count));
    }

    /// <summary>
    /// A loader over new items with the validation transforms, unshuffled (fastai: <c>test_dl</c>). Without labels only the
    /// inputs are loaded; with labels the targets are encoded too, and a label the training split never had is an error.
    /// </summary>
    /// <param name="items">The new items.</param>
    /// <param name="withLabels">Also load the targets.</param>
    /// <param name="unknownKeys">
    /// A categorical input's key (a user, an item) the training split never had: an error naming it and its item (the
    /// default), or <see cref="UnknownKeys.UseNa"/> for fastai's cold start, the <c>#na#</c> slot.
    /// </param>
    public DataLoader TestDataLoader(IEnumerable<TItem> items, bool withLabels = false, UnknownKeys unknownKeys = UnknownKeys.Error)
    {
        var ds = Datasets.ForNewItems(items, withLabels, unknownKeys);
        return new DataLoader(ds, ds.ValidIndices, false, Settings.ValidBatchSize, false, false, Settings.Seed, Settings.Workers,
            Settings.Options.PrefetchPerWorker, Settings.Device, Settings.ItemTransforms, Settings.BatchTransforms, ds.Codecs.Count);
    }
}

/// <summary>Loaders that hand out the generated, typed batch of a DataBlock.</summary>
/// <typeparam name="TItem">The item type.</typeparam>
/// <typeparam name="TBatch">The generated batch type.</typeparam>
public class DataLoaders<TItem, TBatch> : DataLoaders<TItem> where TBatch : IDisposable
{
    private readonly Func<Batch, TBatch> _wrap;

    /// <summary>Builds datasets and typed loaders (generated code calls this).</summary>
    protected DataLoaders(DataBlockDefinition<TItem> definition, IEnumerable<TItem> items, DataLoaderOptions options, Func<Batch, TBatch> wrap)
        : this(Prepare(definition, items, options), wrap)
    {
    }

    private DataLoaders((Datasets<TItem> Ds, LoaderSettings S) p, Func<Batch, TBatch> wrap)
        : base(p.Ds, p.S,
            new DataLoader(p.Ds, p.Ds.TrainIndices, true, p.S.Options.BatchSize, p.S.Options.Shuffle, p.S.DropLast, p.S.Seed,
                p.S.Workers, p.S.Options.PrefetchPerWorker, p.S.Device, p.S.ItemTransforms, p.S.BatchTransforms, p.Ds.Codecs.Count),
            new DataLoader(p.Ds, p.Ds.ValidIndices, false, p.S.ValidBatchSize, false, false, DataBlocks.Seed.Mix(p.S.Seed, 1),
                p.S.Workers, p.S.Options.PrefetchPerWorker, p.S.Device, p.S.ItemTransforms, p.S.BatchTransforms, p.Ds.Codecs.Count))
    {
        _wrap = wrap;
        Train = new DataLoader<TBatch>(base.Train, wrap);
        Valid = new DataLoader<TBatch>(base.Valid, wrap);
    }

    /// <summary>The training loader, typed.</summary>
    public new DataLoader<TBatch> Train { get; }

    /// <summary>The validation loader, typed.</summary>
    public new DataLoader<TBatch> Valid { get; }

    /// <summary>A typed loader over new items (see <see cref="DataLoaders{TItem}.TestDataLoader"/>).</summary>
    public new DataLoader<TBatch> TestDataLoader(IEnumerable<TItem> items, bool withLabels = false, UnknownKeys unknownKeys = UnknownKeys.Error) =>
        new(base.TestDataLoader(items, withLabels, unknownKeys), _wrap);

    private static (Datasets<TItem>, LoaderSettings) Prepare(DataBlockDefinition<TItem> definition, IEnumerable<TItem> items, DataLoaderOptions options)
    {
        var ds = Datasets<TItem>.Create(definition, items, options.Datasets);
        return (ds, Resolve(ds, options, definition.ItemTransforms, definition.BatchTransforms));
    }
}
