using System;
using System.Collections.Generic;
using System.Linq;

namespace DataBlocks.Data;

/// <summary>Runs a <c>[GetItems]</c> member and materialises its items, naming the member when it fails.</summary>
public static class ItemSource
{
    /// <summary>Calls <paramref name="getItems"/> and copies the items into a list.</summary>
    /// <exception cref="GetterException">The member threw, returned null, or returned a null item.</exception>
    public static IReadOnlyList<TItem> Collect<TItem>(Func<IEnumerable<TItem>?> getItems, string member, object? source)
    {
        string from = source is null ? "" : $" for source '{source}'";
        List<TItem> items;
        try
        {
            items = (getItems() ?? throw new GetterException(member, $"{member} returned null{from}; return an empty sequence or the items.")).ToList();
        }
        catch (GetterException)
        {
            throw;
        }
        catch (DataBlocksException e)
        {
            throw new GetterException(member, $"{member} failed{from}: {e.Message}", e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new GetterException(member, $"{member} threw {e.GetType().Name}{from}: {e.Message}", e);
        }
        int nullAt = items.FindIndex(i => i is null);
        if (nullAt >= 0) throw new GetterException(member, $"{member} returned a null item at position {nullAt}{from}.");
        return items;
    }
}

/// <summary>A read-only list that projects dataset indices to typed items (the splits of generated datasets).</summary>
/// <typeparam name="T">The typed item.</typeparam>
public sealed class ItemList<T>(IReadOnlyList<int> indices, Func<int, T> item) : IReadOnlyList<T>
{
    /// <summary>The dataset indices, in split order.</summary>
    public IReadOnlyList<int> Indices { get; } = indices;

    /// <inheritdoc />
    public int Count => Indices.Count;

    /// <summary>The item at position <paramref name="position"/> of the split.</summary>
    public T this[int position] => item(Indices[position]);

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator()
    {
        foreach (int i in Indices) yield return item(i);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
