using System;
using System.Collections.Generic;
using System.IO;
using SkiaSharp;

namespace DataBlocks.TestKit;

/// <summary>Small images made in the test: solid colours, gradients, EXIF-rotated JPEGs and damaged files.</summary>
public static class SyntheticImages
{
    /// <summary>Writes a <paramref name="width"/>×<paramref name="height"/> image whose left half is <paramref name="left"/> and right half <paramref name="right"/>.</summary>
    public static string Write(string path, int width, int height, SKColor left, SKColor? right = null,
        SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 95)
    {
        File.WriteAllBytes(path, Encode(width, height, left, right ?? left, format, quality));
        return path;
    }

    /// <summary>Encodes a two-colour image.</summary>
    public static byte[] Encode(int width, int height, SKColor left, SKColor right, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 95)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(right);
            using var paint = new SKPaint { Color = left };
            canvas.DrawRect(0, 0, width / 2f, height, paint);
        }
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>A gradient image whose pixel (x, y) is (x·255/(w−1), y·255/(h−1), 128): handy to check crops.</summary>
    public static string WriteGradient(string path, int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            bitmap.SetPixel(x, y, new SKColor((byte)(x * 255 / Math.Max(1, width - 1)), (byte)(y * 255 / Math.Max(1, height - 1)), 128));
        using var data = bitmap.Encode(format, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    /// <summary>
    /// Inserts an EXIF APP1 segment with the given orientation tag (1–8) right after the JPEG's SOI marker.
    /// SkiaSharp cannot write EXIF, so the segment is built by hand: "Exif\0\0", a little-endian TIFF header and one IFD
    /// entry (tag 0x0112, SHORT, count 1).
    /// </summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        if (jpeg.Length < 2 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) throw new ArgumentException("Not a JPEG.", nameof(jpeg));
        var tiff = new List<byte>();
        tiff.AddRange("II"u8.ToArray());
        tiff.AddRange(BitConverter.GetBytes((ushort)42));
        tiff.AddRange(BitConverter.GetBytes(8u));             // offset of IFD0
        tiff.AddRange(BitConverter.GetBytes((ushort)1));      // one entry
        tiff.AddRange(BitConverter.GetBytes((ushort)0x0112)); // Orientation
        tiff.AddRange(BitConverter.GetBytes((ushort)3));      // SHORT
        tiff.AddRange(BitConverter.GetBytes(1u));             // count
        tiff.AddRange(BitConverter.GetBytes(orientation));    // value (left-justified in 4 bytes)
        tiff.AddRange(new byte[2]);
        tiff.AddRange(BitConverter.GetBytes(0u));             // no next IFD
        var payload = new List<byte>();
        payload.AddRange("Exif\0\0"u8.ToArray());
        payload.AddRange(tiff);
        int length = payload.Count + 2;
        var result = new List<byte> { 0xFF, 0xD8, 0xFF, 0xE1, (byte)(length >> 8), (byte)(length & 0xFF) };
        result.AddRange(payload);
        result.AddRange(jpeg[2..]);
        return result.ToArray();
    }

    /// <summary>An empty file.</summary>
    public static string WriteEmpty(string path)
    {
        File.WriteAllBytes(path, []);
        return path;
    }

    /// <summary>A file of random bytes with an image extension.</summary>
    public static string WriteGarbage(string path, int length = 500, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A valid JPEG cut to <paramref name="fraction"/> of its length.</summary>
    public static string WriteTruncatedJpeg(string path, int width = 64, int height = 64, double fraction = 0.4)
    {
        var full = EncodeNoise(width, height, SKEncodedImageFormat.Jpeg);
        File.WriteAllBytes(path, full[..(int)(full.Length * fraction)]);
        return path;
    }

    /// <summary>Random-noise pixels (hard to compress, so truncation always cuts image data).</summary>
    public static byte[] EncodeNoise(int width, int height, SKEncodedImageFormat format, int seed = 3)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }
}
