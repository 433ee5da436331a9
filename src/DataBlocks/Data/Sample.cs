using System;
using System.Collections.Generic;

namespace DataBlocks.Data;

/// <summary>
/// One item on its way through the loader: the encoded value of every field, in block order. Item transforms
/// change <see cref="Fields"/> in place. Lives on one worker thread.
/// </summary>
public sealed class Sample : IDisposable
{
    internal Sample(int index, string item, object[] fields, IReadOnlyList<IFieldCodec> codecs)
    {
        Index = index;
        Item = item;
        Fields = fields;
        Codecs = codecs;
    }

    /// <summary>The item's index in the dataset.</summary>
    public int Index { get; }

    /// <summary>A description of the item (its path or text), for error messages.</summary>
    public string Item { get; }

    /// <summary>The encoded fields, block order.</summary>
    public object[] Fields { get; }

    /// <summary>The codec of each field.</summary>
    public IReadOnlyList<IFieldCodec> Codecs { get; }

    /// <summary>Disposes fields that hold native memory (decoded images).</summary>
    public void Dispose()
    {
        foreach (object f in Fields)
            (f as IDisposable)?.Dispose();
    }
}
