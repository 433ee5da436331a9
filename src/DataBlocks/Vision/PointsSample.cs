using DataBlocks.Data;

namespace DataBlocks.Vision;

/// <summary>Keypoints of one item inside the loader: x,y pairs, in pixels until scaled, then in [-1, 1].</summary>
public sealed class PointsSample(float[] coordinates, bool scaled)
{
    /// <summary>x0, y0, x1, y1, ...</summary>
    public float[] Coordinates { get; } = coordinates;

    /// <summary>Whether the coordinates are already in [-1, 1] (after <see cref="PointScaling"/>).</summary>
    public bool Scaled { get; set; } = scaled;

    /// <summary>The number of points.</summary>
    public int Count => Coordinates.Length / 2;
}

/// <summary>
/// The default item transform of <see cref="BlockTypes.PointBlock{TPoint}"/> (fastai: <c>PointScaler</c>): scales the
/// item's points from pixels to [-1, 1] by the size of its first image (<see cref="PointScaling.Apply"/>), before every
/// other item transform (order <see cref="int.MinValue"/>), so crops and pads move scaled points.
/// </summary>
public sealed class PointScaler : IItemTransform
{
    /// <inheritdoc />
    public int Order => int.MinValue;

    /// <inheritdoc />
    public string Name => "PointScaler";

    /// <inheritdoc />
    public void Apply(Sample sample, ItemContext context) => PointScaling.Apply(sample);
}

/// <summary>fastai's <c>PointScaler</c>: pixel coordinates → [-1, 1] relative to the item's first image.</summary>
public static class PointScaling
{
    /// <summary>Scales every unscaled points field of <paramref name="sample"/> by the size of its first image.</summary>
    public static void Apply(Sample sample)
    {
        ImageSample? image = null;
        foreach (object f in sample.Fields)
            if (f is ImageSample img) { image = img; break; }
        if (image is null) return;
        foreach (object f in sample.Fields)
        {
            if (f is not PointsSample { Scaled: false } points) continue;
            var c = points.Coordinates;
            for (int i = 0; i < c.Length; i += 2)
            {
                c[i] = c[i] * 2f / image.Width - 1f;
                c[i + 1] = c[i + 1] * 2f / image.Height - 1f;
            }
            points.Scaled = true;
        }
    }

    /// <summary>[-1, 1] coordinates → pixels of an image of the given size (fastai's decode).</summary>
    public static (float X, float Y) ToPixels(float x, float y, int width, int height) =>
        ((x + 1f) * width / 2f, (y + 1f) * height / 2f);
}
