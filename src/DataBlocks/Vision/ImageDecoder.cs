using System;
using System.IO;
using SkiaSharp;

namespace DataBlocks.Vision;

/// <summary>
/// Reads image files with SkiaSharp: JPEG (RGB, greyscale and CMYK, all converted to RGB), PNG, BMP, WebP, GIF (first
/// frame). EXIF orientation is applied, so pixels come out the way viewers show them. Alpha is dropped.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes <paramref name="path"/> into an opaque RGBA bitmap the caller owns.</summary>
    /// <exception cref="BadItemException">Missing, empty, truncated, corrupt or unsupported file; the message names it.</exception>
    public static SKBitmap Decode(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e)
        {
            throw new BadItemException(path, "Image file not found", e);
        }
        catch (DirectoryNotFoundException e)
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
        return Decode(bytes, path);
    }

    /// <summary>Decodes encoded image bytes; <paramref name="source"/> names them in errors.</summary>
    /// <exception cref="BadItemException">Empty, truncated, corrupt or unsupported data.</exception>
    public static SKBitmap Decode(byte[] bytes, string source)
    {
        if (bytes.Length == 0) throw new BadItemException(source, "Image file is empty");
        // The codec takes ownership of the stream.
        var stream = new SKMemoryStream(bytes);
        using var codec = SKCodec.Create(stream, out SKCodecResult createResult);
        if (codec is null)
        {
            stream.Dispose();
            throw new BadItemException(source, createResult == SKCodecResult.IncompleteInput
                ? "Image file is truncated"
                : "Not a readable image (corrupt data or an unsupported format; DataBlocks reads JPEG, PNG, BMP, WebP and GIF)");
        }

        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        try
        {
            var result = codec.GetPixels(info, bitmap.GetPixels());
            if (result == SKCodecResult.IncompleteInput || result == SKCodecResult.ErrorInInput)
                throw new BadItemException(source, "Image file is truncated or damaged (the decoder ran out of data)");
            if (result != SKCodecResult.Success)
                throw new BadItemException(source, $"Image could not be decoded ({result})");
            DropAlpha(bitmap);
            var opaque = AsOpaque(bitmap);
            var oriented = Orient(opaque, codec.EncodedOrigin);
            if (!ReferenceEquals(oriented, opaque)) opaque.Dispose();
            return oriented;
        }
        finally
        {
            bitmap.Dispose();
        }
    }

    /// <summary>Reads only the header: the size the decoded (and EXIF-oriented) image will have.</summary>
    /// <exception cref="BadItemException">The file cannot be read as an image.</exception>
    public static (int Width, int Height) ReadSize(string path)
    {
        if (!File.Exists(path)) throw new BadItemException(path, "Image file not found");
        using var codec = SKCodec.Create(path) ?? throw new BadItemException(path, "Not a readable image");
        bool swap = codec.EncodedOrigin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop
            or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        return swap ? (codec.Info.Height, codec.Info.Width) : (codec.Info.Width, codec.Info.Height);
    }

    private static unsafe void DropAlpha(SKBitmap bitmap)
    {
        var pixels = new Span<uint>((void*)bitmap.GetPixels(), bitmap.Width * bitmap.Height);
        // RGBA bytes in memory = little-endian uint 0xAABBGGRR: set the alpha byte.
        for (int i = 0; i < pixels.Length; i++) pixels[i] |= 0xFF000000u;
    }

    private static SKBitmap AsOpaque(SKBitmap bitmap)
    {
        var info = new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var copy = new SKBitmap(info);
        unsafe
        {
            Buffer.MemoryCopy((void*)bitmap.GetPixels(), (void*)copy.GetPixels(), copy.ByteCount, bitmap.ByteCount);
        }
        return copy;
    }

    /// <summary>Applies an EXIF orientation: returns a new bitmap, or the same one for <c>TopLeft</c>.</summary>
    internal static unsafe SKBitmap Orient(SKBitmap src, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or SKEncodedOrigin.Default) return src;
        int w = src.Width, h = src.Height;
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
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
