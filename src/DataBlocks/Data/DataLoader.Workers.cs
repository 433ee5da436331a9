using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using TorchSharp;

namespace DataBlocks.Data;

/// <summary>The per-item path: batches decoded, transformed and collated on worker threads (or the iterating one).</summary>
public partial class DataLoader
{
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

    private IEnumerable<Batch> Sequential(int[][] batches, int epoch, CollationFusion fusion) => Owned(batches.Length, k =>
    {
        using var host = Build(batches[k], epoch, k, fusion);
        return ToBatch(host, fusion);
    });

    private IEnumerable<Batch> Parallel(int[][] batches, int epoch, CollationFusion fusion)
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
                        slots[k].SetResult(Build(batches[k], epoch, k, fusion));
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
                using (host) batch = ToBatch(host, fusion);
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
    private HostBatch Build(int[] indices, int epoch, int batchNumber, CollationFusion fusion)
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
                if (codecs[f] is IStreamingCollation streaming) collectors[f] = fusion.Begin(streaming, f, n);
                else
                    columns[f] = new object[n];
            }
            for (int j = 0; j < n; j++)
            {
                using var sample = _datasets.CreateSample(indices[j], _fieldCount);
                items[j] = sample.Item;
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
}
