using System.Collections.Generic;
using DataBlocks.Data;
using DataBlocks.Losses;
using TorchSharp;

namespace DataBlocks.BlockTypes;

/// <summary>
/// A categorical input (a user or item id of any equatable type). Setup builds a sorted vocabulary from the training
/// split with fastai's <c>#na#</c> slot at index 0. A value the training split never had encodes to 0 (<c>#na#</c>), as in
/// fastai's <c>Categorify</c>; with <c>strict: true</c> it is an error naming the item instead.
/// </summary>
/// <typeparam name="T">The key type.</typeparam>
public class CategoricalBlock<T>(bool strict = false) : IBlock<T> where T : notnull
{
    /// <summary>Whether unknown values are errors (else they map to <c>#na#</c>).</summary>
    public bool Strict { get; } = strict;

    /// <summary>A lenient block (unknown values map to <c>#na#</c>).</summary>
    public CategoricalBlock() : this(false) { }

    /// <inheritdoc />
    public virtual string Name => "CategoricalBlock";

    /// <inheritdoc />
    public IFieldCodec<T> Setup(FieldInfo field, IReadOnlyList<T> trainValues) =>
        new CategoricalCodec<T>(field, Vocab<T>.FromValues(trainValues, hasNaSlot: true), Strict);
}

/// <summary>The set-up <see cref="CategoricalBlock{T}"/>.</summary>
/// <typeparam name="T">The key type.</typeparam>
public sealed class CategoricalCodec<T>(FieldInfo field, Vocab<T> vocab, bool strict) : IFieldCodec<T> where T : notnull
{
    /// <summary>The keys, index order; index 0 is <c>#na#</c>.</summary>
    public Vocab<T> Vocab { get; } = vocab;

    /// <summary>Whether unknown values are errors.</summary>
    public bool Strict { get; } = strict;

    /// <inheritdoc />
    public FieldInfo Field { get; } = field;

    /// <inheritdoc />
    public FieldKind Kind => FieldKind.Categorical;

    /// <inheritdoc />
    public bool EncodesEagerly => true;

    /// <inheritdoc />
    public int OutputCount => Vocab.Count;

    /// <inheritdoc />
    public ILossFunction? DefaultLoss => null;

    /// <inheritdoc />
    public object Encode(T value, string item)
    {
        if (value is null)
            throw new DataBlocksException($"{Field.Member} returned null for item '{item}'.");
        if (Vocab.TryGetIndex(value, out int index)) return (long)index;
        if (Strict)
            throw new DataBlocksException($"'{value}' ({Field.Member}, item '{item}') was not seen in the training split.");
        return 0L;
    }

    /// <inheritdoc />
    public HostTensor Collate(IReadOnlyList<object> samples) => Collation.Longs(samples);

    /// <inheritdoc />
    public string Show(torch.Tensor row) => Vocab.Name(row.item<long>());

    /// <inheritdoc />
    public object CloneSample(object sample) => sample;
}
