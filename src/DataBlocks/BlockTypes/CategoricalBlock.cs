using System.Collections.Generic;
using DataBlocks.Data;
using DataBlocks.Losses;
using TorchSharp;

namespace DataBlocks.BlockTypes;

/// <summary>
/// A categorical input (a user or item id of any type with a default ordering: <c>IComparable&lt;T&gt;</c> or
/// <c>IComparable</c>, such as <c>int</c>, <c>string</c>, <c>Guid</c> or an enum). Setup builds a sorted vocabulary from the training
/// split with fastai's <c>#na#</c> slot at index 0. A value the training split never had encodes to 0 (<c>#na#</c>), as in
/// fastai's <c>Categorify</c>; with <c>strict: true</c> it is an error naming the item instead. A null or blank
/// (empty or white-space) string key is an error naming the item. New items at inference
/// (<see cref="DataLoaders{TItem}.TestDataLoader"/>) are strict unless <see cref="UnknownKeys.UseNa"/> is asked for.
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
    public IFieldCodec<T> Setup(FieldInfo field, IReadOnlyList<T> trainValues)
    {
        Vocab<T> vocab;
        try
        {
            vocab = Vocab<T>.FromValues(trainValues, hasNaSlot: true);
        }
        catch (DataBlocksException e)
        {
            throw new DataBlocksException($"{field.Member}: {e.Message}", e);
        }
        return new CategoricalCodec<T>(field, vocab, Strict);
    }
}

/// <summary>The set-up <see cref="CategoricalBlock{T}"/>.</summary>
/// <typeparam name="T">The key type.</typeparam>
public sealed class CategoricalCodec<T>(FieldInfo field, Vocab<T> vocab, bool strict) : IFieldCodec<T>, IKeyFieldCodec, IVocabCodec where T : notnull
{
    private string _unknownHint = "";

    /// <summary>The keys, index order; index 0 is <c>#na#</c>.</summary>
    public Vocab<T> Vocab { get; } = vocab;

    IReadOnlyList<string> IVocabCodec.Classes => Vocab;

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
        if (value is string text && string.IsNullOrWhiteSpace(text))
            throw new DataBlocksException($"{Field.Member} returned a blank key for item '{item}': a blank id is missing data, not a category.");
        if (Vocab.TryGetIndex(value, out int index)) return (long)index;
        if (Strict)
            throw new DataBlocksException($"'{value}' ({Field.Member}, item '{item}') was not seen in the training split.{_unknownHint}");
        return 0L;
    }

    /// <inheritdoc />
    public IFieldCodec ForNewItems(UnknownKeys unknownKeys) => new CategoricalCodec<T>(Field, Vocab, unknownKeys == UnknownKeys.Error)
    {
        _unknownHint = unknownKeys == UnknownKeys.Error
            ? " Pass unknownKeys: UnknownKeys.UseNa to map keys the model never saw to #na# (cold start)."
            : "",
    };

    /// <inheritdoc />
    public HostTensor Collate(IReadOnlyList<object> samples) => Collation.Longs(samples);

    /// <inheritdoc />
    public string Show(torch.Tensor row) => Vocab.Name(row.item<long>());

    /// <inheritdoc />
    public object CloneSample(object sample) => sample;
}
