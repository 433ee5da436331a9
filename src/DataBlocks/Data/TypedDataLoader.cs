using System;
using System.Collections;
using System.Collections.Generic;
using TorchSharp;

namespace DataBlocks.Data;

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

    /// <summary>The first batch as text lines (see <see cref="DataLoader.DescribeBatch"/>).</summary>
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
