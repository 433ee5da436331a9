using System;
using System.Collections.Generic;
using DataBlocks.Data;
using DataBlocks.Vision;

namespace DataBlocks;

/// <summary>
/// <c>ShowBatch</c> on the typed loaders of generated DataBlocks, in the namespace every DataBlock file imports (the
/// loaders themselves know nothing about images; <see cref="BatchRenderer"/> draws).
/// </summary>
public static class BatchDisplay
{
    /// <summary>A PNG grid of the first batch with decoded labels (see <see cref="BatchRenderer.ShowBatch"/>).</summary>
    public static IReadOnlyList<string> ShowBatch<TBatch>(this DataLoader<TBatch> loader, string pngPath, int maxItems = 9)
        where TBatch : IDisposable => loader.Untyped.ShowBatch(pngPath, maxItems);
}
