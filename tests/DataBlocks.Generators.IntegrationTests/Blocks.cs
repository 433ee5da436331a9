using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using DataBlocks;
using DataBlocks.Data;
using DataBlocks.Vision;
using static DataBlocks.Blocks;

namespace DataBlocks.Generators.IntegrationTests;

/// <summary>Single label from folders; GetX given.</summary>
[Block(ImageBlock, CategoryBlock)]
public partial class Shapes
{
    [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
    [GetX] static string Photo(string path) => path;
    [GetY] static string Shape(string path) => Label.FromParentFolder(path);
    [Splitter] static ISplitter Split => new GrandparentSplitter();
    [ItemTransforms] static IItemTransform Size => Transforms.Resize(24);
}

public sealed record TaggedImage(string Path, string Tags);

/// <summary>Multi-label from CSV-like records; no GetX for the image would not compile (DB0203), so it is given.</summary>
[Block(ImageBlock, MultiCategoryBlock)]
public partial class Tagged
{
    [GetItems] static IEnumerable<TaggedImage> Rows(string csv) =>
        CsvLabels.Read(csv, labelDelimiter: null).Select(r => new TaggedImage(r.Path, r.Labels[0]));
    [GetX] static string Image(TaggedImage t) => t.Path;
    [GetY] static string[] Tags(TaggedImage t) => t.Tags.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    [Splitter] static bool IsValid(TaggedImage t) => Path.GetFileName(t.Path).StartsWith('v');
}

public sealed record Dot(string Path, Vector2 Position);

/// <summary>Keypoints: one dot per image.</summary>
[Block(ImageBlock, PointBlock)]
public partial class Dots
{
    [GetX] static string Image(Dot d) => d.Path;
    [GetY] static Vector2[] Centre(Dot d) => [d.Position];
    [Splitter] static ISplitter Split => new IndexSplitter([0, 1]);
}

public readonly record struct Rating(int User, string Movie, float Stars);

/// <summary>Collaborative filtering shape: two categorical inputs, a continuous target; the items are passed in.</summary>
[Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
public partial class Ratings
{
    [GetX(0)] static int User(Rating r) => r.User;
    [GetX(1)] static string Movie(Rating r) => r.Movie;
    [GetY] static float Stars(Rating r) => r.Stars;
    [Splitter] static ISplitter Split => new RandomSplitter(0.25, seed: 1);
}
