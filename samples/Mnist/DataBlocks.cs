using System.Collections.Generic;
using System.IO;
using DataBlocks;
using DataBlocks.Data;
using DataBlocks.Vision;
using static DataBlocks.Blocks;

namespace Mnist;

/// <summary>fastai's MNIST_SAMPLE: train/3, train/7, valid/3, valid/7 — label = parent folder, split = grandparent.</summary>
[Block(ImageBlock, CategoryBlock)]
public partial class MnistSample
{
    [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root, recurse: true, "train", "valid");
    [GetY] static string Digit(string path) => Label.FromParentFolder(path);
    [Splitter] static ISplitter Split => new GrandparentSplitter();
    [BatchTransforms] static IBatchTransform Norm => Transforms.Normalize([0.131f, 0.131f, 0.131f], [0.308f, 0.308f, 0.308f]);
}

/// <summary>fastai's MNIST_TINY through its labels.csv (name,label; name relative to the folder), fastai 0.7's from_csv flow.</summary>
[Block(ImageBlock, CategoryBlock)]
public partial class MnistTiny
{
    [GetItems] static IReadOnlyList<CsvLabelRow> Rows(string root) => CsvLabels.Read(Path.Combine(root, "labels.csv"));
    [GetX] static string Image(CsvLabelRow row) => row.Path;
    [GetY] static string Digit(CsvLabelRow row) => row.Label;
    [Splitter] static bool IsValid(CsvLabelRow row) => Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(row.Path))) == "valid";
    [BatchTransforms] static IBatchTransform Norm => Transforms.Normalize([0.131f, 0.131f, 0.131f], [0.308f, 0.308f, 0.308f]);
}
