using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using CsvHelper;
using DataBlocks;
using DataBlocks.Collab;
using DataBlocks.Data;
using DataBlocks.Vision;
using static DataBlocks.Blocks;

namespace DataBlocks.Bench;

/// <summary>fastai's MNIST_TINY through its labels.csv (fastai 0.7's from_csv flow): path column, label column.</summary>
[Block(ImageBlock, CategoryBlock)]
public partial class MnistTiny
{
    [GetItems] static IReadOnlyList<CsvLabelRow> Rows(string root) => CsvLabels.Read(Path.Combine(root, "labels.csv"));
    [GetX] static string Image(CsvLabelRow row) => row.Path;
    [GetY] static string Digit(CsvLabelRow row) => row.Label;
    [Splitter] static bool IsValid(CsvLabelRow row) => row.Path.Contains($"{Path.DirectorySeparatorChar}valid{Path.DirectorySeparatorChar}");
}

/// <summary>Planet: CMYK JPEGs named in labels.csv without folder or suffix, space-separated tags.</summary>
[Block(ImageBlock, MultiCategoryBlock)]
public partial class Planet
{
    [GetItems] static IReadOnlyList<CsvLabelRow> Rows(string root) =>
        CsvLabels.Read(Path.Combine(root, "labels.csv"), folder: "train", suffix: ".jpg");
    [GetX] static string Image(CsvLabelRow row) => row.Path;
    [GetY] static IReadOnlyList<string> Tags(CsvLabelRow row) => row.Labels;
    [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
    [ItemTransforms] static IItemTransform Size => Transforms.Resize(128);
}

/// <summary>A face photo and its 68 landmarks (pixels).</summary>
public sealed record Face(string Image, Vector2[] Landmarks);

/// <summary>The PyTorch tutorial's faces: 68 keypoints per photo from face_landmarks.csv.</summary>
[Block(ImageBlock, PointBlock)]
public partial class Faces
{
    [GetItems]
    static IEnumerable<Face> Read(string root)
    {
        using var reader = new StreamReader(Path.Combine(root, "face_landmarks.csv"));
        using var csv = new CsvReader(reader, CultureInfo.InvariantCulture);
        csv.Read();
        csv.ReadHeader();
        var faces = new List<Face>();
        while (csv.Read())
        {
            var points = new Vector2[68];
            for (int i = 0; i < 68; i++) points[i] = new Vector2(csv.GetField<float>(1 + 2 * i), csv.GetField<float>(2 + 2 * i));
            faces.Add(new Face(Path.Combine(root, "images", csv.GetField(0)!), points));
        }
        return faces;
    }

    [GetX] static string Photo(Face f) => f.Image;
    [GetY] static Vector2[] Landmarks(Face f) => f.Landmarks;
    [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
    [ItemTransforms] static IItemTransform Size => Transforms.Resize(160);
}

/// <summary>MovieLens 100k ratings: user and movie ids as categorical inputs, the rating as target.</summary>
[Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
public partial class MovieRatings
{
    [GetItems] static IReadOnlyList<MovieRating> Read(string folder) => MovieLens.Read100k(folder);   // line-numbered errors
    [GetX(0)] static int User(MovieRating r) => r.User;
    [GetX(1)] static int Movie(MovieRating r) => r.Movie;
    [GetY] static float Rating(MovieRating r) => r.Rating;
    [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
}

/// <summary>
/// Validation runs over the real datasets in ../shared/data (never committed): each is declared with the DSL, loaded,
/// checked against facts from its SOURCE.md, and drawn to .data/validation/*.png.
/// </summary>
internal static class SharedDatasets
{
    public static int Run(string repo)
    {
        string data = Path.GetFullPath(Path.Combine(repo, "..", "shared", "data"));
        if (!Directory.Exists(data))
        {
            Console.WriteLine($"{data} is not here; nothing to validate.");
            return 0;
        }
        string output = Path.Combine(repo, ".data", "validation");
        var failures = new List<string>();
        void Check(bool ok, string what)
        {
            Console.WriteLine($"  {(ok ? "ok  " : "FAIL")} {what}");
            if (!ok) failures.Add(what);
        }

        Console.WriteLine("dogscats (regex labels from file names, RandomSplitter seed 42):");
        var dogs = DogsCatsValidation.Load(Path.Combine(data, "dogscats", "train"));
        Check(dogs.KindVocab.Values.SequenceEqual(["cat", "dog"]), $"vocab [{string.Join(", ", dogs.KindVocab)}]");
        Check(dogs.TypedDatasets.Train.Count == 800 && dogs.TypedDatasets.Valid.Count == 200, $"split {dogs.TypedDatasets.Train.Count}/{dogs.TypedDatasets.Valid.Count}");
        dogs.Train.ShowBatch(Path.Combine(output, "dogscats.png"));

        Console.WriteLine("mnist_tiny (labels.csv, split by folder):");
        var mnist = MnistTiny.DataLoaders(Path.Combine(data, "mnist", "mnist_tiny"), bs: 64, seed: 1);
        Check(mnist.DigitVocab.Values.SequenceEqual(["3", "7"]), $"vocab [{string.Join(", ", mnist.DigitVocab)}]");
        Check(mnist.TypedDatasets.Train.Count == 709 && mnist.TypedDatasets.Valid.Count == 699, $"split {mnist.TypedDatasets.Train.Count}/{mnist.TypedDatasets.Valid.Count}");
        Check(mnist.TypedDatasets.Train.All(i => Path.GetFileName(Path.GetDirectoryName(i.Image)) == i.Digit), "every CSV label equals the image's folder");
        using (var b = mnist.Train.OneBatch()) Check(b.Image.shape.SequenceEqual([64L, 3, 28, 28]), $"batch {string.Join("x", b.Image.shape)} (greyscale PNG → 3 channels)");

        Console.WriteLine("planet_sample (CMYK JPEGs, multi-label):");
        var planet = Planet.DataLoaders(Path.Combine(data, "planet_sample"), bs: 64, seed: 1);
        Check(planet.TagsVocab.Count == 17, $"{planet.TagsVocab.Count} tags");
        using (var b = planet.Valid.OneBatch())
        {
            Check(b.Tags.shape.SequenceEqual([64L, 17]), $"targets {string.Join("x", b.Tags.shape)}");
            double mean = b.Image.mean().item<float>();
            Check(mean is > 0.15 and < 0.85, $"CMYK decoded to plausible RGB (mean {mean:F3})");
        }
        planet.Valid.ShowBatch(Path.Combine(output, "planet.png"));

        Console.WriteLine("faces (68 keypoints, CRLF CSV):");
        var faces = Faces.DataLoaders(Path.Combine(data, "faces"), bs: 8, seed: 1);
        Check(faces.C == 136, $"{faces.C} outputs");
        using (var b = faces.Valid.OneBatch())
            Check(b.Landmarks.shape.SequenceEqual([8L, 68, 2]) && b.Landmarks.abs().max().item<float>() < 1.5, "points scaled to about [-1, 1]");
        faces.Valid.ShowBatch(Path.Combine(output, "faces.png"), maxItems: 4);

        Console.WriteLine("ml-100k (u.data, categorical inputs):");
        var ratings = MovieRatings.DataLoaders(Path.Combine(data, "ml-100k"), bs: 64, seed: 1);
        Check(ratings.UserVocab.Count <= 944 && ratings.MovieVocab.Count <= 1683, $"{ratings.UserVocab.Count} users, {ratings.MovieVocab.Count} movies (with #na#)");
        Check(ratings.TypedDatasets.Train.Count == 80000, $"{ratings.TypedDatasets.Train.Count} training ratings");

        Console.WriteLine(failures.Count == 0 ? $"All checks passed; pictures in {output}." : $"{failures.Count} check(s) failed.");
        return failures.Count == 0 ? 0 : 1;
    }
}

/// <summary>The dogscats DataBlock with a 20% random validation split (the benchmark's DogsCats trains on everything).</summary>
[Block(ImageBlock, CategoryBlock)]
public partial class DogsCatsValidation
{
    [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
    [GetY] static string Kind(string path) => Label.FromFileName(path, @"^(cat|dog)\.\d+\.jpg$");
    [Splitter] static ISplitter Split => new RandomSplitter(validPct: 0.2, seed: 42);
    [ItemTransforms] static IItemTransform Size => Transforms.Resize(224);
    [BatchTransforms] static IBatchTransform Norm => Transforms.ImagenetNormalize();

    public static DogsCatsValidationDataLoaders Load(string root) => DataLoaders(root, bs: 64, seed: 1);
}
