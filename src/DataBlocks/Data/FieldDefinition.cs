using System;
using System.Collections.Generic;

namespace DataBlocks.Data;

/// <summary>One field of a DataBlock: its getter and its block. Generated code creates these.</summary>
/// <typeparam name="TItem">The item type.</typeparam>
public abstract class FieldDefinition<TItem>
{
    private protected FieldDefinition(string name, string member, bool isInput)
    {
        Name = name;
        Member = member;
        IsInput = isInput;
    }

    /// <summary>The field's name in generated types (the getter's name).</summary>
    public string Name { get; }

    /// <summary>The getter as <c>Class.Member</c>, for messages.</summary>
    public string Member { get; }

    /// <summary>Whether the field is an input.</summary>
    public bool IsInput { get; }

    /// <summary>The block.</summary>
    public abstract IBlock Block { get; }

    internal abstract FieldValues<TItem> Evaluate(IReadOnlyList<TItem> items, IReadOnlyList<string> names, Action<int, Exception>? onError);
}

/// <summary>A field whose getter returns <typeparamref name="TValue"/>.</summary>
/// <typeparam name="TItem">The item type.</typeparam>
/// <typeparam name="TValue">What the getter returns.</typeparam>
public sealed class FieldDefinition<TItem, TValue> : FieldDefinition<TItem>
{
    private readonly Func<TItem, TValue> _getter;
    private readonly IBlock<TValue> _block;

    /// <summary>Creates the field.</summary>
    /// <param name="name">The field's name in generated types.</param>
    /// <param name="member">The getter as <c>Class.Member</c>, for messages.</param>
    /// <param name="isInput">Whether the field is an input.</param>
    /// <param name="getter">Item → value.</param>
    /// <param name="block">The block that encodes the value.</param>
    public FieldDefinition(string name, string member, bool isInput, Func<TItem, TValue> getter, IBlock<TValue> block)
        : base(name, member, isInput)
    {
        _getter = getter;
        _block = block;
    }

    /// <inheritdoc />
    public override IBlock Block => _block;

    internal override FieldValues<TItem> Evaluate(IReadOnlyList<TItem> items, IReadOnlyList<string> names, Action<int, Exception>? onError)
    {
        var values = new TValue[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            try
            {
                values[i] = _getter(items[i]);
            }
            catch (Exception e) when (ItemFaults.BelongToItem(e))
            {
                var error = e is DataBlocksException
                    ? new GetterException(Member, $"{Member} failed for item #{i} '{names[i]}': {e.Message}", e)
                    : new GetterException(Member, $"{Member} threw {e.GetType().Name} for item #{i} '{names[i]}': {e.Message}", e);
                if (onError is null) throw error;
                onError(i, error);
            }
        }
        return new FieldValues<TItem, TValue>(this, _block, values);
    }
}

/// <summary>A field's getter values for a list of items, and (after setup) its codec and eagerly encoded samples.</summary>
internal abstract class FieldValues<TItem>
{
    public abstract FieldDefinition<TItem> Definition { get; }
    public abstract IFieldCodec Codec { get; }
    public abstract void Setup(FieldInfo info, IReadOnlyList<int> trainIndices);
    public abstract void UseCodec(IFieldCodec codec);
    public abstract void EncodeEagerly(IEnumerable<int> indices, IReadOnlyList<string> names, Action<int, Exception>? onError);
    public abstract object Encode(int index, string name);
    public abstract object? RawValue(int index);
}

internal sealed class FieldValues<TItem, TValue>(FieldDefinition<TItem> definition, IBlock<TValue> block, TValue[] values) : FieldValues<TItem>
{
    private IFieldCodec<TValue>? _codec;
    private object?[]? _encoded;

    public override FieldDefinition<TItem> Definition { get; } = definition;

    public override IFieldCodec Codec => _codec ?? throw new InvalidOperationException("The field is not set up.");

    public TValue[] Values { get; } = values;

    public override void Setup(FieldInfo info, IReadOnlyList<int> trainIndices)
    {
        var train = new TValue[trainIndices.Count];
        for (int i = 0; i < train.Length; i++) train[i] = Values[trainIndices[i]];
        _codec = block.Setup(info, train);
    }

    public override void UseCodec(IFieldCodec codec) =>
        _codec = codec as IFieldCodec<TValue> ?? throw new InvalidOperationException($"Codec {codec.GetType().Name} does not encode {typeof(TValue).Name}.");

    public override void EncodeEagerly(IEnumerable<int> indices, IReadOnlyList<string> names, Action<int, Exception>? onError)
    {
        if (!Codec.EncodesEagerly) return;
        _encoded ??= new object?[Values.Length];
        foreach (int i in indices)
        {
            try
            {
                _encoded[i] = _codec!.Encode(Values[i], names[i]);
            }
            catch (Exception e) when (ItemFaults.BelongToItem(e))
            {
                var error = ItemFaults.Attribute(e, $"{block.Name} could not encode {Definition.Member}'s value for item #{i} '{names[i]}'");
                if (onError is null) throw error;
                onError(i, error);
            }
        }
    }

    public override object Encode(int index, string name)
    {
        if (_encoded?[index] is { } sample) return _codec!.CloneSample(sample);
        return _codec!.Encode(Values[index], name);
    }

    public override object? RawValue(int index) => Values[index];
}
