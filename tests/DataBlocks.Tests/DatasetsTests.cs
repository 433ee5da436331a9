using System;
using System.IO;
using System.Linq;
using DataBlocks.BlockTypes;
using DataBlocks.Data;
using DataBlocks.TestKit;
using Xunit;

namespace DataBlocks.Tests;

[Collection("Torch")]
public class DatasetsTests
{
    [Fact]
    public void Splits_And_Sets_Up_The_Vocab_On_The_Training_Split()
    {
        using var dir = new TempDir();
        var ds = Datasets<string>.Create(TestData.ImageCategory(), TestData.Files(TestData.Shapes(dir.Path)));
        Assert.Equal(24, ds.TrainIndices.Count);
        Assert.Equal(12, ds.ValidIndices.Count);
        Assert.Equal(new[] { "circle", "square", "triangle" }, ((CategoryCodec<string>)ds.Codecs[1]).Vocab.Values);
        int i = ds.ValidIndices[0];
        Assert.Equal(Label.FromParentFolder(ds.Items[i]), ds.Value<string>(1, i));
    }

    [Fact]
    public void No_Items_Is_An_Error() =>
        Assert.Contains("no items", Assert.Throws<DataBlocksException>(() => Datasets<string>.Create(TestData.ImageCategory(), [])).Message);

    [Fact]
    public void An_Empty_Split_Is_An_Error_That_Names_It()
    {
        using var dir = new TempDir();
        var files = TestData.Files(TestData.Shapes(dir.Path)).Where(f => f.Contains("/train/")).ToArray();
        var e = Assert.Throws<DataBlocksException>(() => Datasets<string>.Create(TestData.ImageCategory(), files));
        Assert.Contains("validation split is empty", e.Message);
    }

    [Fact]
    public void A_Getter_That_Throws_Names_The_Member_And_The_Item()
    {
        var definition = TestData.ImageCategory(new RandomSplitter(0.5, 1), label: p => p.EndsWith("3.jpg") ? throw new FormatException("no label") : "x");
        var e = Assert.Throws<GetterException>(() => Datasets<string>.Create(definition, ["a/1.jpg", "a/2.jpg", "a/3.jpg", "a/4.jpg"]));
        Assert.Equal("Shapes.Shape", e.Member);
        Assert.Contains("a/3.jpg", e.Message);
        Assert.Contains("FormatException", e.Message);
    }

    [Fact]
    public void A_Label_That_Fails_Its_Regex_Names_The_File()
    {
        var definition = TestData.ImageCategory(new RandomSplitter(0.5, 1), label: p => Label.FromFileName(p, @"^(cat|dog)\.\d+\.jpg$"));
        var e = Assert.Throws<GetterException>(() => Datasets<string>.Create(definition, ["d/cat.1.jpg", "d/dog.2.jpg", "d/cow.3.jpg", "d/cat.4.jpg"]));
        Assert.Contains("cow.3.jpg", e.Message);
        Assert.Contains("does not match", e.Message);
    }

    [Fact]
    public void A_Validation_Label_Missing_From_Training_Is_An_Error_Naming_The_Item()
    {
        using var dir = new TempDir();
        string root = TestData.Shapes(dir.Path);
        Directory.CreateDirectory(Path.Combine(root, "valid", "hexagon"));
        File.Copy(TestData.Files(Path.Combine(root, "valid", "circle"))[0], Path.Combine(root, "valid", "hexagon", "h.jpg"));
        var e = Assert.Throws<DataBlocksException>(() => Datasets<string>.Create(TestData.ImageCategory(), TestData.Files(root)));
        Assert.Contains("'hexagon'", e.Message);
        Assert.Contains("h.jpg", e.Message);
    }

    [Fact]
    public void SkipBadItems_Leaves_Out_And_Reports_Every_Bad_File()
    {
        using var dir = new TempDir();
        string root = TestData.Shapes(dir.Path);
        var files = TestData.Files(root);
        string[] bad = [files[0], files[5], files[^1]];
        TestData.Damage(bad[0]);
        SyntheticImages.WriteEmpty(bad[1]);
        File.Delete(bad[2]);
        var report = new StringWriter();
        var ds = Datasets<string>.Create(TestData.ImageCategory(), files, new DatasetsOptions { SkipBadItems = true, Report = report });
        Assert.Equal(bad.OrderBy(b => b, StringComparer.Ordinal), ds.Skipped.Select(s => s.Item).OrderBy(b => b, StringComparer.Ordinal));
        Assert.Equal(files.Count - 3, ds.TrainIndices.Count + ds.ValidIndices.Count);
        foreach (string b in bad) Assert.Contains(b, report.ToString());
    }
}
