using System;

namespace DataBlocks.Data;

/// <summary>
/// A codec that collates a batch one sample at a time, as each item leaves its item transforms. For images this writes
/// each picture into the batch array while it is still in the CPU cache and frees its pixels at once, instead of
/// holding a whole batch of bitmaps until the end.
/// </summary>
public interface IStreamingCollation
{
    /// <summary>
    /// Starts a batch of <paramref name="count"/> samples. With <paramref name="scale"/> and <paramref name="shift"/> the
    /// output is <c>float32</c> with <c>value · scale[c] + shift[c]</c>; without, it is what <see cref="IFieldCodec.Collate"/>
    /// gives. When batches stay on the CPU, the loader passes the map of the leading batch transforms that can be fused
    /// (<see cref="IFusableBatchTransform"/>, such as int-to-float then normalisation) so they run on its worker threads,
    /// inside collation, instead of as passes over the batch tensor on the training thread. The numbers are the same; on a
    /// GPU the batch is sent as collated and transformed there instead.
    /// </summary>
    IBatchCollector Begin(int count, float[]? scale, float[]? shift);
}

/// <summary>Receives the samples of one batch in any order and produces its host array.</summary>
public interface IBatchCollector : IDisposable
{
    /// <summary>Writes sample <paramref name="position"/> of the batch (the collector does not keep or dispose it).</summary>
    void Add(int position, object sample);

    /// <summary>The collated batch; the caller owns it. Call once, after every position was added.</summary>
    HostTensor Finish();
}
