using System;
using System.Collections.Generic;

namespace DataBlocks.Data;

/// <summary>Items for which the predicate returns <c>true</c> are validation. fastai: <c>FuncSplitter(func)</c>.</summary>
/// <typeparam name="T">The item type the predicate reads.</typeparam>
public sealed class FuncSplitter<T>(Func<T, bool> isValid, string name = "FuncSplitter") : ISplitter
{
    /// <inheritdoc />
    public DataSplit Split<TItem>(IReadOnlyList<TItem> items)
    {
        var train = new List<int>();
        var valid = new List<int>();
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i] is not T item)
                throw new DataBlocksException(
                    $"{name} reads items of type {typeof(T).Name}, but item #{i} is {(items[i] is null ? "null" : items[i]!.GetType().Name)}.");
            bool v;
            try
            {
                v = isValid(item);
            }
            catch (Exception e) when (e is not DataBlocksException)
            {
                throw new GetterException(name, $"{name} threw for item #{i} '{item}': {e.Message}", e);
            }
            (v ? valid : train).Add(i);
        }
        return new DataSplit(train, valid);
    }
}
