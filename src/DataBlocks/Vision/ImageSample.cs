using System;
using SkiaSharp;

namespace DataBlocks.Vision;

/// <summary>
/// A decoded image inside the loader: an opaque RGBA bitmap (alpha dropped, as fastai's <c>convert('RGB')</c>) plus
/// where it came from. Owned by one worker thread; disposed after collation.
/// </summary>
public sealed class ImageSample : IDisposable
{
    /// <summary>Wraps <paramref name="bitmap"/>; the sample takes ownership.</summary>
    public ImageSample(SKBitmap bitmap, string source)
    {
        Bitmap = bitmap;
        Source = source;
    }

    /// <summary>The pixels (RGBA 8888, opaque).</summary>
    public SKBitmap Bitmap { get; private set; }

    /// <summary>The file the image was read from.</summary>
    public string Source { get; }

    /// <summary>Width in pixels.</summary>
    public int Width => Bitmap.Width;

    /// <summary>Height in pixels.</summary>
    public int Height => Bitmap.Height;

    /// <summary>Replaces the pixels (disposing the old bitmap).</summary>
    public void Replace(SKBitmap bitmap)
    {
        if (ReferenceEquals(bitmap, Bitmap)) return;
        Bitmap.Dispose();
        Bitmap = bitmap;
    }

    /// <inheritdoc />
    public void Dispose() => Bitmap.Dispose();
}
