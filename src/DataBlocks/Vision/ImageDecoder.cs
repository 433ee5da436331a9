using System;
using System.IO;
using SkiaSharp;

namespace DataBlocks.Vision;

/// <summary>
/// Reads image files with SkiaSharp: JPEG (RGB, greyscale and CMYK, all converted to RGB), PNG, BMP, WebP, GIF (first
/// frame). EXIF orientation is applied, so pixels come out the way viewers show them. Alpha is dropped, keeping the
/// colour underneath (Pillow's <c>convert('RGB')</c>).
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes <paramref name="path"/> at full size into an opaque RGBA bitmap the caller owns.</summary>
    /// <exception cref="BadItemException">Missing, empty, truncated, corrupt or unsupported file; the message names it.</exception>
    public static SKBitmap Decode(string path)
    {
        using var image = EncodedImage.Open(path);
        return image.Decode();
    }

    /// <summary>Decodes encoded image bytes at full size; <paramref name="source"/> names them in errors.</summary>
    /// <exception cref="BadItemException">Empty, truncated, corrupt or unsupported data.</exception>
    public static SKBitmap Decode(byte[] bytes, string source)
    {
        using var image = EncodedImage.Open(bytes, source);
        return image.Decode();
    }

    /// <summary>Reads only the header: the size the decoded (and EXIF-oriented) image will have.</summary>
    /// <exception cref="BadItemException">The file cannot be read as an image.</exception>
    public static (int Width, int Height) ReadSize(string path)
    {
        using var image = EncodedImage.Open(path);
        return (image.Width, image.Height);
    }

    /// <summary>Applies an EXIF orientation: returns a new bitmap, or the same one for <c>TopLeft</c>.</summary>
    internal static unsafe SKBitmap Orient(SKBitmap src, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or SKEncodedOrigin.Default) return src;
        int w = src.Width, h = src.Height;
        bool swap = EncodedImage.Swaps(origin);
        int ow = swap ? h : w, oh = swap ? w : h;
        var dst = new SKBitmap(new SKImageInfo(ow, oh, SKColorType.Rgba8888, SKAlphaType.Opaque));
        uint* s = (uint*)src.GetPixels();
        uint* d = (uint*)dst.GetPixels();
        for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
        {
            (int sx, int sy) = origin switch
            {
                SKEncodedOrigin.TopRight => (w - 1 - x, y),            // mirrored horizontally
                SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y), // rotated 180°
                SKEncodedOrigin.BottomLeft => (x, h - 1 - y),          // mirrored vertically
                SKEncodedOrigin.LeftTop => (y, x),                     // transposed
                SKEncodedOrigin.RightTop => (y, h - 1 - x),            // needs 90° clockwise
                SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x), // transversed
                SKEncodedOrigin.LeftBottom => (w - 1 - y, x),          // needs 90° counter-clockwise
                _ => (x, y),
            };
            d[y * ow + x] = s[sy * w + sx];
        }
        return dst;
    }
}

/// <summary>
/// An image file whose header has been read but whose pixels have not: its size is known, and it can be decoded at
/// full size or — for JPEG and WebP, which decode natively at reduced scales — at the smallest scale that still
/// gives a transform the pixels it needs (a photo of 4000×3000 cropped to 224×224 decodes at 1/8 scale).
/// </summary>
public sealed class EncodedImage : IDisposable
{
    private readonly SKCodec _codec;

    private EncodedImage(SKCodec codec, string source)
    {
        _codec = codec;
        Source = source;
        bool swap = Swaps(codec.EncodedOrigin);
        Width = swap ? codec.Info.Height : codec.Info.Width;
        Height = swap ? codec.Info.Width : codec.Info.Height;
    }

    /// <summary>Where the image came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The full-size width, after EXIF orientation.</summary>
    public int Width { get; }

    /// <summary>The full-size height, after EXIF orientation.</summary>
    public int Height { get; }

    /// <summary>Opens a file and reads its header.</summary>
    /// <exception cref="BadItemException">Missing, unreadable, empty, corrupt or unsupported file.</exception>
    public static EncodedImage Open(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BadItemException(path, "Image file not found", e);
        }
        catch (IOException e)
        {
            throw new BadItemException(path, $"Image file could not be read ({e.Message})", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BadItemException(path, "Image file could not be read (access denied)", e);
        }
        return Open(bytes, path);
    }

    /// <summary>Reads the header of encoded bytes; <paramref name="source"/> names them in errors.</summary>
    /// <exception cref="BadItemException">Empty, corrupt or unsupported data.</exception>
    public static EncodedImage Open(byte[] bytes, string source)
    {
        if (bytes.Length == 0) throw new BadItemException(source, "Image file is empty");
        var stream = new SKMemoryStream(bytes);   // the codec takes ownership of the stream
        var codec = SKCodec.Create(stream, out SKCodecResult result);
        if (codec is null)
        {
            stream.Dispose();
            throw new BadItemException(source, result == SKCodecResult.IncompleteInput
                ? "Image file is truncated"
                : "Not a readable image (corrupt data or an unsupported format; DataBlocks reads JPEG, PNG, BMP, WebP and GIF)");
        }
        return new EncodedImage(codec, source);
    }

    /// <summary>
    /// Decodes into an opaque RGBA bitmap the caller owns, at the smallest scale the format supports that is at least
    /// <paramref name="minScale"/> of the full size in both directions (1 = full size).
    /// </summary>
    /// <exception cref="BadItemException">Truncated or damaged data.</exception>
    public SKBitmap Decode(double minScale = 1.0)
    {
        var size = _codec.Info.Size;
        if (minScale < 1.0)
        {
            // Candidate scales from the smallest up; the codec rounds to what it supports (JPEG: n/8).
            for (int n = 1; n < 8; n++)
            {
                var scaled = _codec.GetScaledDimensions(n / 8f);
                if (scaled.Width >= Math.Ceiling(minScale * _codec.Info.Width) && scaled.Height >= Math.Ceiling(minScale * _codec.Info.Height)
                    && scaled.Width < size.Width)
                {
                    size = scaled;
                    break;
                }
            }
        }

        bool hasAlpha = _codec.Info.AlphaType != SKAlphaType.Opaque;
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, hasAlpha ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
        var bitmap = new SKBitmap(info);
        try
        {
            var result = _codec.GetPixels(info, bitmap.GetPixels());
            if (result == SKCodecResult.IncompleteInput || result == SKCodecResult.ErrorInInput)
                throw new BadItemException(Source, "Image file is truncated or damaged (the decoder ran out of data)");
            if (result == SKCodecResult.InvalidScale && size != _codec.Info.Size)
            {
                bitmap.Dispose();
                bitmap = null!;
                return Decode(1.0);
            }
            if (result != SKCodecResult.Success)
                throw new BadItemException(Source, $"Image could not be decoded ({result})");
            var opaque = bitmap;
            if (hasAlpha)
            {
                DropAlpha(bitmap);
                opaque = AsOpaque(bitmap);
            }
            var oriented = ImageDecoder.Orient(opaque, _codec.EncodedOrigin);
            if (!ReferenceEquals(opaque, bitmap) && !ReferenceEquals(oriented, opaque)) opaque.Dispose();
            if (!ReferenceEquals(oriented, bitmap)) bitmap.Dispose();
            return oriented;
        }
        catch
        {
            bitmap?.Dispose();
            throw;
        }
    }

    /// <summary>Releases the codec and the encoded bytes.</summary>
    public void Dispose() => _codec.Dispose();

    internal static bool Swaps(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    private static unsafe void DropAlpha(SKBitmap bitmap)
    {
        var pixels = new Span<uint>((void*)bitmap.GetPixels(), bitmap.Width * bitmap.Height);
        // RGBA bytes in memory = little-endian uint 0xAABBGGRR: set the alpha byte.
        for (int i = 0; i < pixels.Length; i++) pixels[i] |= 0xFF000000u;
    }

    private static SKBitmap AsOpaque(SKBitmap bitmap)
    {
        var copy = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        unsafe
        {
            Buffer.MemoryCopy((void*)bitmap.GetPixels(), (void*)copy.GetPixels(), copy.ByteCount, bitmap.ByteCount);
        }
        return copy;
    }
}
