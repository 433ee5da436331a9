using System.Collections.Generic;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Losses;
using TorchSharp;

namespace DataBlocks.BlockTypes;

/// <summary>
/// Any number of labels per item (a sequence of strings, enums or integers). Setup builds the sorted union of the
/// training label sets; encoding gives a float one-hot vector (an empty set is all zeros).
/// fastai: <c>MultiCategoryBlock()</c> → <c>MultiCategorize</c> + <c>OneHotEncode</c>; loss <c>BCEWithLogitsLossFlat</c>.
/// </summary>
/// <typeparam name="T">The label type.</typeparam>
public class MultiCategoryBlock<T> : IBlock<IEnumerable<T>> where T : notnull
{
    private readonly IReadOnlyList<T>? _vocab;

    /// <summary>A block whose vocabulary is every label of the training split, sorted.</summary>
    public MultiCategoryBlock() : this(null) { }

    /// <summary>A block with a fixed vocabulary, kept in the given order (fastai keeps a supplied vocab unsorted).</summary>
    public MultiCategoryBlock(IReadOnlyList<T>? vocab) => _vocab = vocab;

    /// <inheritdoc />
    public virtual string Name => "MultiCategoryBlock";

    /// <inheritdoc />
    public IFieldCodec<IEnumerable<T>> Setup(FieldInfo field, IReadOnlyList<IEnumerable<T>> trainValues)
    {
        var vocab = _vocab is null
            ? Vocab<T>.FromValues(trainValues.Where(v => v is not null).SelectMany(v => v))
            : new Vocab<T>(_vocab);
        return new MultiCategoryCodec<T>(field, vocab);
    }
}

/// <summary>The set-up <see cref="MultiCategoryBlock{T}"/>: label sets ↔ one-hot vectors.</summary>
/// <typeparam name="T">The label type.</typeparam>
public sealed class MultiCategoryCodec<T>(FieldInfo field, Vocab<T> vocab, double threshold = 0.5) : IFieldCodec<IEnumerable<T>>, IVocabCodec where T : notnull
{
    /// <summary>The labels, index order.</summary>
    public Vocab<T> Vocab { get; } = vocab;

    IReadOnlyList<string> IVocabCodec.Classes => Vocab;

    /// <summary>Probability above which a label is shown as predicted.</summary>
    public double Threshold { get; } = threshold;

    /// <inheritdoc />
    public FieldInfo Field { get; } = field;

    /// <inheritdoc />
    public FieldKind Kind => FieldKind.MultiCategory;

    /// <inheritdoc />
    public bool EncodesEagerly => true;

    /// <inheritdoc />
    public int OutputCount => Vocab.Count;

    /// <inheritdoc />
    public ILossFunction? DefaultLoss => new BCEWithLogitsLossFlat(Threshold);

    /// <inheritdoc />
    public object Encode(IEnumerable<T> value, string item)
    {
        if (value is null)
            throw new DataBlocksException($"{Field.Member} returned null for item '{item}'; return an empty sequence for an item without labels.");
        var oneHot = new float[Vocab.Count];
        foreach (T label in value)
        {
            if (label is null || !Vocab.TryGetIndex(label, out int i))
                throw new DataBlocksException(
                    $"The label '{label}' of item '{item}' ({Field.Member}) is not in the vocabulary [{Vocab.Preview()}], which is built from the training split only.");
            oneHot[i] = 1f;
        }
        return oneHot;
    }

    /// <summary>The labels whose slot is above <see cref="Threshold"/>.</summary>
    public IReadOnlyList<T> Decode(IReadOnlyList<float> row)
    {
        var labels = new List<T>();
        for (int i = 0; i < row.Count; i++)
            if (row[i] > Threshold) labels.Add(Vocab.Decode(i));
        return labels;
    }

    /// <inheritdoc />
    public HostTensor Collate(IReadOnlyList<object> samples) => Collation.FloatRows(samples, Field.Member, squeezeSingle: false);

    /// <inheritdoc />
    public string Show(torch.Tensor row)
    {
        using var scope = torch.NewDisposeScope();
        return string.Join(";", Decode(row.to(torch.float32).cpu().data<float>().ToArray()).Select(l => l.ToString()));
    }

    /// <inheritdoc />
    public object CloneSample(object sample) => sample;
}
