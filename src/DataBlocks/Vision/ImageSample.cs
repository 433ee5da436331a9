using System;
using SkiaSharp;

namespace DataBlocks.Vision;

/// <summary>
/// An image inside the loader. It starts as an <see cref="EncodedImage"/> (header read, size known) and is decoded
/// when a transform first needs its pixels: <see cref="Resize"/> asks for just the scale it needs, everything else for
/// the full size. Decoded pixels are an opaque RGBA bitmap. Owned by one worker thread; disposed after collation.
/// </summary>
public sealed class ImageSample : IDisposable
{
    private EncodedImage? _encoded;
    private SKBitmap? _bitmap;

    /// <summary>Wraps decoded pixels; the sample takes ownership.</summary>
    public ImageSample(SKBitmap bitmap, string source)
    {
        _bitmap = bitmap;
        Source = source;
    }

    /// <summary>Wraps an image not decoded yet; the sample takes ownership.</summary>
    public ImageSample(EncodedImage encoded)
    {
        _encoded = encoded;
        Source = encoded.Source;
    }

    /// <summary>The pixels (RGBA 8888, opaque), decoded at full size on first use if no transform decoded them smaller.</summary>
    public SKBitmap Bitmap
    {
        get
        {
            if (_bitmap is null) Decode(1.0);
            return _bitmap!;
        }
    }

    /// <summary>The file the image was read from.</summary>
    public string Source { get; }

    /// <summary>The current width: full size until decoded, then the bitmap's.</summary>
    public int Width => _bitmap?.Width ?? _encoded!.Width;

    /// <summary>The current height: full size until decoded, then the bitmap's.</summary>
    public int Height => _bitmap?.Height ?? _encoded!.Height;

    /// <summary>
    /// Decodes the pixels, if they are not yet, at no less than <paramref name="minScale"/> of the current size (JPEGs
    /// decode natively at n/8 scales; the bitmap's size says which was used).
    /// </summary>
    public void Decode(double minScale)
    {
        if (_bitmap is not null) return;
        _bitmap = _encoded!.Decode(Math.Clamp(minScale, 0, 1));
        _encoded.Dispose();
        _encoded = null;
    }

    /// <summary>Replaces the pixels (disposing the old ones).</summary>
    public void Replace(SKBitmap bitmap)
    {
        if (ReferenceEquals(bitmap, _bitmap)) return;
        _bitmap?.Dispose();
        _encoded?.Dispose();
        _encoded = null;
        _bitmap = bitmap;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _bitmap?.Dispose();
        _encoded?.Dispose();
    }
}
