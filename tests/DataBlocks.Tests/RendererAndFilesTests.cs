using System;
using System.IO;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Synthetic;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using SkiaSharp;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

[Collection("Torch")]
public class RendererAndFilesTests
{
    [Fact]
    public void ShowBatch_Writes_A_Png_Grid_Titled_With_Decoded_Labels()
    {
        using var dir = new TempDir();
        var dls = DataLoaders<string>.Create(TestData.ImageCategory(), TestData.Files(TestData.Shapes(dir.Combine("data"))),
            new DataLoaderOptions { BatchSize = 8, Seed = 1, Workers = 0, Device = torch.CPU, BatchTransforms = Normalize.Imagenet });
        string png = dir.Combine("out", "batch.png");
        var titles = dls.Valid.ShowBatch(png, maxItems: 6);
        Assert.Equal(6, titles.Count);
        using var batch = dls.Valid.OneBatch();
        for (int i = 0; i < 6; i++) Assert.Equal(Label.FromParentFolder(batch.Items[i]), titles[i]);
        using var image = SKBitmap.Decode(png);
        // 6 items → 2 rows of 3 cells, each 32 px + 6 px padding wide and 32 + 22 (title) + 6 tall.
        Assert.Equal((3 * 38 + 6, 2 * 60 + 6), (image.Width, image.Height));
        Assert.Empty(Directory.GetFiles(dir.Combine("out"), "*.tmp"));
    }

    [Fact]
    public void DescribeBatch_Lists_Items_And_Decoded_Fields()
    {
        using var dir = new TempDir();
        var dls = DataLoaders<string>.Create(TestData.ImageCategory(), TestData.Files(TestData.Shapes(dir.Path)),
            new DataLoaderOptions { BatchSize = 4, Seed = 1, Workers = 0, Device = torch.CPU });
        var lines = dls.Valid.DescribeBatch(2);
        Assert.Equal(2, lines.Count);
        Assert.Contains("Shape=circle", lines[0]);
    }

    [Fact]
    public void ShapesDataset_Is_Deterministic_And_Cached()
    {
        using var dir = new TempDir();
        string a = ShapesDataset.Generate(dir.Combine("a"), 3, 1, 24, ["star", "cross"], seed: 9);
        string b = ShapesDataset.Generate(dir.Combine("b"), 3, 1, 24, ["star", "cross"], seed: 9);
        var filesA = ImageFiles.Under(a);
        Assert.Equal(8, filesA.Count);
        Assert.Equal(filesA.Select(File.ReadAllBytes), ImageFiles.Under(b).Select(File.ReadAllBytes));
        var stamp = File.GetLastWriteTimeUtc(filesA[0]);
        ShapesDataset.Generate(dir.Combine("a"), 3, 1, 24, ["star", "cross"], seed: 9);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(filesA[0]));
        Assert.Throws<ArgumentException>(() => ShapesDataset.Generate(dir.Combine("c"), shapes: ["hexagon"]));
    }

    [Fact]
    public void AtomicFile_Keeps_The_Old_Content_When_Writing_Fails()
    {
        using var dir = new TempDir();
        string path = dir.Combine("model.dat");
        AtomicFile.Write(path, s => s.Write("old"u8));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("partial"u8);
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
