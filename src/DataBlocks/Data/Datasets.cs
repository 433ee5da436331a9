using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks;

namespace DataBlocks.Data;

/// <summary>An item left out because it could not be read, labelled or decoded.</summary>
/// <param name="Index">The item's index in the list <c>[GetItems]</c> returned.</param>
/// <param name="Item">The item (its path or text).</param>
/// <param name="Reason">The error, naming the file or member at fault.</param>
public sealed record SkippedItem(int Index, string Item, string Reason);

/// <summary>What the loaders need from a dataset, whatever its item type.</summary>
public interface IDatasets
{
    /// <summary>The DataBlock's name.</summary>
    string Name { get; }

    /// <summary>The codec of every field, block order.</summary>
    IReadOnlyList<IFieldCodec> Codecs { get; }

    /// <summary>How many fields are inputs.</summary>
    int NInputs { get; }

    /// <summary>The number of items (both splits).</summary>
    int Count { get; }

    /// <summary>A description of item <paramref name="index"/> (its path or text).</summary>
    string ItemName(int index);

    /// <summary>Encodes item <paramref name="index"/> into a fresh sample of its first <paramref name="fieldCount"/> fields.</summary>
    Sample CreateSample(int index, int fieldCount);

    /// <summary>Training item indices.</summary>
    IReadOnlyList<int> TrainIndices { get; }

    /// <summary>Validation item indices.</summary>
    IReadOnlyList<int> ValidIndices { get; }
}

/// <summary>
/// Items with their getter values, split into training and validation, with every block set up on the training split.
/// fastai: <c>Datasets</c> / <c>DataBlock.datasets(source)</c>.
/// </summary>
/// <typeparam name="TItem">The item type.</typeparam>
public sealed class Datasets<TItem> : IDatasets
{
    private readonly FieldValues<TItem>[] _fields;
    private readonly string[] _names;

    private Datasets(DataBlockDefinition<TItem> definition, IReadOnlyList<TItem> items, string[] names,
        FieldValues<TItem>[] fields, int[] train, int[] valid, IReadOnlyList<SkippedItem> skipped)
    {
        Definition = definition;
        Items = items;
        _names = names;
        _fields = fields;
        TrainIndices = train;
        ValidIndices = valid;
        Skipped = skipped;
        Codecs = fields.Select(f => f.Codec).ToArray();
    }

    /// <summary>The definition the dataset was built from.</summary>
    public DataBlockDefinition<TItem> Definition { get; }

    /// <inheritdoc />
    public string Name => Definition.Name;

    /// <summary>Every item <c>[GetItems]</c> returned (skipped ones included; they are in neither split).</summary>
    public IReadOnlyList<TItem> Items { get; }

    /// <inheritdoc />
    public int Count => Items.Count;

    /// <inheritdoc />
    public IReadOnlyList<IFieldCodec> Codecs { get; }

    /// <inheritdoc />
    public int NInputs => Definition.NInputs;

    /// <inheritdoc />
    public IReadOnlyList<int> TrainIndices { get; }

    /// <inheritdoc />
    public IReadOnlyList<int> ValidIndices { get; }

    /// <summary>Items left out by <see cref="DatasetsOptions.SkipBadItems"/>, with the reason for each.</summary>
    public IReadOnlyList<SkippedItem> Skipped { get; }

    /// <summary>The training split.</summary>
    public DatasetView<TItem> Train => new(this, TrainIndices);

    /// <summary>The validation split.</summary>
    public DatasetView<TItem> Valid => new(this, ValidIndices);

    /// <inheritdoc />
    public string ItemName(int index) => _names[index];

    /// <summary>The getter value of field <paramref name="field"/> for item <paramref name="index"/>.</summary>
    public object? Value(int field, int index) => _fields[field].RawValue(index);

    /// <summary>The typed getter value of field <paramref name="field"/> for item <paramref name="index"/>.</summary>
    public TValue Value<TValue>(int field, int index) => (TValue)_fields[field].RawValue(index)!;

    /// <inheritdoc />
    public Sample CreateSample(int index, int fieldCount)
    {
        var encoded = new object[fieldCount];
        try
        {
            for (int f = 0; f < fieldCount; f++) encoded[f] = _fields[f].Encode(index, _names[index]);
        }
        catch
        {
            foreach (object? e in encoded) (e as IDisposable)?.Dispose();
            throw;
        }
        return new Sample(index, _names[index], encoded, fieldCount == Codecs.Count ? Codecs : Codecs.Take(fieldCount).ToArray());
    }

    /// <summary>
    /// Builds the datasets: lists the items, runs every getter, splits, sets the blocks up on the training split and
    /// encodes the labels. Errors name the item and member; with <see cref="DatasetsOptions.SkipBadItems"/> bad items are
    /// left out and listed in <see cref="Skipped"/> instead (and images are test-decoded up front).
    /// </summary>
    /// <exception cref="DataBlocksException">No items, an empty split, or a bad item (without skipping).</exception>
    public static Datasets<TItem> Create(DataBlockDefinition<TItem> definition, IEnumerable<TItem> items, DatasetsOptions? options = null)
    {
        options ??= new DatasetsOptions();
        var list = items as IReadOnlyList<TItem> ?? items.ToList();
        if (list.Count == 0)
            throw new DataBlocksException($"{definition.Name}: there are no items. Check the source folder or file and the [GetItems] member.");
        string[] names = list.Select(DescribeItem).ToArray();

        var bad = new ConcurrentDictionary<int, string>();
        Action<int, Exception>? onError = options.SkipBadItems ? (i, e) => bad.TryAdd(i, e.Message) : null;

        var fields = definition.Fields.Select(f => f.Evaluate(list, names, onError)).ToArray();

        var splitter = definition.Splitter ?? new RandomSplitter(0.2);
        DataSplit split;
        try
        {
            split = splitter.Split(list);
        }
        catch (Exception e) when (e is not DataBlocksException)
        {
            throw new DataBlocksException($"{definition.Name}: the splitter {splitter.GetType().Name} failed: {e.Message}", e);
        }
        split.Validate(list.Count, $"{definition.Name}'s splitter ({splitter.GetType().Name})");

        int[] Good(IEnumerable<int> idx) => idx.Where(i => !bad.ContainsKey(i)).ToArray();
        SkippedItem[] SkippedSoFar() => bad.OrderBy(kv => kv.Key).Select(kv => new SkippedItem(kv.Key, names[kv.Key], kv.Value)).ToArray();
        bool reported = false;
        void Report(SkippedItem[] all)
        {
            if (reported || all.Length == 0 || options.Report is not { } report) return;
            reported = true;
            report.WriteLine($"{definition.Name}: skipped {all.Length} bad item(s):");
            foreach (var s in all) report.WriteLine($"  #{s.Index} {s.Item}: {s.Reason}");
        }
        // An empty split after skipping says what was skipped (and the report is written first): the splitter is
        // rarely the cause then.
        void RequireNonEmpty(int[] indices, string which)
        {
            if (indices.Length > 0) return;
            var skipped = SkippedSoFar();
            Report(skipped);
            throw new DataBlocksException(EmptySplitMessage(definition, which, skipped));
        }

        int[] train = Good(split.Train);
        RequireNonEmpty(train, "training");

        // Set up on the good training items, then encode. When encoding finds more bad training items (a NaN rating
        // skipped), set up again without them: a user whose every training row was dropped must not keep a vocabulary
        // slot with an embedding that never trains.
        int[] used;
        while (true)
        {
            for (int f = 0; f < fields.Length; f++)
            {
                var def = definition.Fields[f];
                fields[f].Setup(new FieldInfo(def.Name, def.Member, def.IsInput, definition.Name), train);
            }
            used = Good(split.Train.Concat(split.Valid));
            foreach (var field in fields) field.EncodeEagerly(used, names, onError);
            int[] stillGood = Good(split.Train);
            if (stillGood.Length == train.Length) break;
            train = stillGood;
            RequireNonEmpty(train, "training");
        }

        if (options.SkipBadItems)
            VerifyLazyFields(fields, names, Good(used), bad, options.Workers);

        train = Good(split.Train);
        int[] valid = Good(split.Valid);
        RequireNonEmpty(train, "training");
        RequireNonEmpty(valid, "validation");
        var skipped = SkippedSoFar();
        Report(skipped);
        return new Datasets<TItem>(definition, list, names, fields, train, valid, skipped);
    }

    /// <summary>A dataset over new items that reuses this one's set-up blocks (fastai: <c>test_dl</c>'s dataset).</summary>
    /// <param name="items">The new items.</param>
    /// <param name="withLabels">Also evaluate and encode the targets (an unknown label is then an error).</param>
    /// <param name="unknownKeys">
    /// What a categorical input's key the training split never had becomes: an error naming it (the default), or
    /// <c>#na#</c> (see <see cref="IKeyFieldCodec"/>).
    /// </param>
    public Datasets<TItem> ForNewItems(IEnumerable<TItem> items, bool withLabels, UnknownKeys unknownKeys = UnknownKeys.Error)
    {
        var list = items as IReadOnlyList<TItem> ?? items.ToList();
        if (list.Count == 0) throw new DataBlocksException($"{Name}: there are no items to predict on.");
        string[] names = list.Select(DescribeItem).ToArray();
        int count = withLabels ? _fields.Length : NInputs;
        var fields = new FieldValues<TItem>[count];
        var all = Enumerable.Range(0, list.Count).ToArray();
        for (int f = 0; f < count; f++)
        {
            fields[f] = Definition.Fields[f].Evaluate(list, names, null);
            var codec = _fields[f].Codec;
            fields[f].UseCodec(f < NInputs && codec is IKeyFieldCodec keys ? keys.ForNewItems(unknownKeys) : codec);
            fields[f].EncodeEagerly(all, names, null);
        }
        var definition = withLabels ? Definition : new DataBlockDefinition<TItem>(Name, Definition.Fields.Take(NInputs).ToArray(),
            Definition.Splitter, Definition.ItemTransforms, Definition.BatchTransforms);
        return new Datasets<TItem>(definition, list, names, fields, [], all, []);
    }

    internal static string DescribeItem(TItem item)
    {
        string text;
        try
        {
            text = item switch
            {
                null => "null",
                string s => s,
                FileInfo f => f.FullName,
                _ => item.ToString() ?? item.GetType().Name,
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            text = $"a {item!.GetType().Name} whose ToString() throws";   // a name for messages must never fail
        }
        return text.Length <= 240 ? text : text[..237] + "...";
    }

    private static string EmptySplitMessage(DataBlockDefinition<TItem> definition, string which, SkippedItem[] skipped)
    {
        if (skipped.Length == 0)
            return $"{definition.Name}: the {which} split is empty. Check the splitter (for GrandparentSplitter, the folder names) " +
                   "and that the items are where the splitter expects them.";
        var first = skipped.Take(3).Select(s => $"#{s.Index} {s.Item}: {s.Reason}");
        return $"{definition.Name}: the {which} split is empty after skipping {skipped.Length} bad item(s); the first: " +
               string.Join("; ", first) + (skipped.Length > 3 ? $" (and {skipped.Length - 3} more, listed in the report)." : ".");
    }

    /// <summary>Encodes and completes every lazily encoded field of every item (images: decoded), recording the bad ones.</summary>
    private static void VerifyLazyFields(FieldValues<TItem>[] fields, string[] names, int[] indices, ConcurrentDictionary<int, string> bad, int? workers)
    {
        var lazy = fields.Where(f => !f.Codec.EncodesEagerly).ToArray();
        if (lazy.Length == 0) return;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = workers is > 0 ? workers.Value : Environment.ProcessorCount };
        try
        {
            Parallel.ForEach(indices, parallel, i =>
            {
                foreach (var f in lazy)
                {
                    try
                    {
                        object sample = f.Encode(i, names[i]);
                        try
                        {
                            if (f.Codec is IDeferredEncoding deferred) deferred.Complete(sample);   // finds truncated files too
                        }
                        finally
                        {
                            (sample as IDisposable)?.Dispose();
                        }
                    }
                    catch (Exception e) when (ItemFaults.BelongToItem(e))
                    {
                        bad.TryAdd(i, ItemFaults.Attribute(e, $"{f.Definition.Member}'s value could not be decoded").Message);
                        return;
                    }
                }
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();   // the process's failure (memory, cancellation), as itself
        }
    }
}

/// <summary>Options for building datasets.</summary>
public sealed record DatasetsOptions
{
    /// <summary>
    /// Leave out items whose getter fails, whose label is unknown, or whose image cannot be decoded, and report them all
    /// (<see cref="Datasets{TItem}.Skipped"/>), instead of failing at the first. Any failure of an item's getter, block or
    /// decode counts (only running out of memory and cancellation stop the build); images are test-decoded up front, at
    /// the smallest scale their format allows. The report is written before an error about a split left empty.
    /// </summary>
    public bool SkipBadItems { get; init; }

    /// <summary>Where the skipped items are listed (default: standard error). Null to stay quiet.</summary>
    public TextWriter? Report { get; init; } = Console.Error;

    /// <summary>Threads for test-decoding images when skipping bad items (default: all cores).</summary>
    public int? Workers { get; init; }
}

/// <summary>One split of a <see cref="Datasets{TItem}"/>: a list of item indices.</summary>
/// <typeparam name="TItem">The item type.</typeparam>
public readonly struct DatasetView<TItem>
{
    internal DatasetView(Datasets<TItem> datasets, IReadOnlyList<int> indices)
    {
        Datasets = datasets;
        Indices = indices;
    }

    /// <summary>The datasets this view belongs to.</summary>
    public Datasets<TItem> Datasets { get; }

    /// <summary>The dataset indices of the split, in split order.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <summary>The number of items in the split.</summary>
    public int Count => Indices.Count;

    /// <summary>The item at position <paramref name="position"/> of the split.</summary>
    public TItem Item(int position) => Datasets.Items[Indices[position]];
}
