using System;
using System.IO;
using System.Linq;
using System.Text;
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

    private static string WriteCsv(TempDir dir, string text, Encoding? encoding = null, string name = "labels.csv")
    {
        string path = dir.Combine(name);
        File.WriteAllText(path, text, encoding ?? new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void CsvLabels_Rejects_A_Row_With_Too_Many_Fields()
    {
        using var dir = new TempDir();
        string csv = WriteCsv(dir, "id,label\ncat.1,cat\ncat.2,cat,extra\n");
        Assert.Equal($"'{csv}' line 3: expected 2 fields separated by ',' as in the header, found 3.",
            Assert.Throws<DataBlocksException>(() => CsvLabels.Read(csv)).Message);
        string trailing = WriteCsv(dir, "id,label\ncat.1,cat,\n", name: "trailing.csv");
        Assert.Contains("line 2: expected 2 fields separated by ',' as in the header, found 3 (the line ends with ',', which starts an empty last field)",
            Assert.Throws<DataBlocksException>(() => CsvLabels.Read(trailing)).Message);
        // Without a header, the first row says how many fields a row has.
        string noHeader = WriteCsv(dir, "cat.1,cat\n\ncat.2,cat,extra\n", name: "plain.csv");
        Assert.Contains($"'{noHeader}' line 3: expected 2 fields separated by ',' as on line 1, the first row, found 3",
            Assert.Throws<DataBlocksException>(() => CsvLabels.Read(noHeader, hasHeader: false)).Message);

        // A quoted delimiter is inside one field; blank lines are no rows; a quoted line break keeps the row's first line.
        var rows = CsvLabels.Read(WriteCsv(dir, "id,label\n\n\"cat,1\",cat\n\n\"cat\n2\",\"big cat\"\ndog.1,dog\n", name: "quoted.csv"), labelDelimiter: null);
        Assert.Equal(["cat,1", "cat\n2", "dog.1"], rows.Select(r => Path.GetFileName(r.Path)));
        Assert.Equal(["cat", "big cat", "dog"], rows.Select(r => r.Label));
        Assert.Equal([3, 5, 7], rows.Select(r => r.Line));
    }

    [Theory]
    [InlineData("id,label")]
    [InlineData("name,label")]       // fastai's MNIST_TINY
    [InlineData("image_name,tags")]  // Planet
    [InlineData("fname,labels")]     // PASCAL
    [InlineData(" Image_Id , Label ")]
    public void CsvLabels_Accepts_The_Conventional_Headers(string header)
    {
        using var dir = new TempDir();
        var row = Assert.Single(CsvLabels.Read(WriteCsv(dir, $"{header}\ncat.1,cat\n")));
        Assert.Equal(("cat.1", "cat"), (Path.GetFileName(row.Path), row.Label));
    }

    [Fact]
    public void CsvLabels_Checks_The_Header_And_Names_The_Columns_Expected_And_Found()
    {
        using var dir = new TempDir();
        string tag = WriteCsv(dir, "name,tag\ncat.1,cat\n");
        Assert.Equal($"'{tag}' line 1: the header (name, tag) names column 1 'tag' where one of label, labels, tags, class, category was expected " +
                     "for the labels; if 'tag' holds the labels, pass labelColumnName: \"tag\". If the first line is not a header, pass hasHeader: false.",
            Assert.Throws<DataBlocksException>(() => CsvLabels.Read(tag)).Message);
        Assert.Equal("cat", Assert.Single(CsvLabels.Read(tag, labelColumnName: "tag")).Label);

        // Columns swapped: both are named, with the parameters that read them.
        string swapped = WriteCsv(dir, "labels,fname\ncat,cat.1\n", name: "swapped.csv");
        var e = Assert.Throws<DataBlocksException>(() => CsvLabels.Read(swapped));
        Assert.Contains("the header (labels, fname) names column 0 'labels' where one of id, name, fname,", e.Message);
        Assert.Contains("to read the ids from 'fname', pass idColumnName: \"fname\"", e.Message);
        Assert.Contains("to read the labels from 'labels', pass labelColumnName: \"labels\"", e.Message);
        var row = Assert.Single(CsvLabels.Read(swapped, idColumnName: "FNAME", labelColumnName: "labels"));
        Assert.Equal(("cat.1", "cat"), (Path.GetFileName(row.Path), row.Label));

        Assert.Contains("the header (name, tag) has no column 'breed' (labelColumnName) for the labels",
            Assert.Throws<DataBlocksException>(() => CsvLabels.Read(tag, labelColumnName: "breed")).Message);
        // Without a header, positions as before; names need a header.
        string plain = WriteCsv(dir, "x,cat.1,cat\n", name: "plain.csv");
        Assert.Equal("cat", Assert.Single(CsvLabels.Read(plain, idColumn: 1, labelColumn: 2, hasHeader: false)).Label);
        Assert.Throws<ArgumentException>(() => CsvLabels.Read(plain, hasHeader: false, idColumnName: "id"));
    }

    [Fact]
    public void CsvLabelRow_Names_The_Csv_File_And_Line_It_Came_From()
    {
        using var dir = new TempDir();
        string csv = WriteCsv(dir, "id,label\ncat.1,cat\ncat.2,cat dog\n");
        var rows = CsvLabels.Read(csv, folder: "train", suffix: ".jpg");
        string image = Path.Combine(dir.Path, "train", "cat.2.jpg");
        Assert.Equal((image, 3, csv), (rows[1].Path, rows[1].Line, rows[1].Source));
        Assert.Equal($"{image} (labels.csv line 3)", rows[1].ToString());
        // Items are named by ToString in loading errors (a missing image): the CSV and line come with it.
        Assert.Contains("labels.csv line 3", Datasets<CsvLabelRow>.DescribeItem(rows[1]));
        Assert.Contains($"'{csv}' line 3 ('{image}') has 2 labels", Assert.Throws<DataBlocksException>(() => rows[1].Label).Message);
    }

    [Fact]
    public void CsvLabels_Names_The_Line_Of_Bytes_That_Are_Not_Utf8_And_Reads_Other_Encodings_When_Told()
    {
        using var dir = new TempDir();
        string latin1 = WriteCsv(dir, "id,label\ncat.1,cat\ncafé.1,café\n", Encoding.Latin1);
        Assert.Equal($"'{latin1}' line 3: the text is not valid UTF-8 (byte 0xE9); if the file is in another encoding, " +
                     "pass it as encoding (e.g. encoding: Encoding.Latin1).",
            Assert.Throws<DataBlocksException>(() => CsvLabels.Read(latin1)).Message);
        Assert.Equal("café", CsvLabels.Read(latin1, encoding: Encoding.Latin1)[1].Label);
        // A U+FFFD that is valid UTF-8 is a character like any other (with or without a byte order mark).
        foreach (var utf8 in new[] { new UTF8Encoding(false), new UTF8Encoding(true) })
            Assert.Equal("caf\uFFFD", CsvLabels.Read(WriteCsv(dir, "id,label\ncat.1,caf\uFFFD\n", utf8, "fffd.csv"))[0].Label);
    }

    private sealed class Unprintable
    {
        public override string ToString() => throw new System.InvalidOperationException("no");
    }

    [Fact]
    public void An_Item_Whose_ToString_Throws_Still_Gets_A_Name() =>
        Assert.Contains("Unprintable", Datasets<Unprintable>.DescribeItem(new Unprintable()));
}
