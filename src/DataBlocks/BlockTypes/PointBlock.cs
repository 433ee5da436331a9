using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System;
using DataBlocks.Data;
using DataBlocks.Losses;
using DataBlocks.Vision;
using TorchSharp;

namespace DataBlocks.BlockTypes;

/// <summary>
/// Keypoints in pixel coordinates of the item's image (x first). Before the item transforms run they are scaled to
/// [-1, 1] relative to the image (−1 = left/top edge, +1 = right/bottom edge), then moved with every crop or pad of
/// the image; batches are <c>float32 [B, N, 2]</c>. Points are not clamped. fastai: <c>PointBlock</c> with
/// <c>TensorPoint.create</c> and <c>PointScaler</c>; loss <c>MSELossFlat</c>.
/// </summary>
/// <typeparam name="TPoint">
/// The point type: <see cref="Vector2"/>, <c>System.Drawing.PointF</c>, <c>SkiaSharp.SKPoint</c>, or a tuple
/// <c>(float, float)</c>, <c>(double, double)</c>, <c>(int, int)</c>.
/// </typeparam>
public class PointBlock<TPoint> : IBlock<IEnumerable<TPoint>>
{
    private static readonly Func<TPoint, (float X, float Y)> ToXY = PointConversions.For<TPoint>();

    /// <inheritdoc />
    public virtual string Name => "PointBlock";

    /// <summary>The <see cref="PointScaler"/>: pixels → [-1, 1] by the item's image, before every other item transform.</summary>
    public IEnumerable<IItemTransform> ItemTransforms => [new PointScaler()];

    /// <inheritdoc />
    public IFieldCodec<IEnumerable<TPoint>> Setup(FieldInfo field, IReadOnlyList<IEnumerable<TPoint>> trainValues)
    {
        int count = trainValues.Count == 0 || trainValues[0] is null ? 0 : trainValues[0].Count();
        return new PointCodec<TPoint>(field, count, ToXY);
    }
}

/// <summary>The set-up <see cref="PointBlock{TPoint}"/>.</summary>
/// <typeparam name="TPoint">The point type.</typeparam>
public sealed class PointCodec<TPoint>(FieldInfo field, int count, Func<TPoint, (float X, float Y)> toXY) : IFieldCodec<IEnumerable<TPoint>>
{
    /// <summary>Points per item (all items need the same count).</summary>
    public int Count { get; } = count;

    /// <inheritdoc />
    public FieldInfo Field { get; } = field;

    /// <inheritdoc />
    public FieldKind Kind => FieldKind.Points;

    /// <inheritdoc />
    public bool EncodesEagerly => true;

    /// <inheritdoc />
    public int OutputCount => 2 * Count;

    /// <inheritdoc />
    public ILossFunction? DefaultLoss => new MSELossFlat();

    /// <inheritdoc />
    public object Encode(IEnumerable<TPoint> value, string item)
    {
        if (value is null)
            throw new DataBlocksException($"{Field.Member} returned null for item '{item}'.");
        var coords = new List<float>(2 * Count);
        foreach (TPoint p in value)
        {
            var (x, y) = toXY(p);
            if (!float.IsFinite(x) || !float.IsFinite(y))
                throw new DataBlocksException($"{Field.Member} returned a non-finite point ({x}, {y}) for item '{item}'.");
            coords.Add(x);
            coords.Add(y);
        }
        if (coords.Count != 2 * Count)
            throw new DataBlocksException($"{Field.Member} returned {coords.Count / 2} points for item '{item}', but the training split has {Count} per item.");
        return new PointsSample(coords.ToArray(), scaled: false);
    }

    /// <inheritdoc />
    public HostTensor Collate(IReadOnlyList<object> samples)
    {
        var host = HostTensor.Floats(samples.Count, Count, 2);
        var span = host.Span<float>();
        for (int i = 0; i < samples.Count; i++)
        {
            var s = (PointsSample)samples[i];
            if (!s.Scaled)
            {
                host.Dispose();
                throw new DataBlocksException($"{Field.Member}: points need an ImageBlock input to be scaled against; this DataBlock has none.");
            }
            s.Coordinates.AsSpan().CopyTo(span.Slice(i * 2 * Count, 2 * Count));
        }
        return host;
    }

    /// <inheritdoc />
    public string Show(torch.Tensor row) => $"{row.shape[0]} points";

    /// <inheritdoc />
    public object CloneSample(object sample)
    {
        var s = (PointsSample)sample;
        return new PointsSample((float[])s.Coordinates.Clone(), s.Scaled);
    }
}

internal static class PointConversions
{
    public static Func<TPoint, (float X, float Y)> For<TPoint>()
    {
        object f = typeof(TPoint) switch
        {
            var t when t == typeof(Vector2) => (Func<Vector2, (float, float)>)(p => (p.X, p.Y)),
            var t when t == typeof(System.Drawing.PointF) => (Func<System.Drawing.PointF, (float, float)>)(p => (p.X, p.Y)),
            var t when t == typeof(System.Drawing.Point) => (Func<System.Drawing.Point, (float, float)>)(p => (p.X, p.Y)),
            var t when t == typeof(SkiaSharp.SKPoint) => (Func<SkiaSharp.SKPoint, (float, float)>)(p => (p.X, p.Y)),
            var t when t == typeof(ValueTuple<float, float>) => (Func<(float, float), (float, float)>)(p => p),
            var t when t == typeof(ValueTuple<double, double>) => (Func<(double, double), (float, float)>)(p => ((float)p.Item1, (float)p.Item2)),
            var t when t == typeof(ValueTuple<int, int>) => (Func<(int, int), (float, float)>)(p => (p.Item1, p.Item2)),
            _ => throw new NotSupportedException(
                $"PointBlock cannot read points of type {typeof(TPoint).Name}; use Vector2, PointF, SKPoint or a (float, float) tuple."),
        };
        return (Func<TPoint, (float X, float Y)>)f;
    }

    public static string Format(float v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
