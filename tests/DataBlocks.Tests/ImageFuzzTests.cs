using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.BlockTypes;
using DataBlocks.Data;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using SkiaSharp;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>
/// Seeded mutations (bit flips, truncations, duplicated and removed chunks) of a JPEG and a PNG, decoded as the loader
/// decodes them: each one decodes to an image with no rows left without data, or is a <see cref="BadItemException"/>;
/// skip mode leaves out exactly the ones that are.
/// </summary>
public class ImageFuzzTests
{
    private const int Width = 64, Height = 48, MutantsPerFormat = 200;
    private static readonly ImageDecodeOptions Limits = new() { MaxPixels = 4_000_000 };

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg, 11, 10)]
    [InlineData(SKEncodedImageFormat.Png, 12, 0)]   // a CRC guards every PNG chunk: almost any change is caught
    public void Every_Mutant_Decodes_Whole_Or_Is_A_Bad_Item_And_Skip_Mode_Leaves_Out_Exactly_Those(SKEncodedImageFormat format, int seed, int minGood)
    {
        byte[] original = SyntheticImages.EncodeNoise(Width, Height, format);
        using (var clean = ImageDecoder.Decode(original, "original", Limits)) Assert.Equal(0, UniformRows(clean));   // the oracle's premise
        var random = new Random(seed);
        var mutants = Enumerable.Range(0, MutantsPerFormat).Select(i => Mutate(original, random, i % 4)).ToArray();

        using var dir = new TempDir();
        var paths = new List<string>();
        var bad = new HashSet<int>();
        var codec = new ImageFileBlock { DecodeOptions = Limits }.Setup(new FieldInfo("Image", "Fuzz.Image", true, "Fuzz"), []);
        long peakBefore = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;
        for (int i = 0; i < mutants.Length; i++)
        {
            string path = dir.Combine($"m{i:D3}.{(format == SKEncodedImageFormat.Jpeg ? "jpg" : "png")}");
            File.WriteAllBytes(path, mutants[i]);
            paths.Add(path);
            try
            {
                using var sample = (ImageSample)codec.Encode(path, path);
                var bitmap = sample.Bitmap;   // decoded as collation decodes it
                Assert.True((long)bitmap.Width * bitmap.Height <= Limits.MaxPixels);
                int uniform = UniformRows(bitmap);
                Assert.True(uniform < bitmap.Height / 4,
                    $"mutant {i} ({Describe(i % 4)}) decoded without an error but {uniform} of its {bitmap.Height} rows are one flat colour");
            }
            catch (BadItemException e)
            {
                Assert.Equal(path, e.Path);
                bad.Add(i);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"mutant {i} ({Describe(i % 4)}) failed with {e.GetType().Name} instead of a BadItemException: {e.Message}");
            }
        }
        long grew = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 - peakBefore;
        Assert.True(grew < 1L << 30, $"decoding {mutants.Length} mutants raised the peak working set by {grew >> 20} MiB");
        Assert.InRange(bad.Count, MutantsPerFormat / 10, MutantsPerFormat - minGood);   // both outcomes happen, or the test tests less

        var definition = new DataBlockDefinition<string>("Fuzz",
            [
                new FieldDefinition<string, string>("Image", "Fuzz.Image", true, p => p, new ImageFileBlock { DecodeOptions = Limits }),
                new FieldDefinition<string, string>("Label", "Fuzz.Label", false, p => p.Length % 2 == 0 ? "even" : "odd",
                    new CategoryBlock<string>()),
            ],
            new RandomSplitter(0.25, seed: 1), [new Resize(32)]);
        if (bad.Count == mutants.Length) paths.AddRange(TestData.Files(TestData.Shapes(dir.Combine("good"), 8, 4)));   // the splits need items
        var report = new StringWriter();
        using var scope = torch.NewDisposeScope();
        using var dls = DataLoaders<string>.Create(definition, paths,
            new DataLoaderOptions { BatchSize = 8, Workers = 2, Device = torch.CPU, Datasets = new() { SkipBadItems = true, Report = report } });
        Assert.Equal(bad.OrderBy(i => i), dls.Datasets.Skipped.Select(s => s.Index));
        int loaded = 0;
        foreach (var loader in new[] { dls.Train, dls.Valid })
            foreach (var batch in loader)
                loaded += batch.Size;
        Assert.True(loaded >= mutants.Length - bad.Count - 8, "every kept mutant loads (the training loader drops its last partial batch)");
    }

    private static byte[] Mutate(byte[] data, Random random, int kind)
    {
        switch (kind)
        {
            case 0:   // flip 1-4 bits
                var flipped = data.ToArray();
                for (int n = random.Next(1, 5); n > 0; n--) flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                return flipped;
            case 1:   // truncate
                return data[..random.Next(1, data.Length)];
            case 2:   // duplicate a chunk in place
                int at = random.Next(data.Length), length = Math.Min(random.Next(1, 400), data.Length - at);
                return [.. data[..(at + length)], .. data[at..(at + length)], .. data[(at + length)..]];
            default:   // remove a chunk
                int from = random.Next(data.Length), count = Math.Min(random.Next(1, 400), data.Length - from);
                return [.. data[..from], .. data[(from + count)..]];
        }
    }

    private static string Describe(int kind) => kind switch { 0 => "bit flips", 1 => "truncated", 2 => "chunk duplicated", _ => "chunk removed" };

    /// <summary>Rows whose pixels are all one colour (±1): what a decoder leaves where it had no data (grey, black).</summary>
    private static int UniformRows(SKBitmap bitmap)
    {
        int rows = 0;
        for (int y = 0; y < bitmap.Height; y++)
        {
            var first = bitmap.GetPixel(0, y);
            bool uniform = true;
            for (int x = 1; x < bitmap.Width && uniform; x++)
            {
                var c = bitmap.GetPixel(x, y);
                uniform = Math.Abs(c.Red - first.Red) <= 1 && Math.Abs(c.Green - first.Green) <= 1 && Math.Abs(c.Blue - first.Blue) <= 1;
            }
            if (uniform) rows++;
        }
        return rows;
    }
}
