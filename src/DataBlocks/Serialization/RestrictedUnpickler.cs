using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Text;
using TorchSharp;

namespace DataBlocks.Serialization;

/// <summary>
/// A pickle reader that can only rebuild a state_dict. It runs the opcodes of pickle protocols 2–5 that describe plain
/// data (numbers, strings, tuples, lists, dicts, the memo) and resolves a global name only if it is one a state_dict
/// needs (<see cref="PyGlobalKind"/>): any other name is refused where it appears, at the <c>GLOBAL</c> or
/// <c>STACK_GLOBAL</c> opcode, before anything could call it, so nothing is ever constructed or run. Opcodes that build
/// arbitrary objects (<c>NEWOBJ</c>, <c>INST</c>, <c>OBJ</c>, extension codes, out-of-band buffers) are refused too.
/// PyTorch's own <c>weights_only</c> loader works the same way.
/// </summary>
internal sealed class RestrictedUnpickler
{
    private static readonly Dictionary<string, PyGlobal> Allowed = BuildAllowed();

    private readonly byte[] _data;
    private readonly string _where;
    private readonly Func<PyTuple, object> _persistentLoad;
    private readonly List<object> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object> _memo = [];
    private int _pos;
    private int _opStart;
    private bool _sawGlobal;

    private RestrictedUnpickler(byte[] data, string where, Func<PyTuple, object> persistentLoad)
    {
        _data = data;
        _where = where;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Reads the pickle in <paramref name="data"/> and returns the object it describes.</summary>
    /// <param name="data">The whole pickle.</param>
    /// <param name="where">What to call it in messages (<c>'model.pth' (data.pkl)</c>).</param>
    /// <param name="persistentLoad">Turns a persistent id (<c>BINPERSID</c>) into its object (torch: a storage).</param>
    /// <exception cref="DataBlocksException">
    /// A global a state_dict does not need (named as <c>module.name</c>), an opcode outside the supported set (named, with
    /// its offset), a call with arguments that do not fit, or a truncated or malformed pickle.
    /// </exception>
    public static object Load(byte[] data, string where, Func<PyTuple, object> persistentLoad) =>
        new RestrictedUnpickler(data, where, persistentLoad).Run();

    private object Run()
    {
        while (true)
        {
            _opStart = _pos;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: // PROTO
                    if (ReadByte() > 5) throw Bad($"pickle protocol {_data[_pos - 1]} is newer than 5, the highest there is");
                    break;
                case 0x95: // FRAME: a length prefix only, the frame's opcodes follow inline
                    Take(8);
                    break;
                case 0x2e: // STOP
                    if (_stack.Count != 1 || _marks.Count != 0) throw Bad("the pickle ends with its stack unbalanced");
                    return _stack[0];
                case 0x28: // MARK
                    _marks.Push(_stack.Count);
                    break;
                case 0x30: // POP
                    Pop();
                    break;
                case 0x31: // POP_MARK
                    PopMark();
                    break;
                case 0x32: // DUP
                    Push(Peek());
                    break;
                case 0x4e: // NONE
                    Push(PyNone.Value);
                    break;
                case 0x88: // NEWTRUE
                    Push(true);
                    break;
                case 0x89: // NEWFALSE
                    Push(false);
                    break;
                case 0x4a: // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
                    break;
                case 0x4b: // BININT1
                    Push((long)ReadByte());
                    break;
                case 0x4d: // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)));
                    break;
                case 0x8a: // LONG1
                    Push(Long(Take(ReadByte())));
                    break;
                case 0x8b: // LONG4
                    Push(Long(Take(Length(BinaryPrimitives.ReadInt32LittleEndian(Take(4))))));
                    break;
                case 0x47: // BINFLOAT (big-endian)
                    Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8)));
                    break;
                case 0x58: // BINUNICODE
                    Push(Utf8(Take(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(Utf8(Take(ReadByte())));
                    break;
                case 0x8d: // BINUNICODE8
                    Push(Utf8(Take(Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(8))))));
                    break;
                case 0x55: // SHORT_BINSTRING (a Python 2 str)
                    Push(Latin1(Take(ReadByte())));
                    break;
                case 0x54: // BINSTRING
                    Push(Latin1(Take(Length(BinaryPrimitives.ReadInt32LittleEndian(Take(4))))));
                    break;
                case 0x43: // SHORT_BINBYTES
                    Push(Take(ReadByte()).ToArray());
                    break;
                case 0x42: // BINBYTES
                    Push(Take(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray());
                    break;
                case 0x8e: // BINBYTES8
                    Push(Take(Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))).ToArray());
                    break;
                case 0x29: // EMPTY_TUPLE
                    Push(new PyTuple([]));
                    break;
                case 0x85: // TUPLE1
                    Push(new PyTuple([Pop()]));
                    break;
                case 0x86: // TUPLE2
                {
                    var b = Pop();
                    var a = Pop();
                    Push(new PyTuple([a, b]));
                    break;
                }
                case 0x87: // TUPLE3
                {
                    var c = Pop();
                    var b = Pop();
                    var a = Pop();
                    Push(new PyTuple([a, b, c]));
                    break;
                }
                case 0x74: // TUPLE
                    Push(new PyTuple([.. PopMark()]));
                    break;
                case 0x5d: // EMPTY_LIST
                    Push(new List<object>());
                    break;
                case 0x6c: // LIST
                    Push(PopMark());
                    break;
                case 0x61: // APPEND
                {
                    var item = Pop();
                    ListAt(Peek()).Add(item);
                    break;
                }
                case 0x65: // APPENDS
                {
                    var items = PopMark();
                    ListAt(Peek()).AddRange(items);
                    break;
                }
                case 0x7d: // EMPTY_DICT
                    Push(new PyDict());
                    break;
                case 0x64: // DICT
                {
                    var items = PopMark();
                    var dict = new PyDict();
                    SetItems(dict, items);
                    Push(dict);
                    break;
                }
                case 0x73: // SETITEM
                {
                    var value = Pop();
                    var key = Pop();
                    SetItems(DictAt(Peek()), [key, value]);
                    break;
                }
                case 0x75: // SETITEMS
                {
                    var items = PopMark();
                    SetItems(DictAt(Peek()), items);
                    break;
                }
                case 0x71: // BINPUT
                    _memo[ReadByte()] = Peek();
                    break;
                case 0x72: // LONG_BINPUT
                    _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek();
                    break;
                case 0x94: // MEMOIZE
                    _memo[_memo.Count] = Peek();
                    break;
                case 0x68: // BINGET
                    Push(Memo(ReadByte()));
                    break;
                case 0x6a: // LONG_BINGET
                    Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))));
                    break;
                case 0x63: // GLOBAL "module\nname\n"
                {
                    string module = Line(), name = Line();
                    Push(Resolve(module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop();
                    var module = Pop();
                    if (module is not string m || name is not string n)
                        throw Bad($"STACK_GLOBAL takes two strings, got a {PyKeyComparer.TypeName(module)} and a {PyKeyComparer.TypeName(name)}");
                    Push(Resolve(m, n));
                    break;
                }
                case 0x51: // BINPERSID
                {
                    var pid = Pop();
                    if (pid is not PyTuple t) throw Bad($"a persistent id is a {PyKeyComparer.TypeName(pid)}, not a tuple");
                    Push(Guarded(() => _persistentLoad(t)));
                    break;
                }
                case 0x52: // REDUCE
                {
                    var args = Pop();
                    var callable = Pop();
                    Push(Guarded(() => Reduce(callable, args)));
                    break;
                }
                case 0x62: // BUILD
                {
                    var state = Pop();
                    Guarded(() => Build(Peek(), state));
                    break;
                }
                default:
                    throw Bad($"it uses the pickle opcode {OpName(op)}, which a state_dict does not need; DataBlocks refuses it");
            }
        }
    }

    private static Dictionary<string, PyGlobal> BuildAllowed()
    {
        var allowed = new Dictionary<string, PyGlobal>(StringComparer.Ordinal);
        void Add(PyGlobalKind kind, string name, torch.ScalarType dtype = torch.ScalarType.Float32) => allowed[name] = new(kind, name, dtype);
        Add(PyGlobalKind.OrderedDict, "collections.OrderedDict");
        Add(PyGlobalKind.RebuildTensorV2, "torch._utils._rebuild_tensor_v2");
        Add(PyGlobalKind.RebuildTensor, "torch._utils._rebuild_tensor");
        Add(PyGlobalKind.RebuildParameter, "torch._utils._rebuild_parameter");
        Add(PyGlobalKind.Parameter, "torch.nn.parameter.Parameter");
        foreach (var (storage, dtype) in TorchDtypes.StorageTypes) Add(PyGlobalKind.Storage, "torch." + storage, dtype);
        return allowed;
    }

    // The check that keeps every other name out: nothing is imported, looked up or called here, only compared.
    private PyGlobal Resolve(string module, string name)
    {
        string full = module + "." + name;
        bool first = !_sawGlobal && _stack.Count == 0;
        _sawGlobal = true;
        if (Allowed.TryGetValue(full, out var global)) return global;
        bool wholeModel = first || module.StartsWith("torch.nn.", StringComparison.Ordinal) || module.StartsWith("torchvision.", StringComparison.Ordinal);
        throw new DataBlocksException(
            $"{_where} names the Python global '{full}' (pickle offset {_opStart}), which a state_dict never holds: DataBlocks " +
            "loads only tensors and their dicts, and refused the file without constructing or running anything." +
            (wholeModel
                ? " It looks like a whole model saved with torch.save(model): save its state_dict instead, " +
                  "torch.save(model.state_dict(), 'weights.pth'), and load that."
                : ""));
    }

    private object Reduce(object callable, object args)
    {
        if (callable is not PyGlobal g) throw new DataBlocksException($"it calls a {PyKeyComparer.TypeName(callable)}, which is not callable");
        if (args is not PyTuple a) throw new DataBlocksException($"it calls {g} with a {PyKeyComparer.TypeName(args)} of arguments, not a tuple");
        switch (g.Kind)
        {
            case PyGlobalKind.OrderedDict:
            {
                var dict = new PyDict { Ordered = true };
                if (a.Count == 1 && a[0] is List<object> or PyTuple)
                    foreach (var pair in a[0] is List<object> l ? l.ToArray() : ((PyTuple)a[0]).Items)
                        if (pair is PyTuple { Count: 2 } kv) dict.Set(kv[0], kv[1]);
                        else throw new DataBlocksException($"{g} takes (key, value) pairs, got a {PyKeyComparer.TypeName(pair)}");
                else if (a.Count != 0) throw Arity(g, a, "() or ([(key, value), …])");
                return dict;
            }
            case PyGlobalKind.RebuildTensorV2:
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (a.Count is < 6 or > 7) throw Arity(g, a, "(storage, offset, size, stride, requires_grad, backward_hooks[, metadata])");
                if (a[5] is not PyDict { Count: 0 }) throw new DataBlocksException($"{g}: the tensor carries backward hooks, which a state_dict does not");
                if (a.Count == 7 && a[6] is not (PyNone or PyDict { Count: 0 })) throw new DataBlocksException($"{g}: the tensor carries Python metadata, which a state_dict does not");
                return Tensor(g, a);
            case PyGlobalKind.RebuildTensor:
                if (a.Count != 4) throw Arity(g, a, "(storage, offset, size, stride)");
                return Tensor(g, a);
            case PyGlobalKind.RebuildParameter:
                if (a.Count != 3) throw Arity(g, a, "(data, requires_grad, backward_hooks)");
                if (a[2] is not PyDict { Count: 0 }) throw new DataBlocksException($"{g}: the parameter carries backward hooks, which a state_dict does not");
                return a[0] as PyTensor ?? throw new DataBlocksException($"{g} takes a tensor, got a {PyKeyComparer.TypeName(a[0])}");
            case PyGlobalKind.Parameter:
                if (a.Count is < 1 or > 2) throw Arity(g, a, "(data[, requires_grad])");
                return a[0] as PyTensor ?? throw new DataBlocksException($"{g} takes a tensor, got a {PyKeyComparer.TypeName(a[0])}");
            default:
                throw new DataBlocksException($"it calls {g}, which a state_dict only names in a storage's persistent id");
        }
    }

    private static PyTensor Tensor(PyGlobal g, PyTuple a)
    {
        if (a[0] is not PyStorage storage) throw new DataBlocksException($"{g} takes a storage first, got a {PyKeyComparer.TypeName(a[0])}");
        if (a[1] is not long offset) throw new DataBlocksException($"{g}: the storage offset is a {PyKeyComparer.TypeName(a[1])}, not an int");
        return new PyTensor(storage, offset, Longs(g, "size", a[2]), Longs(g, "stride", a[3]));
    }

    private static long[] Longs(PyGlobal g, string what, object value) =>
        value is PyTuple t && t.Items.All(i => i is long)
            ? [.. t.Items.Cast<long>()]
            : throw new DataBlocksException($"{g}: the {what} is not a tuple of ints");

    private static DataBlocksException Arity(PyGlobal g, PyTuple a, string expected) =>
        new($"{g} takes {expected}; the pickle gives it {a.Count} argument(s)");

    // BUILD on the state_dict's OrderedDict: the _metadata attribute PyTorch sets on every module's state_dict.
    private static void Build(object target, object state)
    {
        if (target is not PyDict dict)
            throw new DataBlocksException($"it sets the state of a {PyKeyComparer.TypeName(target)}, which a state_dict does not do");
        if (state is PyTuple { Count: 2 } t && t[1] is PyNone) state = t[0];    // (dict state, slot state)
        if (state is not PyDict attributes)
            throw new DataBlocksException($"it sets the state of a dict from a {PyKeyComparer.TypeName(state)}");
        foreach (var (key, value) in attributes.Entries)
        {
            if (key is not "_metadata")
                throw new DataBlocksException($"it sets the attribute '{key}' on a dict; a state_dict only carries '_metadata'");
            dict.Metadata = value;
        }
    }

    private T Guarded<T>(Func<T> f)
    {
        try
        {
            return f();
        }
        catch (DataBlocksException e) when (!e.Message.StartsWith(_where, StringComparison.Ordinal))
        {
            throw Bad(e.Message, e);
        }
    }

    private void Guarded(Action f) => Guarded(() => { f(); return 0; });

    private static void SetItems(PyDict dict, List<object> items)
    {
        if (items.Count % 2 != 0) throw new DataBlocksException("a dict is given an odd number of keys and values");
        for (int i = 0; i < items.Count; i += 2) dict.Set(items[i], items[i + 1]);
    }

    private List<object> ListAt(object o) => o as List<object> ?? throw Bad($"it appends to a {PyKeyComparer.TypeName(o)}, not a list");

    private PyDict DictAt(object o) => o as PyDict ?? throw Bad($"it sets items of a {PyKeyComparer.TypeName(o)}, not a dict");

    private object Memo(long key) => _memo.TryGetValue(key, out var v) ? v : throw Bad($"it reads memo entry {key}, which was never stored");

    private void Push(object o) => _stack.Add(o);

    private object Peek() => _stack.Count > (_marks.Count > 0 ? _marks.Peek() : 0) ? _stack[^1] : throw Bad("it reads an empty stack");

    private object Pop()
    {
        var o = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return o;
    }

    private List<object> PopMark()
    {
        if (_marks.Count == 0) throw Bad("it closes a MARK that was never opened");
        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private byte ReadByte() => _pos < _data.Length ? _data[_pos++] : throw Truncated();

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || n > _data.Length - _pos) throw Truncated();
        var span = _data.AsSpan(_pos, n);
        _pos += n;
        return span;
    }

    private int Length(long n) => n >= 0 && n <= _data.Length - _pos ? (int)n : throw Truncated();

    private int Length(ulong n) => n <= (ulong)(_data.Length - _pos) ? (int)n : throw Truncated();

    private string Line()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw Truncated();
        string s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private string Utf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw Bad("it holds a string that is not valid UTF-8", e);
        }
    }

    private static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    // LONG1/LONG4: little-endian two's complement.
    private static object Long(ReadOnlySpan<byte> bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private DataBlocksException Truncated() => new($"{_where} is truncated: its pickle ends at byte {_data.Length} in the middle of an opcode (at {_opStart}), before STOP.");

    private DataBlocksException Bad(string problem, Exception? inner = null) => new($"{_where} cannot be read as a state_dict: {problem} (pickle offset {_opStart}).", inner);

    private static string OpName(byte op)
    {
        string? name = op switch
        {
            0x81 => "NEWOBJ",
            0x92 => "NEWOBJ_EX",
            0x69 => "INST",
            0x6f => "OBJ",
            0x82 => "EXT1",
            0x83 => "EXT2",
            0x84 => "EXT4",
            0x50 => "PERSID",
            0x8f => "EMPTY_SET",
            0x90 => "ADDITEMS",
            0x91 => "FROZENSET",
            0x96 => "BYTEARRAY8",
            0x97 => "NEXT_BUFFER",
            0x98 => "READONLY_BUFFER",
            0x46 => "FLOAT",
            0x49 => "INT",
            0x4c => "LONG",
            0x53 => "STRING",
            0x56 => "UNICODE",
            0x67 => "GET",
            0x70 => "PUT",
            _ => null,
        };
        return name is null ? $"0x{op:x2} (not a pickle opcode)" : $"{name} (0x{op:x2})";
    }
}
