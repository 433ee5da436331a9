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

/// <summary>Hostile image files: decompression bombs, truncated and damaged data, and how skip mode reports them.</summary>
public class BadImageTests
{
    private static readonly ImageDecodeOptions Small = new() { MaxPixels = 1_000_000 };

    [Fact]
    public void A_Decompression_Bomb_Is_Refused_From_Its_Header_Naming_File_Size_And_Limit()
    {
        using var dir = new TempDir();
        string path = dir.Combine("bomb.png");
        File.WriteAllBytes(path, BadImages.Png(30000, 30000, rows: 2));   // 900 megapixels claimed, a few hundred bytes on disk
        Assert.True(new FileInfo(path).Length < 2000);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.Throws<BadItemException>(() => ImageDecoder.Decode(path).Dispose());
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 10_000_000, "nothing of the image's size was allocated");
        Assert.Equal(path, e.Path);
        Assert.Contains("30000x30000", e.Message);
        Assert.Contains("900 megapixels", e.Message);
        Assert.Contains("89.5 megapixels", e.Message);   // the default limit, Pillow's MAX_IMAGE_PIXELS
        Assert.Contains("MaxPixels", e.Message);
    }

    [Fact]
    public void The_Pixel_Limit_Is_Configurable_And_Counts_The_Pixels_Actually_Decoded()
    {
        byte[] png = BadImages.Png(1500, 1000);   // 1.5 megapixels
        var e = Assert.Throws<BadItemException>(() => ImageDecoder.Decode(png, "big.png", Small).Dispose());
        Assert.Contains("1500x1000", e.Message);
        Assert.Contains("1 megapixels", e.Message);
        using (var ok = ImageDecoder.Decode(png, "big.png", new ImageDecodeOptions { MaxPixels = 1_500_000 }))
            Assert.Equal((1500, 1000), (ok.Width, ok.Height));

        // A JPEG decodes natively at 1/8: a transform that needs that little stays under the limit; full size does not.
        byte[] jpeg = SyntheticImages.Encode(2400, 1800, SKColors.Red, SKColors.Blue, SKEncodedImageFormat.Jpeg);
        using (var encoded = EncodedImage.Open(jpeg, "photo.jpg", options: Small))
        using (var scaled = encoded.Decode(0.1))
            Assert.Equal((300, 225), (scaled.Width, scaled.Height));
        using (var encoded = EncodedImage.Open(jpeg, "photo.jpg", options: Small))
        {
            var full = Assert.Throws<BadItemException>(() => encoded.Decode(1.0).Dispose());
            Assert.Contains("2400x1800", full.Message);
        }
    }

    [Fact]
    public void A_Block_Decodes_With_Its_Own_Limits_And_A_Resize_Keeps_A_Large_Jpeg_Under_Them()
    {
        using var dir = new TempDir();
        var files = new List<string>();
        foreach (string split in new[] { "train", "valid" })
        foreach (string label in new[] { "a", "b" })
        {
            Directory.CreateDirectory(dir.Combine(split, label));
            files.Add(SyntheticImages.Write(dir.Combine(split, label, "big.jpg"), 2400, 1800, SKColors.Red, SKColors.Blue, SKEncodedImageFormat.Jpeg));
        }
        var block = new ImageFileBlock { DecodeOptions = Small };
        DataBlockDefinition<string> Definition(IItemTransform? resize) => new("Big",
            [
                new FieldDefinition<string, string>("Image", "Big.Image", true, p => p, block),
                new FieldDefinition<string, string>("Label", "Big.Label", false, Label.FromParentFolder, new CategoryBlock<string>()),
            ],
            new GrandparentSplitter(), resize is null ? null : [resize]);
        var options = new DataLoaderOptions { BatchSize = 2, Workers = 0, Device = torch.CPU };

        using var scope = torch.NewDisposeScope();
        using (var dls = DataLoaders<string>.Create(Definition(new Resize(224)), files, options))
            foreach (var batch in dls.Train)
                Assert.Equal(new long[] { 2, 3, 224, 224 }, batch.Inputs[0].shape);

        using var full = DataLoaders<string>.Create(Definition(null), files, options);
        var e = Assert.Throws<BadItemException>(() => { foreach (var b in full.Train) Assert.Fail("decoded a 4.3-megapixel image under a 1-megapixel limit"); });
        Assert.Contains("MaxPixels", e.Message);
    }

    [Fact]
    public void A_Derived_Block_Sets_Its_Limits_In_Its_Constructor_As_The_Docs_Show()
    {
        var codec = new BigScans().Setup(new FieldInfo("Image", "Scans.Image", true, "Scans"), []);
        using var dir = new TempDir();
        string path = dir.Combine("scan.png");
        File.WriteAllBytes(path, BadImages.Png(1500, 1000));
        using var sample = (ImageSample)codec.Encode(path, path);
        var e = Assert.Throws<BadItemException>(() => sample.Decode(1.0));
        Assert.Contains("above the limit of 1 megapixels", e.Message);
    }

    private sealed class BigScans : ImageFileBlock
    {
        public BigScans() => DecodeOptions = new() { MaxPixels = 1_000_000 };
    }

    [Fact]
    public void Truncated_Files_Are_Refused_Saying_How_Much_Decoded_Unless_Partial_Images_Are_Accepted()
    {
        byte[] jpeg = SyntheticImages.EncodeNoise(64, 64, SKEncodedImageFormat.Jpeg);
        byte[] png = SyntheticImages.EncodeNoise(64, 64, SKEncodedImageFormat.Png);
        foreach (var (name, data) in new[] { ("cut.jpg", jpeg[..(jpeg.Length / 2)]), ("cut.png", png[..(png.Length / 2)]) })
        {
            var e = Assert.Throws<BadItemException>(() => ImageDecoder.Decode(data, name).Dispose());
            Assert.Contains("truncated", e.Message);
            Assert.Matches(@"after \d+ of its 64 rows", e.Message);
            Assert.Contains("AcceptPartialImages", e.Message);
            using var partial = ImageDecoder.Decode(data, name, new ImageDecodeOptions { AcceptPartialImages = true });
            Assert.Equal((64, 64), (partial.Width, partial.Height));
        }
    }

    [Fact]
    public void A_Damaged_Jpeg_That_Libjpeg_Decodes_As_Grey_Is_Refused_Unless_Partial_Images_Are_Accepted()
    {
        byte[] damaged = BadImages.WithScanCut(SyntheticImages.EncodeNoise(96, 96, SKEncodedImageFormat.Jpeg));

        // What SkiaSharp alone does with it: success, and the image from the damage on is flat grey.
        using (var codec = SKCodec.Create(new SKMemoryStream(damaged)))
        using (var bitmap = new SKBitmap(new SKImageInfo(96, 96, SKColorType.Rgba8888, SKAlphaType.Opaque)))
        {
            Assert.Equal(SKCodecResult.Success, codec.GetPixels(bitmap.Info, bitmap.GetPixels()));
            Assert.True(GreyRows(bitmap) >= 24, $"expected the damaged JPEG to decode with grey rows, found {GreyRows(bitmap)}");
        }

        var e = Assert.Throws<BadItemException>(() => ImageDecoder.Decode(damaged, "damaged.jpg").Dispose());
        Assert.Contains("JPEG data is damaged", e.Message);
        Assert.Contains("damaged.jpg", e.Message);
        Assert.Contains("AcceptPartialImages", e.Message);
        using var accepted = ImageDecoder.Decode(damaged, "damaged.jpg", new ImageDecodeOptions { AcceptPartialImages = true });
        Assert.Equal(96, accepted.Width);
    }

    [Fact]
    public void An_Image_Named_By_A_Csv_Row_Is_Reported_With_The_Row()
    {
        using var dir = new TempDir();
        string path = dir.Combine("cat.2.jpg");
        var codec = new ImageFileBlock().Setup(new FieldInfo("Image", "Pets.Image", true, "Pets"), []);
        var e = Assert.Throws<BadItemException>(() => codec.Encode(path, path + " (labels.csv line 3)"));
        Assert.Equal($"Image file not found: '{path}' (labels.csv line 3)", e.Message);
        var other = Assert.Throws<BadItemException>(() => codec.Encode(path, "row 7"));
        Assert.EndsWith("(item 'row 7')", other.Message);
    }

    [Fact]
    public void Skip_Mode_Skips_Bombs_And_Any_Failure_Of_An_Items_Block()
    {
        using var dir = new TempDir();
        var files = TestData.Files(TestData.Shapes(dir.Path)).ToList();
        File.WriteAllBytes(files[0], BadImages.Png(30000, 30000, rows: 1));
        File.WriteAllBytes(files[1], BadImages.WithScanCut(SyntheticImages.EncodeNoise(64, 64, SKEncodedImageFormat.Jpeg)));
        var definition = new DataBlockDefinition<string>("Shapes",
            [
                new FieldDefinition<string, string>("Image", "Shapes.Image", true, p => p, new FlakyImageBlock(files[2])),
                new FieldDefinition<string, string>("Shape", "Shapes.Shape", false, Label.FromParentFolder, new CategoryBlock<string>()),
            ],
            new GrandparentSplitter());
        var report = new StringWriter();
        var ds = Datasets<string>.Create(definition, files, new DatasetsOptions { SkipBadItems = true, Report = report, Workers = 2 });
        Assert.Equal([0, 1, 2], ds.Skipped.Select(s => s.Index));
        Assert.Contains("too large", ds.Skipped[0].Reason);
        Assert.Contains("JPEG data is damaged", ds.Skipped[1].Reason);
        Assert.Contains("InvalidOperationException: flaky codec", ds.Skipped[2].Reason);
        Assert.Contains("Shapes.Image", ds.Skipped[2].Reason);
        Assert.Equal(files.Count - 3, ds.TrainIndices.Count + ds.ValidIndices.Count);
        Assert.Contains("skipped 3 bad item(s)", report.ToString());
    }

    [Fact]
    public void When_Skip_Mode_Drops_Every_Item_The_Report_Comes_First_And_The_Error_Names_The_Skipped()
    {
        using var dir = new TempDir();
        var files = TestData.Files(TestData.Shapes(dir.Path, trainPerClass: 2, validPerClass: 1)).ToList();
        foreach (string f in files) TestData.Damage(f);
        var report = new StringWriter();
        var e = Assert.Throws<DataBlocksException>(() =>
            Datasets<string>.Create(TestData.ImageCategory(), files, new DatasetsOptions { SkipBadItems = true, Report = report }));
        Assert.Contains($"skipped {files.Count} bad item(s)", report.ToString());
        foreach (string f in files) Assert.Contains(f, report.ToString());
        Assert.Contains($"empty after skipping {files.Count} bad item(s)", e.Message);
        Assert.Contains(files[0], e.Message);
        Assert.Contains($"and {files.Count - 3} more", e.Message);
        Assert.DoesNotContain("Check the splitter", e.Message);
    }

    /// <summary>Rows in which every pixel is the (128, 128, 128) grey libjpeg fills missing data with (±1).</summary>
    internal static int GreyRows(SKBitmap bitmap)
    {
        int rows = 0;
        for (int y = 0; y < bitmap.Height; y++)
        {
            bool grey = true;
            for (int x = 0; x < bitmap.Width && grey; x++)
            {
                var c = bitmap.GetPixel(x, y);
                grey = Math.Abs(c.Red - 128) <= 1 && Math.Abs(c.Green - 128) <= 1 && Math.Abs(c.Blue - 128) <= 1;
            }
            if (grey) rows++;
        }
        return rows;
    }

    /// <summary>An image block whose codec throws a plain exception (not a DataBlocks one) for one file.</summary>
    private sealed class FlakyImageBlock(string flaky) : IBlock<string>
    {
        public string Name => "FlakyImageBlock";

        public IEnumerable<IBatchTransform> BatchTransforms => [new IntToFloatTensor()];

        public IFieldCodec<string> Setup(FieldInfo field, IReadOnlyList<string> trainValues) => new Codec(new ImageCodec(field), flaky);

        private sealed class Codec(ImageCodec inner, string flaky) : IFieldCodec<string>, IDeferredEncoding
        {
            public FieldInfo Field => inner.Field;
            public FieldKind Kind => inner.Kind;
            public bool EncodesEagerly => false;
            public int OutputCount => 0;
            public Losses.ILossFunction? DefaultLoss => null;
            public HostTensor Collate(IReadOnlyList<object> samples) => inner.Collate(samples);
            public string Show(torch.Tensor row) => inner.Show(row);
            public object CloneSample(object sample) => inner.CloneSample(sample);
            public void Complete(object sample) => inner.Complete(sample);

            public object Encode(string value, string item) =>
                value == flaky ? throw new InvalidOperationException("flaky codec") : inner.Encode(value, item);
        }
    }
}

/// <summary>The process-wide limits: changed here alone (the collection runs by itself), restored after.</summary>
[Collection("Torch")]
public class ImageDecoderDefaultOptionsTests
{
    [Fact]
    public void DefaultOptions_Apply_To_Decodes_Without_Options_Of_Their_Own()
    {
        byte[] png = BadImages.Png(1500, 1000);
        var saved = ImageDecoder.DefaultOptions;
        Assert.Equal(ImageDecodeOptions.DefaultMaxPixels, saved.MaxPixels);
        Assert.Equal(89_478_485, ImageDecodeOptions.DefaultMaxPixels);   // Pillow's Image.MAX_IMAGE_PIXELS
        try
        {
            ImageDecoder.DefaultOptions = new() { MaxPixels = 1_000_000 };
            Assert.Throws<BadItemException>(() => ImageDecoder.Decode(png, "big.png").Dispose());
            using var allowed = ImageDecoder.Decode(png, "big.png", new ImageDecodeOptions());   // its own options win
            Assert.Equal(1500, allowed.Width);
        }
        finally
        {
            ImageDecoder.DefaultOptions = saved;
        }
        using var back = ImageDecoder.Decode(png, "big.png");
        Assert.Equal(1000, back.Height);
    }
}
