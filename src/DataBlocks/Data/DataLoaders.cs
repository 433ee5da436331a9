using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using DataBlocks.Losses;
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
    public virtual IDatasets Datasets { get; }

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
    /// Adds batch transforms to the training and validation loaders and to the loaders <c>TestDataLoader</c> makes from
    /// now on, merged as declared ones are: sorted by <see cref="IBatchTransform.Order"/>, and one of a type already there
    /// replaces it. An epoch already under way keeps its transforms; loaders made earlier by <c>TestDataLoader</c> keep
    /// theirs. The vision learner adds the normalisation of pretrained weights this way. fastai:
    /// <c>dls.add_tfms(tfms, 'after_batch')</c>.
    /// </summary>
    public void AddBatchTransforms(params IBatchTransform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        Train.AddBatchTransforms(transforms);
        Valid.AddBatchTransforms(transforms);
        OnBatchTransformsAdded(transforms);
    }

    /// <summary>Lets a derived class add <paramref name="transforms"/> to the settings of the loaders it makes later.</summary>
    private protected virtual void OnBatchTransformsAdded(IBatchTransform[] transforms)
    {
    }

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
}

/// <summary>The loaders of a DataBlock over items of type <typeparamref name="TItem"/>, with a loader for new items.</summary>
/// <typeparam name="TItem">The item type.</typeparam>
public class DataLoaders<TItem> : DataLoaders
{
    private LoaderSettings _test;

    private DataLoaders(Datasets<TItem> datasets, DataLoaderOptions options, (LoaderSettings Train, LoaderSettings Valid, LoaderSettings Test) settings)
        : base(datasets, new DataLoader(datasets, datasets.TrainIndices, settings.Train),
            new DataLoader(datasets, datasets.ValidIndices, settings.Valid), options)
    {
        _test = settings.Test;
    }

    /// <summary>The datasets behind the loaders.</summary>
    public override Datasets<TItem> Datasets => (Datasets<TItem>)base.Datasets;

    /// <summary>Builds datasets and loaders from a definition and its items.</summary>
    public static DataLoaders<TItem> Create(DataBlockDefinition<TItem> definition, IEnumerable<TItem> items, DataLoaderOptions? options = null)
    {
        options ??= new DataLoaderOptions();
        var datasets = Datasets<TItem>.Create(definition, items, options.Datasets);
        return new DataLoaders<TItem>(datasets, options, LoaderSettings.ForSplits(datasets, options));
    }

    private protected override void OnBatchTransformsAdded(IBatchTransform[] transforms) =>
        _test = _test with { BatchTransforms = [.. _test.BatchTransforms, .. transforms] };

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
        return new DataLoader(ds, ds.ValidIndices, _test);
    }
}

/// <summary>
/// Loaders that hand out the generated, typed batch of a DataBlock. They wrap the untyped <see cref="DataLoaders{TItem}"/>
/// (<see cref="Untyped"/>), to which they convert implicitly, so they can be passed wherever <see cref="DataLoaders"/> is
/// expected (a <c>Learner</c>).
/// </summary>
/// <typeparam name="TItem">The item type.</typeparam>
/// <typeparam name="TBatch">The generated batch type.</typeparam>
public class DataLoaders<TItem, TBatch> : IDisposable where TBatch : IDisposable
{
    private readonly Func<Batch, TBatch> _wrap;

    /// <summary>Builds datasets and typed loaders (generated code calls this).</summary>
    protected DataLoaders(DataBlockDefinition<TItem> definition, IEnumerable<TItem> items, DataLoaderOptions options, Func<Batch, TBatch> wrap)
    {
        Untyped = DataLoaders<TItem>.Create(definition, items, options);
        _wrap = wrap;
        Train = new DataLoader<TBatch>(Untyped.Train, wrap);
        Valid = new DataLoader<TBatch>(Untyped.Valid, wrap);
    }

    /// <summary>The untyped loaders.</summary>
    public DataLoaders<TItem> Untyped { get; }

    /// <summary>The untyped loaders behind typed ones.</summary>
    public static implicit operator DataLoaders<TItem>(DataLoaders<TItem, TBatch> loaders) => loaders.Untyped;

    /// <summary>The training loader, typed (shuffled, augmented, drop_last).</summary>
    public DataLoader<TBatch> Train { get; }

    /// <summary>The validation loader, typed.</summary>
    public DataLoader<TBatch> Valid { get; }

    /// <summary>The datasets behind the loaders.</summary>
    public Datasets<TItem> Datasets => Untyped.Datasets;

    /// <summary>The options the loaders were built with.</summary>
    public DataLoaderOptions Options => Untyped.Options;

    /// <summary>Where batches go.</summary>
    public torch.Device Device => Untyped.Device;

    /// <summary>How many fields are inputs.</summary>
    public int NInputs => Untyped.NInputs;

    /// <summary>The codec of each field, block order.</summary>
    public IReadOnlyList<IFieldCodec> Codecs => Untyped.Codecs;

    /// <summary>The codec of the first target, or null when the DataBlock has no target.</summary>
    public IFieldCodec? Target => Untyped.Target;

    /// <summary>The number of model outputs the first target needs (fastai: <c>dls.c</c>).</summary>
    public int C => Untyped.C;

    /// <summary>The loss the first target implies (fastai infers it from the target's block), or null.</summary>
    public ILossFunction? DefaultLoss => Untyped.DefaultLoss;

    /// <summary>A readable description (see <see cref="DataLoaders.Summary"/>).</summary>
    public string Summary() => Untyped.Summary();

    /// <summary>Adds batch transforms to every loader (see <see cref="DataLoaders.AddBatchTransforms"/>).</summary>
    public void AddBatchTransforms(params IBatchTransform[] transforms) => Untyped.AddBatchTransforms(transforms);

    /// <summary>A typed loader over new items (see <see cref="DataLoaders{TItem}.TestDataLoader"/>); the caller owns it.</summary>
    public DataLoader<TBatch> TestDataLoader(IEnumerable<TItem> items, bool withLabels = false, UnknownKeys unknownKeys = UnknownKeys.Error) =>
        new(Untyped.TestDataLoader(items, withLabels, unknownKeys), _wrap);

    /// <summary>Frees what the loaders keep (see <see cref="DataLoaders.Dispose"/>).</summary>
    public void Dispose()
    {
        Untyped.Dispose();
        GC.SuppressFinalize(this);
    }
}
