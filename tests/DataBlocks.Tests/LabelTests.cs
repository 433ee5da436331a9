using System.IO;
using DataBlocks.Data;
using DataBlocks.TestKit;
using Xunit;

namespace DataBlocks.Tests;

public class LabelTests
{
    [Fact]
    public void FromFileName_Takes_Group_One_Of_The_File_Name() =>
        Assert.Equal("cat", Label.FromFileName("/data/dogscats/train/cat.12.jpg", @"^(cat|dog)\.\d+\.jpg$"));

    [Fact]
    public void FromFileName_Names_The_File_And_Pattern_When_It_Does_Not_Match()
    {
        var e = Assert.Throws<DataBlocksException>(() => Label.FromFileName("/data/x/bird.3.jpg", @"^(cat|dog)\.\d+\.jpg$"));
        Assert.Contains("bird.3.jpg", e.Message);
        Assert.Contains(@"^(cat|dog)\.\d+\.jpg$", e.Message);
    }

    [Fact]
    public void FromFileName_Explains_A_Pattern_Without_A_Group()
    {
        var e = Assert.Throws<DataBlocksException>(() => Label.FromFileName("cat.1.jpg", @"^cat"));
        Assert.Contains("no group 1", e.Message);
    }

    [Fact]
    public void FromPath_Searches_The_Whole_Path() =>
        Assert.Equal("train", Label.FromPath("/data/train/cat/1.jpg", @"/(train|valid)/"));

    [Fact]
    public void FromParentFolder_Is_The_Folder_Name() =>
        Assert.Equal("cat", Label.FromParentFolder(Path.Combine("data", "train", "cat", "1.jpg")));

    [Fact]
    public void CsvLabels_Reads_Ids_And_Space_Separated_Labels_Like_Fastai_07_From_Csv()
    {
        using var dir = new TempDir();
        string csv = dir.Combine("labels.csv");
        File.WriteAllText(csv, "image_name,tags\ntrain_1,clear primary\ntrain_2,haze\n");
        var rows = CsvLabels.Read(csv, folder: "train-jpg", suffix: ".jpg");
        Assert.Equal(2, rows.Count);
        Assert.Equal(Path.Combine(dir.Path, "train-jpg", "train_1.jpg"), rows[0].Path);
        Assert.Equal(new[] { "clear", "primary" }, rows[0].Labels);
        Assert.Equal("haze", rows[1].Label);
        Assert.Equal(3, rows[1].Line);
    }

    [Fact]
    public void CsvLabels_Names_The_File_And_Line_Of_A_Short_Row()
    {
        using var dir = new TempDir();
        string csv = dir.Combine("labels.csv");
        File.WriteAllText(csv, "name,label\na.png,3\nb.png\n");
        var e = Assert.Throws<DataBlocksException>(() => CsvLabels.Read(csv));
        Assert.Contains("labels.csv", e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void CsvLabels_Rejects_Empty_Files_And_Empty_Ids()
    {
        using var dir = new TempDir();
        string empty = dir.Combine("empty.csv");
        File.WriteAllText(empty, "");
        Assert.Contains("empty", Assert.Throws<DataBlocksException>(() => CsvLabels.Read(empty)).Message);
        string headerOnly = dir.Combine("header.csv");
        File.WriteAllText(headerOnly, "name,label\n");
        Assert.Contains("no data rows", Assert.Throws<DataBlocksException>(() => CsvLabels.Read(headerOnly)).Message);
        string blankId = dir.Combine("blank.csv");
        File.WriteAllText(blankId, "name,label\n ,3\n");
        Assert.Contains("line 2", Assert.Throws<DataBlocksException>(() => CsvLabels.Read(blankId)).Message);
    }

    [Fact]
    public void CsvLabelRow_Label_Requires_Exactly_One_Label_But_Its_Name_Never_Throws()
    {
        var row = new CsvLabelRow("x.jpg", ["a", "b"], 4);
        Assert.Contains("Line 4", Assert.Throws<DataBlocksException>(() => row.Label).Message);
        Assert.Equal("x.jpg (line 4)", row.ToString());
    }

    private sealed class Unprintable
    {
        public override string ToString() => throw new System.InvalidOperationException("no");
    }

    [Fact]
    public void An_Item_Whose_ToString_Throws_Still_Gets_A_Name() =>
        Assert.Contains("Unprintable", Datasets<Unprintable>.DescribeItem(new Unprintable()));
}
