using System;
using System.Collections.Generic;

namespace DataBlocks.Data;

/// <summary>
/// A codec that can collate its uint8 samples straight into float32 with a per-channel affine map
/// <c>x · scale[c] + shift[c]</c>. When batches stay on the CPU, the loader uses it to run
/// <see cref="Vision.IntToFloatTensor"/> (and a directly following <see cref="Vision.Normalize"/>) on its worker threads,
/// fused into collation, instead of as three passes over the batch tensor on the training thread. The numbers are the
/// same; on a GPU the uint8 batch is sent and converted there instead.
/// </summary>
public interface IHostFloatCollation
{
    /// <summary>Collates into <c>float32 [B, C, H, W]</c> with <c>value · scale[c] + shift[c]</c>.</summary>
    HostTensor CollateFloat(IReadOnlyList<object> samples, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift);
}
