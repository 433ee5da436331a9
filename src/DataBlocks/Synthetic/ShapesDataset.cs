using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using SkiaSharp;

namespace DataBlocks.Synthetic;

/// <summary>
/// A small synthetic image-classification set drawn with SkiaSharp: one shape per image (circle, square, triangle,
/// star, cross...) in a random colour, size, position and rotation, on a textured, noisy background. Written as
/// <c>train/&lt;label&gt;/*.jpg</c> and <c>valid/&lt;label&gt;/*.jpg</c> (fastai's folder layout), deterministic for a seed,
/// and cached: a second call with the same settings reuses the files.
/// </summary>
public static class ShapesDataset
{
    /// <summary>Every shape this generator can draw, in label order.</summary>
    public static IReadOnlyList<string> AllShapes { get; } = ["circle", "cross", "square", "star", "triangle"];

    /// <summary>Writes the dataset under <paramref name="root"/> (unless it is already there) and returns <paramref name="root"/>.</summary>
    /// <param name="root">Target folder.</param>
    /// <param name="trainPerClass">Training images per class.</param>
    /// <param name="validPerClass">Validation images per class.</param>
    /// <param name="size">Image side in pixels.</param>
    /// <param name="shapes">Classes to draw (default: all).</param>
    /// <param name="seed">Seed of every random choice.</param>
    public static string Generate(string root, int trainPerClass = 200, int validPerClass = 50, int size = 64,
        IReadOnlyList<string>? shapes = null, int seed = 42)
    {
        shapes ??= AllShapes;
        foreach (var s in shapes)
            if (!AllShapes.Contains(s)) throw new ArgumentException($"Unknown shape '{s}'; known: {string.Join(", ", AllShapes)}.", nameof(shapes));
        string stamp = string.Create(CultureInfo.InvariantCulture,
            $"shapes v1 train={trainPerClass} valid={validPerClass} size={size} seed={seed} classes={string.Join(",", shapes)}");
        string stampFile = Path.Combine(root, "dataset.txt");
        if (File.Exists(stampFile) && File.ReadAllText(stampFile).Trim() == stamp) return root;

        foreach (var split in new[] { "train", "valid" })
        {
            string dir = Path.Combine(root, split);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        for (int c = 0; c < shapes.Count; c++)
        {
            Write(root, "train", shapes[c], trainPerClass, size, Seed.Mix(seed, c, 1));
            Write(root, "valid", shapes[c], validPerClass, size, Seed.Mix(seed, c, 2));
        }
        AtomicFile.Write(stampFile, s => s.Write(System.Text.Encoding.UTF8.GetBytes(stamp + "\n")));
        return root;
    }

    /// <summary>Draws one image of <paramref name="shape"/> (the caller owns the bitmap).</summary>
    public static SKBitmap Draw(string shape, int size, Random random)
    {
        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        DrawBackground(canvas, size, random);
        var color = RandomColor(random);
        using var paint = new SKPaint { Color = color, IsAntialias = true, Style = SKPaintStyle.Fill };
        float r = size * (0.22f + 0.14f * (float)random.NextDouble());
        float cx = r + (float)random.NextDouble() * (size - 2 * r);
        float cy = r + (float)random.NextDouble() * (size - 2 * r);
        canvas.Translate(cx, cy);
        canvas.RotateDegrees((float)(random.NextDouble() * 360));
        switch (shape)
        {
            case "circle":
                canvas.DrawCircle(0, 0, r, paint);
                break;
            case "square":
                canvas.DrawRect(-r * 0.8f, -r * 0.8f, 1.6f * r, 1.6f * r, paint);
                break;
            case "triangle":
                using (var tri = Polygon(3, r, 0)) canvas.DrawPath(tri, paint);
                break;
            case "star":
                using (var star = Star(5, r, r * 0.45f)) canvas.DrawPath(star, paint);
                break;
            case "cross":
                canvas.DrawRect(-r, -r * 0.3f, 2 * r, 0.6f * r, paint);
                canvas.DrawRect(-r * 0.3f, -r, 0.6f * r, 2 * r, paint);
                break;
        }
        canvas.ResetMatrix();
        AddNoise(bitmap, random, 18);
        return bitmap;
    }

    private static void Write(string root, string split, string shape, int count, int size, int seed)
    {
        string dir = Path.Combine(root, split, shape);
        Directory.CreateDirectory(dir);
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            using var bitmap = Draw(shape, size, random);
            using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 92);
            AtomicFile.Write(Path.Combine(dir, $"{shape}_{i:D4}.jpg"), s => data.SaveTo(s));
        }
    }

    private static void DrawBackground(SKCanvas canvas, int size, Random random)
    {
        var a = RandomColor(random, 0.35f);
        var b = RandomColor(random, 0.35f);
        using var gradient = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(size, size), [a, b], SKShaderTileMode.Clamp);
        using var paint = new SKPaint { Shader = gradient };
        canvas.DrawRect(0, 0, size, size, paint);
        using var line = new SKPaint { IsAntialias = true, StrokeWidth = 1 + (float)random.NextDouble() * 2, Style = SKPaintStyle.Stroke };
        for (int i = 0; i < 6; i++)
        {
            line.Color = RandomColor(random, 0.5f).WithAlpha(110);
            canvas.DrawLine((float)random.NextDouble() * size, (float)random.NextDouble() * size,
                (float)random.NextDouble() * size, (float)random.NextDouble() * size, line);
        }
    }

    private static SKColor RandomColor(Random random, float maxValue = 1f) =>
        SKColor.FromHsv((float)random.NextDouble() * 360, 40 + (float)random.NextDouble() * 60, (0.3f + 0.7f * (float)random.NextDouble()) * 100 * maxValue);

    private static unsafe void AddNoise(SKBitmap bitmap, Random random, int amplitude)
    {
        byte* p = (byte*)bitmap.GetPixels();
        int n = bitmap.Width * bitmap.Height;
        for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
        {
            int v = p[4 * i + k] + random.Next(-amplitude, amplitude + 1);
            p[4 * i + k] = (byte)Math.Clamp(v, 0, 255);
        }
    }

    private static SKPath Polygon(int sides, float r, float phase)
    {
        var path = new SKPath();
        for (int i = 0; i < sides; i++)
        {
            double a = phase + 2 * Math.PI * i / sides;
            var pt = new SKPoint((float)(r * Math.Cos(a)), (float)(r * Math.Sin(a)));
            if (i == 0) path.MoveTo(pt); else path.LineTo(pt);
        }
        path.Close();
        return path;
    }

    private static SKPath Star(int points, float outer, float inner)
    {
        var path = new SKPath();
        for (int i = 0; i < 2 * points; i++)
        {
            double a = Math.PI * i / points;
            float rr = i % 2 == 0 ? outer : inner;
            var pt = new SKPoint((float)(rr * Math.Cos(a)), (float)(rr * Math.Sin(a)));
            if (i == 0) path.MoveTo(pt); else path.LineTo(pt);
        }
        path.Close();
        return path;
    }
}
