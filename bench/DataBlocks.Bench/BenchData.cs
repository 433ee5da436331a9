using System;
using System.IO;
using System.Linq;
using DataBlocks.Synthetic;
using SkiaSharp;

namespace DataBlocks.Bench;

/// <summary>Finds the benchmark photos: ../shared/data/dogscats when present, else synthetic JPEGs of the same sizes.</summary>
internal static class BenchData
{
    /// <summary>The folder of photos and a description of where they came from.</summary>
    public static (string Folder, string Source) Photos(string repoRoot)
    {
        string shared = Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "data", "dogscats", "train"));
        if (Directory.Exists(shared) && Directory.EnumerateFiles(shared, "*.jpg").Take(1000).Count() == 1000)
            return (shared, "../shared/data/dogscats (1,000 Kaggle photos, longest side ≤ 500 px)");
        string synthetic = Path.Combine(repoRoot, ".data", "bench-dogscats");
        Synthesize(synthetic);
        return (synthetic, "1,000 synthetic JPEGs with the dogscats size mix (../shared/data/dogscats was not found)");
    }

    /// <summary>1,000 JPEGs named like dogscats, sized like it: about 56% with a 500 px longest side, the rest 250–499 px.</summary>
    private static void Synthesize(string folder)
    {
        string stamp = Path.Combine(folder, "dataset.txt");
        if (File.Exists(stamp)) return;
        Directory.CreateDirectory(folder);
        var random = new Random(1000);
        for (int i = 0; i < 1000; i++)
        {
            int longSide = random.NextDouble() < 0.56 ? 500 : random.Next(250, 500);
            int shortSide = (int)(longSide * (0.55 + 0.45 * random.NextDouble()));
            bool landscape = random.NextDouble() < 0.7;
            int w = landscape ? longSide : shortSide, h = landscape ? shortSide : longSide;
            using var tile = ShapesDataset.Draw(i % 2 == 0 ? "circle" : "star", 64, random);
            using var bitmap = new SKBitmap(w, h);
            using (var canvas = new SKCanvas(bitmap))
            using (var image = SKImage.FromBitmap(tile))
                canvas.DrawImage(image, SKRect.Create(0, 0, w, h), new SKSamplingOptions(SKFilterMode.Linear));
            using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 88);
            string name = $"{(i % 2 == 0 ? "cat" : "dog")}.{i / 2}.jpg";
            AtomicFile.Write(Path.Combine(folder, name), s => data.SaveTo(s));
        }
        File.WriteAllText(stamp, "synthetic dogscats v1\n");
    }
}
