using System.Collections.Generic;
using DataBlocks;
using DataBlocks.Data;
using DataBlocks.Vision;
using static DataBlocks.Blocks;

namespace DataBlocks.Bench;

/// <summary>
/// The dogs-vs-cats photos: label in the file name. Every photo but one trains, because the benchmark measures the
/// training loader (the one with random crops, shuffling and drop_last).
/// </summary>
[Block(ImageBlock, CategoryBlock)]
public partial class DogsCats
{
    [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
    [GetY] static string Kind(string path) => Label.FromFileName(path, @"^(cat|dog)\.\d+\.jpg$");
    [Splitter] static ISplitter Split => new IndexSplitter([0]);
}
