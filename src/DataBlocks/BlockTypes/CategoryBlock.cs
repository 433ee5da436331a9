using System.Collections.Generic;
using System.Linq;
using System;
using DataBlocks.Data;
using DataBlocks.Losses;
using TorchSharp;

namespace DataBlocks.BlockTypes;

/// <summary>
/// One label per item (<c>string</c>, <c>bool</c>, <c>char</c>, an enum or an integer). Setup builds a sorted vocabulary from the training split;
/// encoding maps a label to its index, and a label the training split never had is an error naming the item.
/// fastai: <c>CategoryBlock(vocab=None, sort=True, add_na=False)</c> → <c>Categorize</c>; loss <c>CrossEntropyLossFlat</c>.
/// </summary>
/// <typeparam name="T">The label type.</typeparam>
public class CategoryBlock<T> : IBlock<T> where T : notnull
{
    private readonly IReadOnlyList<T>? _vocab;
    private readonly bool _sort;

    /// <summary>A block whose vocabulary is the sorted set of training labels.</summary>
    public CategoryBlock() : this(null) { }

    /// <summary>A block with a fixed vocabulary (sorted unless <paramref name="sort"/> is false), fastai's <c>vocab=</c>.</summary>
    public CategoryBlock(IReadOnlyList<T>? vocab, bool sort = true)
    {
        _vocab = vocab;
        _sort = sort;
    }

    /// <inheritdoc />
    public virtual string Name => "CategoryBlock";

    /// <inheritdoc />
    public IFieldCodec<T> Setup(FieldInfo field, IReadOnlyList<T> trainValues)
    {
        Vocab<T> vocab = _vocab is null ? Vocab<T>.FromValues(trainValues)
            : _sort ? Vocab<T>.FromValues(_vocab) : new Vocab<T>(_vocab);
        return new CategoryCodec<T>(field, vocab);
    }
}

/// <summary>The set-up <see cref="CategoryBlock{T}"/>: label ↔ index through <see cref="Vocab"/>.</summary>
/// <typeparam name="T">The label type.</typeparam>
public sealed class CategoryCodec<T>(FieldInfo field, Vocab<T> vocab) : IFieldCodec<T>, IVocabCodec where T : notnull
{
    /// <summary>The classes, index order.</summary>
    public Vocab<T> Vocab { get; } = vocab;

    IReadOnlyList<string> IVocabCodec.Classes => Vocab;

    /// <inheritdoc />
    public FieldInfo Field { get; } = field;

    /// <inheritdoc />
    public FieldKind Kind => FieldKind.Category;

    /// <inheritdoc />
    public bool EncodesEagerly => true;

    /// <inheritdoc />
    public int OutputCount => Vocab.Count;

    /// <inheritdoc />
    public ILossFunction? DefaultLoss => new CrossEntropyLossFlat();

    /// <inheritdoc />
    public object Encode(T value, string item)
    {
        if (value is null)
            throw new DataBlocksException($"{Field.Member} returned null for item '{item}'; a CategoryBlock needs a label.");
        if (Vocab.TryGetIndex(value, out int index)) return (long)index;
        throw new DataBlocksException(
            $"The label '{value}' of item '{item}' ({Field.Member}) is not in the vocabulary [{Vocab.Preview()}], which is built from the training split only. " +
            "Make sure every class has training items, or pass the vocabulary to the block.");
    }

    /// <summary>The label of a class index.</summary>
    public T Decode(long index) => Vocab.Decode(index);

    /// <inheritdoc />
    public HostTensor Collate(IReadOnlyList<object> samples) => Collation.Longs(samples);

    /// <inheritdoc />
    public string Show(torch.Tensor row) => Vocab.Name(row.item<long>());

    /// <inheritdoc />
    public object CloneSample(object sample) => sample;
}

internal static class Collation
{
    public static HostTensor Longs(IReadOnlyList<object> samples)
    {
        var host = HostTensor.Longs(samples.Count);
        var span = host.Span<long>();
        for (int i = 0; i < samples.Count; i++) span[i] = (long)samples[i];
        return host;
    }

    public static HostTensor FloatRows(IReadOnlyList<object> samples, string field, bool squeezeSingle)
    {
        int width = ((float[])samples[0]).Length;
        var host = squeezeSingle && width == 1 ? HostTensor.Floats(samples.Count) : HostTensor.Floats(samples.Count, width);
        var span = host.Span<float>();
        for (int i = 0; i < samples.Count; i++)
        {
            var row = (float[])samples[i];
            if (row.Length != width)
            {
                host.Dispose();
                throw new DataBlocksException($"{field}: items in one batch have {width} and {row.Length} values; every item needs the same number.");
            }
            row.AsSpan().CopyTo(span.Slice(i * width, width));
        }
        return host;
    }

    public static string ShowFloats(torch.Tensor row)
    {
        using var scope = torch.NewDisposeScope();
        return string.Join(", ", row.to(torch.float32).cpu().data<float>().ToArray().Select(v => v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
