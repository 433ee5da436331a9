using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DataBlocks.Vision;
using TorchSharp;

namespace DataBlocks.Data;

/// <summary>
/// Iterates batches of one split. Items are decoded, transformed and collated into managed arrays on background worker
/// threads with a bounded prefetch queue; each batch becomes tensors on the iterating thread, moves to the device and
/// runs the batch transforms there. Each batch is disposed when the iteration moves on (keep a tensor with
/// <c>clone()</c> if you need it longer). Same seed → same batches, whatever the number of workers.
/// fastai: <c>TfmdDL</c>.
/// </summary>
public class DataLoader : IEnumerable<Batch>, IDisposable
{
    private readonly IDatasets _datasets;
    private readonly int[] _indices;
    private readonly IItemTransform[] _itemTransforms;
    private readonly IBatchTransform[] _batchTransforms;
    private readonly IBatchTransform[] _deviceTransforms;
    private readonly float[]? _hostScale;
    private readonly float[]? _hostShift;
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
        _batchTransforms = settings.BatchTransforms.ToArray();
        _codecs = datasets.Codecs;
        _fieldCount = _codecs.Count;
        _nInputs = Math.Min(datasets.NInputs, _fieldCount);
        // Fusing IntToFloatTensor/Normalize into collation is only equivalent if every image field can collate to float.
        bool allImagesFuse = _codecs.Where(c => c.Kind == FieldKind.Image).All(c => c is IStreamingCollation);
        (_hostScale, _hostShift, _deviceTransforms) = allImagesFuse ? PlanHostFloat(_batchTransforms, Device) : (null, null, _batchTransforms);
        _columnar = _itemTransforms.Length == 0
                    && _codecs.All(c => c.EncodesEagerly && c.Kind is not (FieldKind.Image or FieldKind.Points));
    }

    /// <summary>The settings the loader was made with.</summary>
    public LoaderSettings Settings { get; }

    /// <summary>
    /// Whether batches are index slices of tensors encoded once: every field is encoded up front (ids, labels, numbers —
    /// no images) and there are no item transforms, so the split is collated into one tensor per field on the device at
    /// the first batch, and each batch is an <c>index_select</c> of those tensors — no per-item work, no worker threads.
    /// The batches are the same as the per-item path would make (same seed → same order).
    /// </summary>
    public bool IsColumnar => _columnar;

    /// <summary>
    /// On the CPU, a leading IntToFloatTensor (with a Normalize right after it) is fused into collation on the workers
    /// (<see cref="IStreamingCollation"/>); the remaining transforms run on the batch tensor.
    /// </summary>
    private static (float[]? Scale, float[]? Shift, IBatchTransform[] Remaining) PlanHostFloat(IBatchTransform[] transforms, torch.Device device)
    {
        if (device.type != DeviceType.CPU || transforms.Length == 0 || transforms[0] is not IntToFloatTensor) return (null, null, transforms);
        if (transforms.Length > 1 && transforms[1] is Normalize n && n.Mean.Length == 3)
        {
            var scale = new float[3];
            var shift = new float[3];
            for (int c = 0; c < 3; c++)
            {
                scale[c] = 1f / (255f * n.Std[c]);
                shift[c] = -n.Mean[c] / n.Std[c];
            }
            return (scale, shift, transforms[2..]);
        }
        return ([1f / 255f, 1f / 255f, 1f / 255f], [0f, 0f, 0f], transforms[1..]);
    }

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
    public IReadOnlyList<IBatchTransform> BatchTransforms => _batchTransforms;

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
        if (_columnar) return ColumnarBatch(batches[0]);
        using var host = Build(ToIndices(batches[0]), 0, 0);
        return ToBatch(host);
    }

    /// <summary>Iterates one epoch. Each batch is disposed when the next one is requested or the iteration ends.</summary>
    public IEnumerator<Batch> GetEnumerator()
    {
        int epoch = Interlocked.Increment(ref _epoch) - 1;
        if (_columnar) return Columnar(BatchPositions(epoch)).GetEnumerator();
        var batches = Batches(epoch);
        return (Workers == 0 ? Sequential(batches, epoch) : Parallel(batches, epoch)).GetEnumerator();
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

    /// <summary>Makes batch <c>k</c> of <paramref name="count"/> when the iteration reaches it, and disposes it when the iteration moves on or stops.</summary>
    private static IEnumerable<Batch> Owned(int count, Func<int, Batch> make)
    {
        for (int k = 0; k < count; k++)
        {
            var batch = make(k);
            try
            {
                yield return batch;
            }
            finally
            {
                batch.Dispose();
            }
        }
    }

    private IEnumerable<Batch> Columnar(int[][] batches) => Owned(batches.Length, k => ColumnarBatch(batches[k]));

    /// <summary>One batch as index slices of the encoded split (see <see cref="IsColumnar"/>).</summary>
    private Batch ColumnarBatch(int[] positions)
    {
        var tensors = new torch.Tensor[_fieldCount];
        var rows = new long[positions.Length];
        for (int i = 0; i < rows.Length; i++) rows[i] = positions[i];
        using (var scope = torch.NewDisposeScope())
        {
            var index = torch.tensor(rows, device: Device);
            lock (_columnsLock)   // a Dispose on another thread waits for the slices (cheap: index_select on small batches)
            {
                var columns = Columns();
                for (int f = 0; f < tensors.Length; f++) tensors[f] = columns[f].index_select(0, index).DetachFromDisposeScope();
            }
        }
        int[] indices = ToIndices(positions);
        var items = new string[indices.Length];
        for (int i = 0; i < items.Length; i++) items[i] = _datasets.ItemName(indices[i]);
        return WithDeviceTransforms(new Batch(tensors, _nInputs, _codecs, indices, items));
    }

    /// <summary>The split's fields, encoded and collated once into tensors on the device.</summary>
    private torch.Tensor[] Columns()
    {
        lock (_columnsLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_columns is not null) return _columns;
            // The whole split as one batch: a columnar loader has no item transforms and no images, so Build only
            // encodes and collates.
            using var host = Build(_indices, epoch: 0, batchNumber: 0);
            var tensors = new torch.Tensor[_fieldCount];
            try
            {
                using var scope = torch.NewDisposeScope();
                for (int f = 0; f < _fieldCount; f++) tensors[f] = host.Fields[f].ToTensor(Device).DetachFromDisposeScope();
            }
            catch
            {
                foreach (var t in tensors) t?.Dispose();
                throw;
            }
            return _columns = tensors;
        }
    }

    private IEnumerable<Batch> Sequential(int[][] batches, int epoch) => Owned(batches.Length, k =>
    {
        using var host = Build(batches[k], epoch, k);
        return ToBatch(host);
    });

    private IEnumerable<Batch> Parallel(int[][] batches, int epoch)
    {
        var slots = new TaskCompletionSource<HostBatch>[batches.Length];
        for (int i = 0; i < slots.Length; i++) slots[i] = new TaskCompletionSource<HostBatch>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();
        using var capacity = new SemaphoreSlim(_prefetch);
        int next = -1;
        int consumed = 0;
        var threads = new Thread[Math.Min(Workers, Math.Max(1, batches.Length))];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                while (true)
                {
                    try
                    {
                        capacity.Wait(cancel.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    int k = Interlocked.Increment(ref next);
                    if (k >= batches.Length) return;
                    try
                    {
                        slots[k].SetResult(Build(batches[k], epoch, k));
                    }
                    catch (Exception e)
                    {
                        slots[k].SetException(e);
                    }
                }
            })
            { IsBackground = true, Name = $"DataBlocks loader {t}" };
            threads[t].Start();
        }

        try
        {
            for (int k = 0; k < batches.Length; k++)
            {
                HostBatch host = slots[k].Task.GetAwaiter().GetResult();
                consumed = k + 1;
                capacity.Release();
                Batch batch;
                using (host) batch = ToBatch(host);
                try
                {
                    yield return batch;
                }
                finally
                {
                    batch.Dispose();
                }
            }
        }
        finally
        {
            cancel.Cancel();
            foreach (var thread in threads) thread.Join();
            for (int k = consumed; k < slots.Length; k++)
                if (slots[k].Task.IsCompletedSuccessfully) slots[k].Task.Result.Dispose();
        }
    }

    /// <summary>
    /// Decodes, transforms and collates one batch (worker thread; no tensors). Fields whose codec collates as it goes
    /// (<see cref="IStreamingCollation"/>, images) are written into the batch array as soon as their item is transformed,
    /// and their pixels freed; the others are collated at the end.
    /// </summary>
    private HostBatch Build(int[] indices, int epoch, int batchNumber)
    {
        int n = indices.Length;
        var codecs = _codecs;
        var collectors = new IBatchCollector?[_fieldCount];
        var columns = new object[_fieldCount][];
        var items = new string[n];
        var fields = new HostTensor[_fieldCount];
        int made = 0;
        try
        {
            for (int f = 0; f < _fieldCount; f++)
            {
                if (codecs[f] is IStreamingCollation streaming)
                    collectors[f] = codecs[f].Kind == FieldKind.Image   // the fused map is that of the image transforms
                        ? streaming.Begin(n, _hostScale, _hostShift)
                        : streaming.Begin(n, null, null);
                else
                    columns[f] = new object[n];
            }
            for (int j = 0; j < n; j++)
            {
                using var sample = _datasets.CreateSample(indices[j], _fieldCount);
                items[j] = sample.Item;
                PointScaling.Apply(sample);
                if (_itemTransforms.Length > 0)
                {
                    var context = new ItemContext(IsTraining, new Random(DataBlocks.Seed.Mix(Seed, epoch, batchNumber, j)));
                    foreach (var t in _itemTransforms)
                    {
                        try
                        {
                            t.Apply(sample, context);
                        }
                        catch (Exception e) when (e is not DataBlocksException)
                        {
                            throw new DataBlocksException($"Item transform {t.Name} failed on item '{sample.Item}': {e.Message}", e);
                        }
                    }
                }
                for (int f = 0; f < _fieldCount; f++)
                {
                    if (collectors[f] is { } collector) collector.Add(j, sample.Fields[f]);   // disposed with the sample
                    else
                    {
                        columns[f][j] = sample.Fields[f];
                        sample.Fields[f] = Kept;   // the column owns it now
                    }
                }
            }
            for (int f = 0; f < _fieldCount; f++)
            {
                fields[f] = collectors[f] is { } collector ? collector.Finish() : codecs[f].Collate(columns[f]);
                made++;
            }
            return new HostBatch(fields, indices, items);
        }
        catch
        {
            for (int f = 0; f < made; f++) fields[f].Dispose();
            throw;
        }
        finally
        {
            foreach (var c in collectors) c?.Dispose();
            foreach (var column in columns)
                if (column is not null)
                    foreach (object? o in column) (o as IDisposable)?.Dispose();
        }
    }

    /// <summary>Placeholder left in a sample whose field value moved to a collation column.</summary>
    private static readonly object Kept = new();

    /// <summary>Host arrays → device tensors → batch transforms (iterating thread).</summary>
    private Batch ToBatch(HostBatch host)
    {
        var tensors = new torch.Tensor[host.Fields.Length];
        using (var scope = torch.NewDisposeScope())
        {
            for (int f = 0; f < tensors.Length; f++) tensors[f] = host.Fields[f].ToTensor(Device).DetachFromDisposeScope();
        }
        return WithDeviceTransforms(new Batch(tensors, _nInputs, _codecs, host.Indices, host.Items));
    }


    private Batch WithDeviceTransforms(Batch batch)
    {
        try
        {
            foreach (var t in _deviceTransforms) t.Encode(batch, IsTraining);
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
        for (int i = _batchTransforms.Length - 1; i >= 0; i--) _batchTransforms[i].Decode(copy);
        return copy;
    }
}

/// <summary>
/// A typed view of a <see cref="DataLoader"/>: it hands out the generated batch type of a DataBlock. It converts
/// implicitly to the untyped loader, so it can be passed wherever a <see cref="DataLoader"/> is expected.
/// </summary>
/// <typeparam name="TBatch">The generated batch type.</typeparam>
public sealed class DataLoader<TBatch> : IEnumerable<TBatch>, IDisposable where TBatch : IDisposable
{
    private readonly Func<Batch, TBatch> _wrap;

    /// <summary>Wraps <paramref name="untyped"/>; <paramref name="wrap"/> makes a typed batch from an untyped one.</summary>
    public DataLoader(DataLoader untyped, Func<Batch, TBatch> wrap)
    {
        Untyped = untyped;
        _wrap = wrap;
    }

    /// <summary>The untyped loader.</summary>
    public DataLoader Untyped { get; }

    /// <summary>The untyped loader behind a typed one.</summary>
    public static implicit operator DataLoader(DataLoader<TBatch> loader) => loader.Untyped;

    /// <summary>The number of batches per epoch.</summary>
    public int Count => Untyped.Count;

    /// <summary>The number of items in the split.</summary>
    public int ItemCount => Untyped.ItemCount;

    /// <summary>Items per batch.</summary>
    public int BatchSize => Untyped.BatchSize;

    /// <summary>Whether this is a training loader (random augmentation on).</summary>
    public bool IsTraining => Untyped.IsTraining;

    /// <summary>The seed of shuffling and augmentation.</summary>
    public int Seed => Untyped.Seed;

    /// <summary>Background decoding threads.</summary>
    public int Workers => Untyped.Workers;

    /// <summary>Where batches go.</summary>
    public torch.Device Device => Untyped.Device;

    /// <summary>The number of epochs iterated so far.</summary>
    public int Epoch => Untyped.Epoch;

    /// <summary>Whether batches are index slices of the encoded split (see <see cref="DataLoader.IsColumnar"/>).</summary>
    public bool IsColumnar => Untyped.IsColumnar;

    /// <summary>The first batch of the first epoch, typed; the caller disposes it. fastai: <c>one_batch()</c>.</summary>
    public TBatch OneBatch() => _wrap(Untyped.OneBatch());

    /// <summary>A PNG grid of the first batch with decoded labels (see <see cref="BatchRenderer.ShowBatch"/>).</summary>
    public IReadOnlyList<string> ShowBatch(string pngPath, int maxItems = 9) => Untyped.ShowBatch(pngPath, maxItems);

    /// <summary>The first batch as text lines (see <see cref="BatchRenderer.DescribeBatch"/>).</summary>
    public IReadOnlyList<string> DescribeBatch(int maxItems = 9) => Untyped.DescribeBatch(maxItems);

    /// <summary>Disposes the untyped loader (see <see cref="DataLoader.Dispose"/>).</summary>
    public void Dispose() => Untyped.Dispose();

    /// <summary>Iterates one epoch of typed batches (each disposed when the iteration moves on).</summary>
    public IEnumerator<TBatch> GetEnumerator()
    {
        using var e = Untyped.GetEnumerator();
        while (e.MoveNext()) yield return _wrap(e.Current);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
