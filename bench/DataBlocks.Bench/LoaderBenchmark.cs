using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using DataBlocks.Vision;
using SkiaSharp;
using TorchSharp;

namespace DataBlocks.Bench;

/// <summary>One measured configuration.</summary>
/// <param name="Ratio">Against the baseline: the median of the per-trial ratios (each trial times the baseline and the
/// loaders back to back, so a slow spell of the machine weighs on both sides of a ratio).</param>
internal sealed record Measurement(string Name, string What, double ImagesPerSecond, double Seconds, int Images, double Ratio);

/// <summary>
/// Images per second through the training DataLoader (decode + Resize(224) crop + collate + uint8→float + normalise),
/// against the same files decoded and resized by SkiaSharp on one thread, measured in the same run.
/// </summary>
internal static class LoaderBenchmark
{
    public const int Size = 224;

    /// <summary>The row of the loader's first epoch in a process, when every JPEG's data is checked.</summary>
    public const string FirstEpoch = "DataLoader, 2 workers, first epoch (each JPEG's data checked once)";

    public static IReadOnlyList<Measurement> Run(string folder, int trials, TextWriter log)
    {
        var files = ImageFiles.Under(folder);
        foreach (var f in files) File.ReadAllBytes(f);   // warm the page cache so every contender reads from memory
        log.WriteLine($"{files.Count} photos in {folder}; {trials} trial(s) each, median reported.");

        var raw = new List<double>();
        var loaders = new Dictionary<int, List<(double Rate, double Seconds, int Images)>> { [0] = [], [2] = [] };
        var firstEpochs = new List<(double Rate, double Seconds, int Images)>();
        var rawForFirst = new List<double>();
        RawBaseline(files);   // warm-up (JIT, Skia, the worker threads)
        foreach (int workers in loaders.Keys) Loader(folder, workers);
        // Each trial runs the three back to back, in an order rotated every trial, so none always runs first or last.
        var contenders = new Action[] { () => raw.Add(RawBaseline(files)), () => loaders[0].Add(Loader(folder, 0)), () => loaders[2].Add(Loader(folder, 2)) };
        for (int t = 0; t < trials; t++)
        {
            for (int c = 0; c < contenders.Length; c++) contenders[(t + c) % contenders.Length]();
            log.WriteLine($"  trial {t + 1}: raw {raw[^1]:F1} img/s, 0 workers {loaders[0][^1].Rate:F1}, 2 workers {loaders[2][^1].Rate:F1}");
        }

        // The loader checks each JPEG's entropy-coded data once per process (JpegCheck) and remembers the sound ones:
        // the trials above see that cache warm. These trials forget it first, as a process's first epoch does.
        for (int t = 0; t < trials; t++)
        {
            rawForFirst.Add(RawBaseline(files));
            JpegCheck.Forget();
            firstEpochs.Add(Loader(folder, 2));
            log.WriteLine($"  first-epoch trial {t + 1}: raw {rawForFirst[^1]:F1} img/s, 2 workers with every JPEG checked {firstEpochs[^1].Rate:F1}");
        }

        double rawRate = Stats.Median(raw);
        var result = new List<Measurement>
        {
            new("SkiaSharp decode + resize, 1 thread (baseline)", "decode + resize", rawRate, files.Count / rawRate, files.Count, 1),
        };
        foreach (var (workers, runs) in loaders)
        {
            var median = Stats.MedianBy(runs, r => r.Rate);
            double ratio = Stats.Median(runs.Select((r, t) => r.Rate / raw[t]).ToArray());
            result.Add(new($"DataLoader, {workers} worker{(workers == 1 ? "" : "s")}", "decode + resize + collate + normalise", median.Rate, median.Seconds, median.Images, ratio));
        }
        var first = Stats.MedianBy(firstEpochs, r => r.Rate);
        result.Add(new(FirstEpoch, "check + decode + resize + collate + normalise", first.Rate, first.Seconds, first.Images,
            Stats.Median(firstEpochs.Select((r, t) => r.Rate / rawForFirst[t]).ToArray())));
        return result;
    }

    /// <summary>What a developer would write by hand: decode, take the centre square, draw it at 224×224 (bilinear).</summary>
    private static double RawBaseline(IReadOnlyList<string> files)
    {
        var clock = Stopwatch.StartNew();
        using var target = new SKBitmap(new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(target);
        var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None);
        foreach (string file in files)
        {
            using var bitmap = SKBitmap.Decode(file) ?? throw new InvalidOperationException($"cannot decode {file}");
            int side = Math.Min(bitmap.Width, bitmap.Height);
            var source = SKRect.Create((bitmap.Width - side) / 2, (bitmap.Height - side) / 2, side, side);
            using var pixels = bitmap.PeekPixels();
            using var image = SKImage.FromPixels(pixels);   // no copy, as the library's resize does
            canvas.DrawImage(image, source, SKRect.Create(0, 0, Size, Size), sampling);
        }
        return files.Count / clock.Elapsed.TotalSeconds;
    }

    private static (double Rate, double Seconds, int Images) Loader(string folder, int workers)
    {
        var dls = DogsCats.DataLoaders(folder, bs: 64, seed: 1, workers: workers, device: torch.CPU,
            item: Transforms.Resize(Size), batch: Transforms.ImagenetNormalize());
        var clock = Stopwatch.StartNew();
        int images = 0;
        foreach (var batch in dls.Train) images += batch.Size;   // the enumerator disposes each batch
        double seconds = clock.Elapsed.TotalSeconds;
        return (images / seconds, seconds, images);
    }
}
