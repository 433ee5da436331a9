using System.Collections.Generic;
using DataBlocks;
using DataBlocks.Data;
using DataBlocks.Vision;
using static DataBlocks.Blocks;

namespace DataBlocks.Generators.IntegrationTests;

[Block(ImageBlock, CategoryBlock)]
public partial class Shapes
{
    [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
    [GetX] static string Photo(string path) => path;
    [GetY] static string Shape(string path) => Label.FromParentFolder(path);
    [Splitter] static ISplitter Split => new GrandparentSplitter();
}
