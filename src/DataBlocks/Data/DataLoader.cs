using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using TorchSharp;

namespace DataBlocks.Data;

/// <summary>
/// Iterates batches of one split. Items are decoded, transformed and collated into managed arrays on background worker
/// threads with a bounded prefetch queue; each batch becomes tensors on the iterating thread, moves to the device and
/// runs the batch transforms there. Each batch is disposed when the iteration moves on (keep a tensor with
/// <c>clone()</c> if you need it longer). Same seed → same batches, whatever the number of workers.
/// fastai: <c>TfmdDL</c>.
/// </summary>
public partial class DataLoader : IEnumerable<Batch>, IDisposable
{
    private readonly IDatasets _datasets;
    private readonly int[] _indices;
    private readonly IItemTransform[] _itemTransforms;
    // The batch transforms and what of them runs inside collation, swapped as one (AddBatchTransforms); each batch is
    // made with the plan its iteration started with.
    private CollationFusion _fusion;
    private readonly IReadOnlyList<IFieldCodec> _codecs;   // the fields loaded (the inputs only, for a test loader without labels)
    private readonly int _fieldCount;
    private readonly int _nInputs;
    private readonly int _prefetch;
    private readonly bool _columnar;
    private readonly Lock _columnsLock = new();
    private torch.Tensor[]? _columns;
    private bool _disposed;
    private int _epoch;

    /// <summary>Creates a loader over <paramref name="indices"/> of <paramref name="datasets"/>.</summary>
    /// <param name="datasets">The items and their set-up blocks; every field of theirs is loaded.</param>
    /// <param name="indices">Dataset indices of this split.</param>
    /// <param name="settings">Batch size, order, seed, threads, device and transforms (checked when they were set).</param>
    public DataLoader(IDatasets datasets, IReadOnlyList<int> indices, LoaderSettings settings)
    {
        _datasets = datasets;
        _indices = indices.ToArray();
        Settings = settings;
        _prefetch = Math.Max(1, settings.PrefetchPerWorker) * Math.Max(1, settings.Workers);
        _itemTransforms = settings.ItemTransforms.ToArray();
        _codecs = datasets.Codecs;
        _fieldCount = _codecs.Count;
        _nInputs = Math.Min(datasets.NInputs, _fieldCount);
        _fusion = CollationFusion.Plan(_codecs, settings.BatchTransforms.ToArray(), Device);
        _columnar = _itemTransforms.Length == 0 && _codecs.All(c => c.EncodesEagerly);
    }

    /// <summary>The settings the loader was made with, and the batch transforms added since (<see cref="DataLoaders.AddBatchTransforms"/>).</summary>
    public LoaderSettings Settings { get; private set; }

    /// <summary>
    /// Whether batches are index slices of tensors encoded once: every field is encoded up front (ids, labels, numbers —
    /// not images) and there are no item transforms (a block's own count: points bring theirs), so the split is collated
    /// into one tensor per field on the device at the first batch, and each batch is an <c>index_select</c> of those
    /// tensors — no per-item work, no worker threads. The batches are the same as the per-item path would make (same
    /// seed → same order).
    /// </summary>
    public bool IsColumnar => _columnar;

    /// <summary>Whether this is a training loader (random augmentation on).</summary>
    public bool IsTraining => Settings.IsTraining;

    /// <summary>Items per batch.</summary>
    public int BatchSize => Settings.BatchSize;

    /// <summary>Whether items are shuffled every epoch.</summary>
    public bool Shuffle => Settings.Shuffle;

    /// <summary>Whether the last incomplete batch is dropped.</summary>
    public bool DropLast => Settings.DropLast;

    /// <summary>The seed of shuffling and augmentation.</summary>
    public int Seed => Settings.Seed;

    /// <summary>Background decoding threads.</summary>
    public int Workers => Settings.Workers;

    /// <summary>Where batches go.</summary>
    public torch.Device Device => Settings.Device;

    /// <summary>The datasets the loader reads.</summary>
    public IDatasets Datasets => _datasets;

    /// <summary>The item transforms, in the order they run.</summary>
    public IReadOnlyList<IItemTransform> ItemTransforms => _itemTransforms;

    /// <summary>The batch transforms, in the order they run.</summary>
    public IReadOnlyList<IBatchTransform> BatchTransforms => Volatile.Read(ref _fusion).All;

    /// <summary>The number of items in the split.</summary>
    public int ItemCount => _indices.Length;

    /// <summary>The number of batches per epoch: <c>n / bs</c>, plus one for a final partial batch unless dropped (fastai's <c>len(dl)</c>).</summary>
    public int Count => _indices.Length / BatchSize + (DropLast || _indices.Length % BatchSize == 0 ? 0 : 1);

    /// <summary>The number of epochs iterated so far.</summary>
    public int Epoch => Volatile.Read(ref _epoch);

    /// <summary>Sets how many epochs count as done, so the next one shuffles and augments as that epoch would (used when resuming).</summary>
    internal void SetEpoch(int epoch) => Volatile.Write(ref _epoch, epoch);

    /// <summary>
    /// The first batch of the first epoch, built on the calling thread; the caller owns (and disposes) it. Does not
    /// advance the epoch. fastai: <c>one_batch()</c>.
    /// </summary>
    /// <exception cref="DataBlocksException">The loader has no batches.</exception>
    public Batch OneBatch()
    {
        var batches = BatchPositions(0);
        if (batches.Length == 0)
            throw new DataBlocksException($"This DataLoader of {_datasets.Name} has no batches ({ItemCount} items, batch size {BatchSize}, drop_last {DropLast}).");
        var fusion = Volatile.Read(ref _fusion);
        if (_columnar) return ColumnarBatch(batches[0], fusion);
        using var host = Build(ToIndices(batches[0]), 0, 0, fusion);
        return ToBatch(host, fusion);
    }

    /// <summary>Iterates one epoch. Each batch is disposed when the next one is requested or the iteration ends.</summary>
    public IEnumerator<Batch> GetEnumerator()
    {
        int epoch = Interlocked.Increment(ref _epoch) - 1;
        var fusion = Volatile.Read(ref _fusion);   // transforms added during the epoch apply from the next one
        if (_columnar) return Columnar(BatchPositions(epoch), fusion).GetEnumerator();
        var batches = Batches(epoch);
        return (Workers == 0 ? Sequential(batches, epoch, fusion) : Parallel(batches, epoch, fusion)).GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The dataset indices of every batch of epoch <paramref name="epoch"/>, in order.</summary>
    public int[][] Batches(int epoch) => BatchPositions(epoch).Select(ToIndices).ToArray();

    /// <summary>The positions in the split (0 … <see cref="ItemCount"/>−1) of every batch of epoch <paramref name="epoch"/>.</summary>
    private int[][] BatchPositions(int epoch)
    {
        int[] order = new int[_indices.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        // Shuffling positions with the same generator permutes exactly as shuffling the indices themselves would.
        if (Shuffle) new Random(DataBlocks.Seed.Mix(Seed, epoch, 0x5EED)).Shuffle(order);
        int n = DropLast ? order.Length / BatchSize * BatchSize : order.Length;
        var result = new int[(n + BatchSize - 1) / BatchSize][];
        for (int b = 0; b < result.Length; b++)
            result[b] = order[(b * BatchSize)..Math.Min(n, (b + 1) * BatchSize)];
        return result;
    }

    private int[] ToIndices(int[] positions)
    {
        var indices = new int[positions.Length];
        for (int i = 0; i < indices.Length; i++) indices[i] = _indices[positions[i]];
        return indices;
    }

    /// <summary>
    /// Adds batch transforms, merged with the loader's as when they are declared (<see cref="BatchPipeline"/>: one of a
    /// type already there replaces it), and plans again what runs inside collation. An iteration already started keeps
    /// the transforms it started with.
    /// </summary>
    internal void AddBatchTransforms(IEnumerable<IBatchTransform> transforms)
    {
        var settings = Settings with { BatchTransforms = [.. Settings.BatchTransforms, .. transforms] };
        Volatile.Write(ref _fusion, CollationFusion.Plan(_codecs, settings.BatchTransforms.ToArray(), Device));
        Settings = settings;
    }

    /// <summary>Host arrays → device tensors → batch transforms (iterating thread).</summary>
    private Batch ToBatch(HostBatch host, CollationFusion fusion)
    {
        var tensors = new torch.Tensor[host.Fields.Length];
        using (var scope = torch.NewDisposeScope())
        {
            for (int f = 0; f < tensors.Length; f++) tensors[f] = host.Fields[f].ToTensor(Device).DetachFromDisposeScope();
        }
        return WithDeviceTransforms(new Batch(tensors, _nInputs, _codecs, host.Indices, host.Items), fusion);
    }

    private Batch WithDeviceTransforms(Batch batch, CollationFusion fusion)
    {
        try
        {
            foreach (var t in fusion.Remaining) t.Encode(batch, IsTraining);
        }
        catch
        {
            batch.Dispose();
            throw;
        }
        return batch;
    }

    /// <summary>
    /// Frees the tensors a columnar loader keeps (<see cref="IsColumnar"/>); batches already handed out are unaffected. A
    /// per-item loader holds no tensors between epochs, so this only marks it disposed.
    /// </summary>
    public void Dispose()
    {
        lock (_columnsLock)
        {
            if (_disposed) return;
            _disposed = true;
            if (_columns is not null)
                foreach (var t in _columns) t.Dispose();
            _columns = null;
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Undoes the batch transforms on a copy of <paramref name="batch"/> (for display); the caller owns the copy.</summary>
    public Batch Decode(Batch batch)
    {
        var copy = batch.Clone();
        var transforms = Volatile.Read(ref _fusion).All;
        for (int i = transforms.Length - 1; i >= 0; i--) transforms[i].Decode(copy);
        return copy;
    }

    /// <summary>One line per item of the first batch: the item and each decoded field (a text view for any data).</summary>
    public IReadOnlyList<string> DescribeBatch(int maxItems = 9)
    {
        using var batch = OneBatch();
        using var decoded = Decode(batch);
        using var scope = torch.NewDisposeScope();
        var lines = new List<string>();
        for (int i = 0; i < Math.Min(maxItems, decoded.Size); i++)
        {
            var parts = new List<string>();
            for (int f = 0; f < decoded.Fields.Count; f++)
            {
                using var row = decoded.Fields[f][i];
                parts.Add($"{decoded.Codecs[f].Field.Name}={decoded.Codecs[f].Show(row)}");
            }
            lines.Add($"{decoded.Items[i]}: {string.Join(", ", parts)}");
        }
        return lines;
    }
}
