using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using TorchSharp;

namespace DataBlocks.Serialization;

/// <summary>Python's <c>None</c> as <see cref="RestrictedUnpickler"/> reads it.</summary>
internal sealed class PyNone
{
    /// <summary>The one instance.</summary>
    public static readonly PyNone Value = new();

    private PyNone() { }

    /// <inheritdoc />
    public override string ToString() => "None";
}

/// <summary>A Python tuple: an immutable sequence, equal to another with equal items (so it can be a dict key).</summary>
internal sealed class PyTuple(object[] items) : IEquatable<PyTuple>
{
    /// <summary>The items, in order.</summary>
    public object[] Items { get; } = items;

    /// <summary>The number of items.</summary>
    public int Count => Items.Length;

    /// <summary>The item at <paramref name="i"/>.</summary>
    public object this[int i] => Items[i];

    /// <inheritdoc />
    public bool Equals(PyTuple? other) => other is not null && Items.Length == other.Items.Length &&
        Items.Zip(other.Items).All(p => PyKeyComparer.Instance.Equals(p.First, p.Second));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PyTuple);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var item in Items) h.Add(PyKeyComparer.Instance.GetHashCode(item));
        return h.ToHashCode();
    }
}

/// <summary>A Python dict or <c>collections.OrderedDict</c>: keys in insertion order (a key set again keeps its place).</summary>
internal sealed class PyDict
{
    private readonly List<object> _keys = [];
    private readonly Dictionary<object, object> _values = new(PyKeyComparer.Instance);

    /// <summary>Whether it was made by <c>collections.OrderedDict</c> rather than a dict literal.</summary>
    public bool Ordered { get; init; }

    /// <summary>The <c>_metadata</c> attribute a module's state_dict carries (its modules' versions), when the pickle set it.</summary>
    public object? Metadata { get; set; }

    /// <summary>The number of entries.</summary>
    public int Count => _keys.Count;

    /// <summary>The entries in insertion order.</summary>
    public IEnumerable<KeyValuePair<object, object>> Entries => _keys.Select(k => new KeyValuePair<object, object>(k, _values[k]));

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> (<c>d[key] = value</c>).</summary>
    /// <exception cref="DataBlocksException">The key is not hashable in Python (a list or a dict).</exception>
    public void Set(object key, object value)
    {
        if (key is List<object> or PyDict)
            throw new DataBlocksException($"a {PyKeyComparer.TypeName(key)} is used as a dict key, which Python refuses");
        if (!_values.ContainsKey(key)) _keys.Add(key);
        _values[key] = value;
    }
}

/// <summary>What an allowed global (<c>GLOBAL</c>/<c>STACK_GLOBAL</c>) stands for; nothing else can be named.</summary>
internal enum PyGlobalKind
{
    /// <summary><c>collections.OrderedDict</c>.</summary>
    OrderedDict,

    /// <summary><c>torch._utils._rebuild_tensor_v2</c>: (storage, offset, size, stride, requires_grad, backward_hooks[, metadata]).</summary>
    RebuildTensorV2,

    /// <summary><c>torch._utils._rebuild_tensor</c>: (storage, offset, size, stride).</summary>
    RebuildTensor,

    /// <summary><c>torch._utils._rebuild_parameter</c>: (data, requires_grad, backward_hooks).</summary>
    RebuildParameter,

    /// <summary><c>torch.nn.parameter.Parameter</c>: (data[, requires_grad]).</summary>
    Parameter,

    /// <summary>A storage type (<c>torch.FloatStorage</c>, …): only a marker of the element type in a persistent id.</summary>
    Storage,
}

/// <summary>An allowed global: its kind, its Python name and, for storage types, the element type.</summary>
internal sealed record PyGlobal(PyGlobalKind Kind, string Name, torch.ScalarType DType = torch.ScalarType.Float32)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>A storage named by a persistent id: where its bytes are in the archive, their type and count.</summary>
internal sealed record PyStorage(string Key, torch.ScalarType DType, long Numel, string Location);

/// <summary>A tensor as the pickle describes it: a view of a storage.</summary>
internal sealed record PyTensor(PyStorage Storage, long Offset, long[] Size, long[] Stride);

/// <summary>Key equality as Python's for the values a pickle can hold: numbers by value, strings ordinally, tuples item by item.</summary>
internal sealed class PyKeyComparer : IEqualityComparer<object>
{
    /// <summary>The one instance.</summary>
    public static readonly PyKeyComparer Instance = new();

    /// <inheritdoc />
    public new bool Equals(object? x, object? y)
    {
        x = Normalise(x);
        y = Normalise(y);
        return (x, y) switch
        {
            (byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b),
            _ => object.Equals(x, y),
        };
    }

    /// <inheritdoc />
    public int GetHashCode(object obj) => Normalise(obj) switch
    {
        byte[] b => b.Length,
        var o => o?.GetHashCode() ?? 0,
    };

    /// <summary>The Python type of <paramref name="value"/>, for messages.</summary>
    public static string TypeName(object? value) => value switch
    {
        PyNone or null => "None",
        bool => "bool",
        long or BigInteger => "int",
        double => "float",
        string => "str",
        byte[] => "bytes",
        PyTuple => "tuple",
        List<object> => "list",
        PyDict { Ordered: true } => "OrderedDict",
        PyDict => "dict",
        PyGlobal g => g.Name,
        PyStorage => "storage",
        PyTensor => "tensor",
        _ => value.GetType().Name,
    };

    // Python: True == 1, and an int that fits in 64 bits is the same key however it was pickled.
    private static object? Normalise(object? v) => v switch
    {
        bool b => b ? 1L : 0L,
        BigInteger i when i >= long.MinValue && i <= long.MaxValue => (long)i,
        _ => v,
    };
}
