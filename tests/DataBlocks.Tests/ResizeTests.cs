using System;
using DataBlocks.BlockTypes;
using DataBlocks.Data;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using SkiaSharp;
using Xunit;

namespace DataBlocks.Tests;

public class ResizeTests
{
    [Theory]
    [InlineData(ResizeMethod.Crop, 500, 374, 0.5, 0.5, 63, 0, 374, 374)]      // m = min(500/224, 374/224)
    [InlineData(ResizeMethod.Crop, 500, 374, 0.0, 0.9, 0, 0, 374, 374)]
    [InlineData(ResizeMethod.Pad, 500, 374, 0.5, 0.5, 0, -63, 500, 500)]      // m = max(...): pad vertically, centred
    [InlineData(ResizeMethod.Squish, 500, 374, 0.3, 0.3, 0, 0, 500, 374)]
    public void Window_Follows_Fastai_Arithmetic(ResizeMethod method, int w, int h, double px, double py, int left, int top, int cw, int ch) =>
        Assert.Equal((left, top, cw, ch), new Resize(224, method).Window(w, h, px, py));

    [Fact]
    public void Validation_Crop_Is_Centred_And_Deterministic()
    {
        using var dir = new TempDir();
        string path = SyntheticImages.WriteGradient(dir.Combine("g.png"), 40, 20);
        using var a = Apply(new Resize(10), path, training: false, seed: 1);
        using var b = Apply(new Resize(10), path, training: false, seed: 2);
        Assert.Equal((10, 10), (a.Width, a.Height));
        Assert.Equal(a.Bitmap.GetPixel(5, 5), b.Bitmap.GetPixel(5, 5));
        // The centred 20x20 window of a 40-wide gradient starts at x = 10: red ≈ (10 + 20·x/10)·255/39.
        Assert.InRange(a.Bitmap.GetPixel(0, 5).Red, 60, 80);
    }

    [Fact]
    public void Training_Crop_Position_Is_Random()
    {
        using var dir = new TempDir();
        string path = SyntheticImages.WriteGradient(dir.Combine("g.png"), 60, 20);
        var reds = new System.Collections.Generic.HashSet<byte>();
        for (int seed = 0; seed < 8; seed++)
        {
            using var s = Apply(new Resize(10), path, training: true, seed: seed);
            reds.Add(s.Bitmap.GetPixel(0, 5).Red);
        }
        Assert.True(reds.Count > 3, "random crops should start at different places");
    }

    [Fact]
    public void Points_Move_With_The_Crop()
    {
        // A 40x20 image cropped to its centred 20x20 window: x = 20 px (centre) stays at 0, x = 10 px (window's left edge) → -1.
        var image = new ImageSample(new SKBitmap(new SKImageInfo(40, 20, SKColorType.Rgba8888, SKAlphaType.Opaque)), "x");
        var points = new PointsSample([20f, 10f, 10f, 0f], scaled: false);
        var codecs = new IFieldCodec[] { new ImageCodec(Field()), new PointCodec<(float, float)>(Field(), 2, p => p) };
        using var sample = new Sample(0, "x", [image, points], codecs);
        PointScaling.Apply(sample);
        new Resize(10).Apply(sample, new ItemContext(false, new Random(0)));
        Assert.Equal(new[] { 0f, 0f, -1f, -1f }, points.Coordinates, new FloatComparer(1e-5f));
    }

    [Fact]
    public void Pad_Modes_Fill_Outside_The_Image()
    {
        using var dir = new TempDir();
        string path = SyntheticImages.Write(dir.Combine("w.png"), 20, 10, SKColors.White);
        using var zeros = Apply(new Resize(20, ResizeMethod.Pad, PadMode.Zeros), path, false, 0);
        using var border = Apply(new Resize(20, ResizeMethod.Pad, PadMode.Border), path, false, 0);
        Assert.Equal(SKColors.Black, zeros.Bitmap.GetPixel(10, 1));
        Assert.Equal(SKColors.White, border.Bitmap.GetPixel(10, 1));
        Assert.Equal(SKColors.White, zeros.Bitmap.GetPixel(10, 10));
    }

    [Fact]
    public void Strong_Downscaling_Averages_Instead_Of_Aliasing()
    {
        // A 1-pixel checkerboard shrunk 16x must come out mid-grey, not black or white.
        var bitmap = new SKBitmap(new SKImageInfo(160, 160, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < 160; y++)
        for (int x = 0; x < 160; x++)
            bitmap.SetPixel(x, y, (x + y) % 2 == 0 ? SKColors.White : SKColors.Black);
        var image = new ImageSample(bitmap, "checker");
        using var sample = new Sample(0, "checker", [image], [new ImageCodec(Field())]);
        new Resize(10).Apply(sample, new ItemContext(false, new Random(0)));
        Assert.InRange((int)image.Bitmap.GetPixel(5, 5).Red, 100, 155);
    }

    [Fact]
    public void Jpegs_Decode_At_The_Smallest_Scale_The_Crop_Needs()
    {
        using var dir = new TempDir();
        string path = SyntheticImages.WriteGradient(dir.Combine("big.jpg"), 800, 400, SKEncodedImageFormat.Jpeg);
        using (var encoded = EncodedImage.Open(path))
        using (var bitmap = encoded.Decode(minScale: 0.3))
            Assert.Equal((300, 150), (bitmap.Width, bitmap.Height));   // 3/8 is the smallest n/8 ≥ 0.3

        // Resize(100) crops a 400×400 window: decoding at 2/8 gives it exactly, and the result matches a full decode.
        using var scaled = Apply(new Resize(100), path, training: false, seed: 0);
        var full = new ImageSample(ImageDecoder.Decode(path), path);
        using (var sample = new Sample(0, path, [full], [new ImageCodec(Field())]))
        {
            new Resize(100).Apply(sample, new ItemContext(false, new Random(0)));
            double diff = 0;
            for (int y = 0; y < 100; y += 3)
            for (int x = 0; x < 100; x += 3)
                diff += Math.Abs(full.Bitmap.GetPixel(x, y).Red - scaled.Bitmap.GetPixel(x, y).Red);
            Assert.True(diff / (34 * 34) < 4, $"mean difference {diff / (34 * 34):F1} levels");
        }
    }

    [Fact]
    public void Png_Without_Native_Scaling_Decodes_In_Full_And_Still_Resizes()
    {
        using var dir = new TempDir();
        string path = SyntheticImages.WriteGradient(dir.Combine("big.png"), 400, 200);
        using var encoded = EncodedImage.Open(path);
        using (var bitmap = encoded.Decode(minScale: 0.25)) Assert.Equal((400, 200), (bitmap.Width, bitmap.Height));
        using var resized = Apply(new Resize(50), path, training: false, seed: 0);
        Assert.Equal((50, 50), (resized.Width, resized.Height));
    }

    private static ImageSample Apply(Resize resize, string path, bool training, int seed)
    {
        var image = new ImageSample(EncodedImage.Open(path));
        var sample = new Sample(0, path, [image], [new ImageCodec(Field())]);
        resize.Apply(sample, new ItemContext(training, new Random(seed)));
        return image;
    }

    private static FieldInfo Field() => new("f", "T.f", true, "T");

    internal sealed class FloatComparer(float tolerance) : System.Collections.Generic.IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
