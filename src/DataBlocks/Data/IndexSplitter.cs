using System.Collections.Generic;
using System.Linq;

namespace DataBlocks.Data;

/// <summary>
/// The given indices are validation (in the given order); every other item is training, in ascending order.
/// fastai: <c>IndexSplitter(valid_idx)</c>.
/// </summary>
public sealed class IndexSplitter(IEnumerable<int> validIndices) : ISplitter
{
    private readonly int[] _valid = validIndices.ToArray();

    /// <summary>The validation indices.</summary>
    public IReadOnlyList<int> ValidIndices => _valid;

    /// <inheritdoc />
    public DataSplit Split<TItem>(IReadOnlyList<TItem> items) =>
        new(DataSplit.Complement(items.Count, _valid), _valid);
}
