using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using DataBlocks.Vision;
using SkiaSharp;

namespace DataBlocks.Bench;

/// <summary>
/// Per-image costs behind the whole-run figures (BenchmarkDotNet; run with <c>dotnet run -c Release -- micro</c>):
/// our decoder (RGBA, EXIF orientation, alpha dropped) against SkiaSharp's plain decode.
/// </summary>
[MemoryDiagnoser]
public class MicroBenchmarks
{
    private byte[] _jpeg = [];

    [GlobalSetup]
    public void Setup()
    {
        string repo = Repo.Root();
        var (folder, _) = BenchData.Photos(repo);
        _jpeg = File.ReadAllBytes(ImageFiles.Under(folder).First());
    }

    [Benchmark(Baseline = true)]
    public int SkiaDecode()
    {
        using var bitmap = SKBitmap.Decode(_jpeg);
        return bitmap.Width;
    }

    [Benchmark]
    public int DataBlocksDecode()
    {
        using var bitmap = ImageDecoder.Decode(_jpeg, "photo");
        return bitmap.Width;
    }
}
