using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace DataBlocks.Data;

/// <summary>
/// The classes of a category field, in index order. Built from the training split and sorted (strings by ordinal,
/// numbers numerically, enums by value), as fastai's <c>CategoryMap</c>. With <see cref="HasNaSlot"/>, index 0 is the
/// reserved <c>#na#</c> slot for unknown values and the real values start at 1.
/// </summary>
/// <typeparam name="T">The label type.</typeparam>
public sealed class Vocab<T> : IReadOnlyList<string> where T : notnull
{
    /// <summary>fastai's name of the reserved unknown slot.</summary>
    public const string NaName = "#na#";

    private readonly T[] _values;
    private readonly Dictionary<T, int> _index;

    /// <summary>Creates a vocabulary over <paramref name="values"/> in the given order.</summary>
    /// <exception cref="ArgumentException">A value is repeated.</exception>
    public Vocab(IEnumerable<T> values, bool hasNaSlot = false)
    {
        _values = values.ToArray();
        HasNaSlot = hasNaSlot;
        _index = new Dictionary<T, int>(_values.Length, EqualityComparer<T>.Default);
        int offset = hasNaSlot ? 1 : 0;
        for (int i = 0; i < _values.Length; i++)
            if (!_index.TryAdd(_values[i], i + offset))
                throw new ArgumentException($"The value '{_values[i]}' appears twice in the vocabulary.", nameof(values));
    }

    /// <summary>
    /// The distinct values, sorted the way fastai sorts them. Nulls are left out (fastai drops NaN); the codec then
    /// reports the item whose getter returned null.
    /// </summary>
    public static Vocab<T> FromValues(IEnumerable<T?> values, bool hasNaSlot = false)
    {
        if (!typeof(IComparable<T>).IsAssignableFrom(typeof(T)) && !typeof(IComparable).IsAssignableFrom(typeof(T)))
            throw new DataBlocksException(
                $"A vocabulary of {typeof(T).Name} values needs an order (it is sorted, as fastai's is): {typeof(T).Name} implements neither IComparable<{typeof(T).Name}> nor IComparable.");
        var distinct = new HashSet<T>(values.Where(v => v is not null)!).ToList();
        if (typeof(T) == typeof(string)) distinct.Sort((a, b) => string.CompareOrdinal((string)(object)a, (string)(object)b));
        else distinct.Sort(Comparer<T>.Default);
        return new Vocab<T>(distinct, hasNaSlot);
    }

    /// <summary>Whether index 0 is the <c>#na#</c> slot.</summary>
    public bool HasNaSlot { get; }

    /// <summary>The number of indices, the <c>#na#</c> slot included (fastai's <c>len(vocab)</c>).</summary>
    public int Count => _values.Length + (HasNaSlot ? 1 : 0);

    /// <summary>The real values in index order (without the <c>#na#</c> slot).</summary>
    public IReadOnlyList<T> Values => _values;

    /// <summary>The display name of index <paramref name="index"/>.</summary>
    public string this[int index] => Name(index);

    /// <summary>The index of <paramref name="value"/>, if known.</summary>
    public bool TryGetIndex(T value, out int index) => _index.TryGetValue(value, out index);

    /// <summary>The index of <paramref name="value"/>.</summary>
    /// <exception cref="DataBlocksException">The value is not in the vocabulary.</exception>
    public int IndexOf(T value) => _index.TryGetValue(value, out int i)
        ? i
        : throw new DataBlocksException($"'{value}' is not in the vocabulary [{Preview()}].");

    /// <summary>The value at <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range or is the <c>#na#</c> slot.</exception>
    public T Decode(long index)
    {
        int offset = HasNaSlot ? 1 : 0;
        if (index < offset || index >= Count)
            throw new ArgumentOutOfRangeException(nameof(index), index,
                HasNaSlot && index == 0 ? "Index 0 is the #na# slot (an unknown value); it has no value." : $"The vocabulary has {Count} entries.");
        return _values[index - offset];
    }

    /// <summary>The display name of an index: the value's text, or <c>#na#</c>.</summary>
    public string Name(long index) => HasNaSlot && index == 0 ? NaName : Decode(index).ToString() ?? "";

    /// <summary>Up to <paramref name="max"/> names, for messages.</summary>
    public string Preview(int max = 10) =>
        string.Join(", ", this.Take(max)) + (Count > max ? $", ... ({Count} in all)" : "");

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return Name(i);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
