using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using SkiaSharp;
using Xunit;

namespace DataBlocks.Tests;

public class ImageDecoderTests
{
    private static readonly SKColor Red = new(220, 30, 30), Blue = new(30, 60, 230);

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Webp)]
    public void Decodes_Common_Formats_To_Opaque_Rgba(SKEncodedImageFormat format)
    {
        using var bitmap = ImageDecoder.Decode(SyntheticImages.Encode(20, 10, Red, Blue, format, 100), "x");
        Assert.Equal((20, 10), (bitmap.Width, bitmap.Height));
        Assert.Equal(SKAlphaType.Opaque, bitmap.AlphaType);
        AssertNear(Red, bitmap.GetPixel(2, 5));
        AssertNear(Blue, bitmap.GetPixel(17, 5));
    }

    [Fact]
    public void Decodes_Bmp()
    {
        // SkiaSharp cannot encode BMP: write a 2x1 24-bit BMP by hand (rows bottom-up, BGR, padded to 4 bytes).
        byte[] pixels = [30, 30, 220, 230, 60, 30, 0, 0];
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.ASCII, leaveOpen: true))
        {
            w.Write((byte)'B'); w.Write((byte)'M'); w.Write(54 + pixels.Length); w.Write(0); w.Write(54);
            w.Write(40); w.Write(2); w.Write(1); w.Write((short)1); w.Write((short)24); w.Write(0); w.Write(pixels.Length);
            w.Write(2835); w.Write(2835); w.Write(0); w.Write(0);
            w.Write(pixels);
        }
        using var bitmap = ImageDecoder.Decode(ms.ToArray(), "x.bmp");
        AssertNear(Red, bitmap.GetPixel(0, 0));
        AssertNear(Blue, bitmap.GetPixel(1, 0));
    }

    [Fact]
    public void Decodes_The_First_Frame_Of_A_Gif_Through_Its_Palette()
    {
        // SkiaSharp cannot encode GIF: a 2×2 GIF89a by hand with a 4-colour global palette and two frames. The first
        // frame's pixels are palette indices 0 1 / 2 3; the second frame paints every pixel with index 3.
        // LZW with minimum code size 2 (clear = 4, end = 5), 3-bit codes packed from the low bit; a clear code before
        // each pixel keeps the code width at 3: frame 1 = 4,0,4,1,4,2,4,3,5 → 04 43 71 05; frame 2 = 4,3,4,3,4,3,4,3,5 → 1C C7 71 05.
        SKColor c0 = new(220, 30, 30), c1 = new(30, 60, 230), c2 = new(20, 200, 40), c3 = new(250, 240, 10);
        byte[] gif =
        [
            (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a',
            2, 0, 2, 0, 0x91, 0, 0,                                        // 2×2, global palette of 2^(1+1) colours, 2 bits/colour
            c0.Red, c0.Green, c0.Blue, c1.Red, c1.Green, c1.Blue, c2.Red, c2.Green, c2.Blue, c3.Red, c3.Green, c3.Blue,
            0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0,                                // frame 1 at (0, 0), 2×2, no local palette
            2, 4, 0x04, 0x43, 0x71, 0x05, 0,                               // LZW size 2; one 4-byte sub-block; end
            0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0,                                // frame 2
            2, 4, 0x1C, 0xC7, 0x71, 0x05, 0,
            0x3B,                                                          // trailer
        ];
        using var bitmap = ImageDecoder.Decode(gif, "x.gif");
        Assert.Equal((2, 2), (bitmap.Width, bitmap.Height));
        Assert.Equal(SKAlphaType.Opaque, bitmap.AlphaType);
        Assert.Equal(new[] { c0, c1, c2, c3 }, new[] { bitmap.GetPixel(0, 0), bitmap.GetPixel(1, 0), bitmap.GetPixel(0, 1), bitmap.GetPixel(1, 1) });

        using var dir = new TempDir();
        string path = dir.Combine("x.gif");
        File.WriteAllBytes(path, gif);
        Assert.Equal((2, 2), ImageDecoder.ReadSize(path));
        using var fromFile = ImageDecoder.Decode(path);
        Assert.Equal(c3, fromFile.GetPixel(1, 1));
        Assert.Equal(c0, fromFile.GetPixel(0, 0));
    }

    [Fact]
    public void Drops_Alpha_Keeping_The_Colour_Underneath()
    {
        using var source = new SKBitmap(new SKImageInfo(4, 4, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        source.Erase(new SKColor(10, 200, 30, 128));
        using var data = source.Encode(SKEncodedImageFormat.Png, 100);
        using var bitmap = ImageDecoder.Decode(data.ToArray(), "x.png");
        AssertNear(new SKColor(10, 200, 30), bitmap.GetPixel(1, 1));
    }

    private sealed record Expected(string mode, int[] left, int[] right);

    [Theory]
    [InlineData("cmyk.jpg")]
    [InlineData("grey.jpg")]
    public void Cmyk_And_Greyscale_Jpegs_Decode_To_The_Rgb_Pillow_Gives(string file)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Fixtures");
        var expected = JsonSerializer.Deserialize<System.Collections.Generic.Dictionary<string, Expected>>(
            File.ReadAllText(Path.Combine(dir, "images_expected.json")))![file];
        using var bitmap = ImageDecoder.Decode(Path.Combine(dir, file));
        AssertNear(new SKColor((byte)expected.left[0], (byte)expected.left[1], (byte)expected.left[2]), bitmap.GetPixel(2, 4), 12);
        AssertNear(new SKColor((byte)expected.right[0], (byte)expected.right[1], (byte)expected.right[2]), bitmap.GetPixel(13, 4), 12);
    }

    [Theory]
    [InlineData(1, 20, 10, 2, 5, 17, 5)]     // normal: red left, blue right
    [InlineData(3, 20, 10, 17, 5, 2, 5)]     // rotated 180°: red right
    [InlineData(6, 10, 20, 5, 2, 5, 17)]     // rotate 90° clockwise to view: red on top
    [InlineData(8, 10, 20, 5, 17, 5, 2)]     // rotate 90° counter-clockwise: red at the bottom
    [InlineData(2, 20, 10, 17, 5, 2, 5)]     // mirrored: red right
    public void Exif_Orientation_Is_Applied(ushort orientation, int width, int height, int redX, int redY, int blueX, int blueY)
    {
        byte[] jpeg = SyntheticImages.WithExifOrientation(SyntheticImages.Encode(20, 10, Red, Blue, SKEncodedImageFormat.Jpeg, 100), orientation);
        using var bitmap = ImageDecoder.Decode(jpeg, "rotated.jpg");
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        AssertNear(Red, bitmap.GetPixel(redX, redY), 25);
        AssertNear(Blue, bitmap.GetPixel(blueX, blueY), 25);
    }

    [Fact]
    public void ReadSize_Reports_The_Oriented_Size()
    {
        using var dir = new TempDir();
        string path = dir.Combine("r.jpg");
        File.WriteAllBytes(path, SyntheticImages.WithExifOrientation(SyntheticImages.Encode(20, 10, Red, Blue, SKEncodedImageFormat.Jpeg), 6));
        Assert.Equal((10, 20), ImageDecoder.ReadSize(path));
    }

    [Fact]
    public void Missing_Empty_Garbage_And_Truncated_Files_Are_Errors_Naming_The_File()
    {
        using var dir = new TempDir();
        (string Path, string Problem)[] cases =
        [
            (dir.Combine("missing.jpg"), "not found"),
            (SyntheticImages.WriteEmpty(dir.Combine("empty.jpg")), "empty"),
            (SyntheticImages.WriteGarbage(dir.Combine("garbage.png")), "Not a readable image"),
            (SyntheticImages.WriteTruncatedJpeg(dir.Combine("truncated.jpg")), "truncated"),
        ];
        foreach (var (path, problem) in cases)
        {
            var e = Assert.Throws<BadItemException>(() => ImageDecoder.Decode(path).Dispose());
            Assert.Equal(path, e.Path);
            Assert.Contains(path, e.Message);
            Assert.Contains(problem, e.Message);
        }
    }

    [Fact]
    public void ImageFiles_Finds_Images_Recursively_Sorted_And_Skips_Hidden_Ones()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("b"));
        Directory.CreateDirectory(dir.Combine(".hidden"));
        foreach (var f in new[] { "b/2.JPG", "a.png", "b/1.webp", ".hidden/x.png", "notes.txt", "b/.x.png" })
            File.WriteAllBytes(dir.Combine(f), [1]);
        var files = ImageFiles.Under(dir.Path).Select(f => Path.GetRelativePath(dir.Path, f).Replace('\\', '/')).ToArray();
        Assert.Equal(new[] { "a.png", "b/1.webp", "b/2.JPG" }, files);
        Assert.Throws<DataBlocksException>(() => ImageFiles.Under(dir.Combine("nope")));
    }

    internal static void AssertNear(SKColor expected, SKColor actual, int tolerance = 6)
    {
        Assert.True(Math.Abs(expected.Red - actual.Red) <= tolerance && Math.Abs(expected.Green - actual.Green) <= tolerance
                    && Math.Abs(expected.Blue - actual.Blue) <= tolerance, $"expected {expected}, got {actual}");
    }
}
