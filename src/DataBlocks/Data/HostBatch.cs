using System;

namespace DataBlocks.Data;

/// <summary>A collated batch in managed memory, built on a worker thread.</summary>
internal sealed class HostBatch(HostTensor[] fields, int[] indices, string[] items) : IDisposable
{
    public HostTensor[] Fields { get; } = fields;

    public int[] Indices { get; } = indices;

    public string[] Items { get; } = items;

    public void Dispose()
    {
        foreach (var f in Fields) f.Dispose();
    }
}
