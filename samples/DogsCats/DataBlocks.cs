using System.Collections.Generic;
using DataBlocks;
using DataBlocks.Data;
using DataBlocks.Vision;
using static DataBlocks.Blocks;

namespace DogsCats;

/// <summary>
/// Kaggle's dogs-vs-cats photos in one flat folder, labelled by file name (<c>cat.12.jpg</c>), 20% held out at random
/// (seed 42): fastai's <c>RegexLabeller(r'^(cat|dog)\.\d+\.jpg$')</c> and <c>RandomSplitter(valid_pct=0.2, seed=42)</c>.
/// The image size is the item transform the program passes (<c>item: new Resize(128)</c>), so the same DataBlock serves
/// the 128 px and the 224 px stages of progressive resizing.
/// </summary>
[Block(ImageBlock, CategoryBlock)]
public partial class Pets
{
    [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root, recurse: true);
    [GetY] static string Kind(string path) => Label.FromFileName(path, @"^(cat|dog)\.\d+\.jpg$");
    [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
}
