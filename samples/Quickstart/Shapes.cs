using System.Collections.Generic;
using DataBlocks;
using DataBlocks.Data;
using DataBlocks.Vision;
using static DataBlocks.Blocks;

namespace Quickstart;

/// <summary>
/// The DataBlock: images under train/&lt;shape&gt; and valid/&lt;shape&gt;, labelled by their folder. There is no [GetX]: the
/// item (a path) is the image, as with fastai's no-op getter. The generator adds Shapes.DataLoaders(...) and friends.
/// </summary>
[Block(ImageBlock, CategoryBlock)]
public partial class Shapes
{
    [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root, recurse: true, "train", "valid");
    [GetY] static string Shape(string path) => Label.FromParentFolder(path);
    [Splitter] static ISplitter Split => new GrandparentSplitter(trainName: "train", validName: "valid");
    [BatchTransforms] static IBatchTransform Normalize => Transforms.ImagenetNormalize();
}
