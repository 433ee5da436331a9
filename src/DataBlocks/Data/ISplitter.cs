using System.Collections.Generic;

namespace DataBlocks.Data;

/// <summary>Splits a list of items into training and validation indices. fastai: a <c>splitter</c> function.</summary>
public interface ISplitter
{
    /// <summary>Returns the indices (into <paramref name="items"/>) of the training and validation items.</summary>
    DataSplit Split<TItem>(IReadOnlyList<TItem> items);
}
