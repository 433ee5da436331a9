using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System;
using DataBlocks.Data;
using DataBlocks.Losses;
using TorchSharp;

namespace DataBlocks.BlockTypes;

/// <summary>
/// A number to regress. Batches are <c>float32 [B]</c>. A NaN or infinite target is an error naming the item.
/// fastai: <c>RegressionBlock()</c>; loss <c>MSELossFlat</c>.
/// </summary>
/// <typeparam name="T">A number type (<c>float</c>, <c>double</c>, <c>int</c>, <c>decimal</c>...).</typeparam>
public class RegressionBlock<T> : IBlock<T> where T : INumberBase<T>
{
    /// <inheritdoc />
    public virtual string Name => "RegressionBlock";

    /// <inheritdoc />
    public IFieldCodec<T> Setup(FieldInfo field, IReadOnlyList<T> trainValues) =>
        new RegressionCodec<T>(field, width: 1, v => [Convert(v)], vector: false);

    internal static float Convert(T v) => float.CreateChecked(v);
}

/// <summary>
/// Several numbers to regress per item (every item the same count). Batches are <c>float32 [B, N]</c>.
/// fastai: <c>RegressionBlock(n_out=N)</c>.
/// </summary>
/// <typeparam name="T">A number type.</typeparam>
public class RegressionVectorBlock<T> : IBlock<IEnumerable<T>> where T : INumberBase<T>
{
    /// <inheritdoc />
    public virtual string Name => "RegressionBlock";

    /// <inheritdoc />
    public IFieldCodec<IEnumerable<T>> Setup(FieldInfo field, IReadOnlyList<IEnumerable<T>> trainValues)
    {
        int width = trainValues.Count == 0 || trainValues[0] is null ? 0 : trainValues[0].Count();
        return new RegressionCodec<IEnumerable<T>>(field, width, v => v.Select(RegressionBlock<T>.Convert).ToArray(), vector: true);
    }
}

/// <summary>The set-up regression block: numbers ↔ float rows (<c>[B]</c> for a scalar, <c>[B, N]</c> for a vector, even of one number).</summary>
/// <typeparam name="TValue">What the getter returns.</typeparam>
public sealed class RegressionCodec<TValue>(FieldInfo field, int width, Func<TValue, float[]> toFloats, bool vector) : IFieldCodec<TValue>
{
    /// <inheritdoc />
    public FieldInfo Field { get; } = field;

    /// <inheritdoc />
    public FieldKind Kind => FieldKind.Regression;

    /// <inheritdoc />
    public bool EncodesEagerly => true;

    /// <summary>Numbers per item.</summary>
    public int Width { get; } = width;

    /// <inheritdoc />
    public int OutputCount => Width;

    /// <inheritdoc />
    public ILossFunction? DefaultLoss => new MSELossFlat();

    /// <inheritdoc />
    public object Encode(TValue value, string item)
    {
        if (value is null)
            throw new DataBlocksException($"{Field.Member} returned null for item '{item}'; a RegressionBlock needs a number.");
        float[] row;
        try
        {
            row = toFloats(value);
        }
        catch (OverflowException e)
        {
            throw new DataBlocksException($"{Field.Member} returned {value} for item '{item}', which does not fit in a float32.", e);
        }
        if (row.Length != Width)
            throw new DataBlocksException($"{Field.Member} returned {row.Length} numbers for item '{item}', but the training split has {Width} per item.");
        foreach (float v in row)
            if (!float.IsFinite(v))
                throw new DataBlocksException($"{Field.Member} returned a non-finite target ({v}) for item '{item}'.");
        return row;
    }

    /// <inheritdoc />
    public HostTensor Collate(IReadOnlyList<object> samples) => Collation.FloatRows(samples, Field.Member, squeezeSingle: !vector);

    /// <inheritdoc />
    public string Show(torch.Tensor row) => Collation.ShowFloats(row);

    /// <inheritdoc />
    public object CloneSample(object sample) => sample;
}
