using System;
using DataBlocks.Data;
using SkiaSharp;

namespace DataBlocks.Vision;

/// <summary>How <see cref="Resize"/> fits an image to the target shape. fastai: <c>ResizeMethod</c>.</summary>
public enum ResizeMethod
{
    /// <summary>Cut the largest window of the target aspect ratio out of the image (random position on training, centred on validation).</summary>
    Crop,

    /// <summary>Pad the image to the target aspect ratio (random placement on training, centred on validation).</summary>
    Pad,

    /// <summary>Stretch the whole image to the target shape.</summary>
    Squish,
}

/// <summary>What fills the padding of <see cref="ResizeMethod.Pad"/>. fastai: <c>PadMode</c>.</summary>
public enum PadMode
{
    /// <summary>Black.</summary>
    Zeros,

    /// <summary>Edge pixels repeated.</summary>
    Border,

    /// <summary>The image mirrored at its edges.</summary>
    Reflection,
}

/// <summary>
/// Resizes every image of an item to <see cref="Height"/>×<see cref="Width"/>, moving keypoints with it. Order 1.
/// fastai: <c>Resize(size, method='crop', pad_mode='reflection')</c> — same window arithmetic (<c>int(m·W)</c>,
/// <c>left = int(px·(w − cw))</c>), bilinear resampling.
/// </summary>
public sealed class Resize : IItemTransform
{
    /// <summary>Resize to a square of <paramref name="size"/> pixels.</summary>
    public Resize(int size, ResizeMethod method = ResizeMethod.Crop, PadMode padMode = PadMode.Reflection)
        : this(size, size, method, padMode) { }

    /// <summary>Resize to <paramref name="height"/>×<paramref name="width"/> (fastai's tuple order).</summary>
    public Resize(int height, int width, ResizeMethod method = ResizeMethod.Crop, PadMode padMode = PadMode.Reflection)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        Height = height;
        Width = width;
        Method = method;
        PadMode = padMode;
    }

    /// <summary>Target height.</summary>
    public int Height { get; }

    /// <summary>Target width.</summary>
    public int Width { get; }

    /// <summary>How the aspect ratio is matched.</summary>
    public ResizeMethod Method { get; }

    /// <summary>What fills padding.</summary>
    public PadMode PadMode { get; }

    /// <inheritdoc />
    public int Order => 1;

    /// <inheritdoc />
    public string Name => $"Resize({Height}x{Width}, {Method}{(Method == ResizeMethod.Pad ? ", " + PadMode : "")})";

    /// <inheritdoc />
    public void Apply(Sample sample, ItemContext context)
    {
        // One window per item: every image of the item (and its points) gets the same crop.
        double px = context.IsTraining ? context.Random.NextDouble() : 0.5;
        double py = context.IsTraining ? context.Random.NextDouble() : 0.5;
        (int w, int h)? size = null;
        (int l, int t, int cw, int ch) window = default;
        foreach (object field in sample.Fields)
        {
            if (field is not ImageSample image) continue;
            int w = image.Width, h = image.Height;   // the full size, read from the header
            if (size != (w, h))
            {
                size = (w, h);
                window = Window(w, h, px, py);
            }
            // Decode no larger than the window needs (JPEG decodes natively at n/8 scales): a 4000×3000 photo cropped
            // to 224×224 decodes at 1/8 scale. Then map the window onto the decoded pixels.
            image.Decode(Math.Min(1.0, Math.Max((double)Width / window.cw, (double)Height / window.ch)));
            var bitmap = image.Bitmap;
            double sx = (double)bitmap.Width / w, sy = (double)bitmap.Height / h;
            image.Replace(ImageOps.Draw(bitmap, window.l * sx, window.t * sy, window.cw * sx, window.ch * sy, Width, Height, TileMode));
        }
        if (size is not { } s) return;
        foreach (object field in sample.Fields)
        {
            if (field is not PointsSample { Scaled: true } points) continue;
            var c = points.Coordinates;
            for (int i = 0; i < c.Length; i += 2)
            {
                c[i] = (c[i] + 1f) * s.w / window.cw - window.l * 2f / window.cw - 1f;
                c[i + 1] = (c[i + 1] + 1f) * s.h / window.ch - window.t * 2f / window.ch - 1f;
            }
        }
    }

    /// <summary>The source window (left, top, width, height) for an image of <paramref name="w"/>×<paramref name="h"/>.</summary>
    internal (int Left, int Top, int Width, int Height) Window(int w, int h, double px, double py)
    {
        if (Method == ResizeMethod.Squish) return (0, 0, w, h);
        double m = Method == ResizeMethod.Crop
            ? Math.Min((double)w / Width, (double)h / Height)
            : Math.Max((double)w / Width, (double)h / Height);
        int cw = Math.Max(1, (int)(m * Width)), ch = Math.Max(1, (int)(m * Height));
        return ((int)(px * (w - cw)), (int)(py * (h - ch)), cw, ch);
    }

    private SKShaderTileMode TileMode => PadMode switch
    {
        PadMode.Zeros => SKShaderTileMode.Decal,
        PadMode.Border => SKShaderTileMode.Clamp,
        _ => SKShaderTileMode.Mirror,
    };
}
