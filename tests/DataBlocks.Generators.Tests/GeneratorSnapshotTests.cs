using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Xunit;

namespace DataBlocks.Generators.Tests;

/// <summary>The generated code for one DataBlock of each block combination the product supports.</summary>
public class GeneratorSnapshotTests
{
    [Fact]
    public void Image_Category_From_File_Names()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.WithUsings("""
            namespace Demo;

            [Block(ImageBlock, CategoryBlock)]
            public partial class DogsCats
            {
                [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
                [GetX] static string Photo(string path) => path;
                [GetY] static string Kind(string path) => Label.FromFileName(path, @"^(cat|dog)\.\d+\.jpg$");
                [Splitter] static ISplitter Split => new RandomSplitter(validPct: 0.2, seed: 42);
            }
            """));
        Assert.Empty(run.OutputErrors);
        GeneratorSnapshot.Verify(run);
    }

    [Fact]
    public void Image_MultiCategory_From_Csv_Records()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.WithUsings("""
            namespace Demo;

            public sealed record PlanetRow(string Name, string Tags);

            [Block(ImageBlock, MultiCategoryBlock)]
            public partial class Planet
            {
                [GetItems] static IEnumerable<PlanetRow> Rows(string root) => new[] { new PlanetRow("a", "clear primary") };
                [GetX] static string Image(PlanetRow r) => $"train/{r.Name}.jpg";
                [GetY] static IEnumerable<string> Tags(PlanetRow r) => r.Tags.Split(' ');
                [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
                [ItemTransforms] static IItemTransform Size => Transforms.Resize(128);
                [BatchTransforms] static IEnumerable<IBatchTransform> Batch => new IBatchTransform[] { Normalize.Imagenet };
            }
            """));
        Assert.Empty(run.OutputErrors);
        GeneratorSnapshot.Verify(run);
    }

    [Fact]
    public void Image_Points_For_Keypoint_Regression()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.WithUsings("""
            using System.Numerics;
            namespace Demo;

            public sealed record Face(string File, Vector2[] Landmarks);

            [Block(ImageBlock, PointBlock)]
            internal partial class Faces
            {
                [GetItems] static List<Face> Read(string csv) => new();
                [GetX] static string Photo(Face f) => f.File;
                [GetY] static Vector2[] Landmarks(Face f) => f.Landmarks;
                [Splitter] static bool IsValid(Face f) => f.File.GetHashCode() % 5 == 0;
            }
            """));
        Assert.Empty(run.OutputErrors);
        GeneratorSnapshot.Verify(run);
    }

    [Fact]
    public void Image_Regression_Without_Splitter_Warns()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.WithUsings("""
            namespace Demo;

            [Block(ImageBlock, RegressionBlock)]
            public partial class Ages
            {
                [GetItems] static string[] Files(string root) => ImageFiles.Under(root).ToArray();
                [GetY] static double Age(string path) => double.Parse(System.IO.Path.GetFileNameWithoutExtension(path).Split('_')[0]);
            }
            """));
        Assert.Empty(run.OutputErrors);
        GeneratorSnapshot.Verify(run);
    }

    [Fact]
    public void Collaborative_Filtering_Ratings()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.WithUsings("""
            namespace Demo;

            public readonly record struct Rating(int User, Guid Movie, float Stars);

            [Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
            public partial class Ratings
            {
                [GetX(0)] static int User(Rating r) => r.User;
                [GetX(1)] static Guid Movie(Rating r) => r.Movie;
                [GetY] static float Stars(Rating r) => r.Stars;
                [Splitter] static ISplitter Split() => new RandomSplitter(0.2, seed: 42);
            }
            """));
        Assert.Empty(run.OutputErrors);
        GeneratorSnapshot.Verify(run);
    }

    [Fact]
    public void Custom_Block_And_Two_Targets_In_A_Nested_Class()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.WithUsings("""
            using DataBlocks.BlockTypes;
            namespace Demo;

            public sealed class SortedCats : CategoryBlock<string>
            {
                public SortedCats() : base(new[] { "b", "a" }, sort: false) { }
            }

            public static partial class Catalog
            {
                [Block(ImageBlock, typeof(SortedCats), RegressionBlock, NInputs = 1)]
                public partial class Products
                {
                    [GetY(0)] static string Kind(string path) => "a";
                    [GetY(1)] static float[] Size(string path) => new[] { 1f, 2f };
                    [Splitter] static ISplitter Split => new GrandparentSplitter();
                }
            }
            """));
        Assert.Empty(run.OutputErrors);
        GeneratorSnapshot.Verify(run);
    }

    [Fact]
    public void A_Class_With_An_Error_Still_Gets_Its_Types_With_Throwing_Factories()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.WithUsings("""
            namespace Demo;

            public sealed record Row(string Path, string Kind);

            [Block(ImageBlock, CategoryBlock)]
            public partial class Pets
            {
                [GetItems] static IEnumerable<Row> Rows(string root) => new Row[0];
                [GetX] static string Photo(Row r) => r.Path;
                [GetY] string Kind(Row r) => r.Kind;
                [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
            }
            """));
        Assert.Empty(run.OutputErrors);
        GeneratorSnapshot.Verify(run);
    }

    [Fact]
    public void Generated_Code_Names_Its_Arguments_Keeps_Lines_Short_And_Casts_Once()
    {
        var files = Directory.GetFiles(Path.Combine(Folder(), "Snapshots"), "*.verified.cs");
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            string[] lines = File.ReadAllLines(file);
            string name = Path.GetFileName(file);
            Assert.All(lines, l => Assert.True(l.Length <= 150, $"{name}: a line of {l.Length} characters: {l.Trim()}"));
            Assert.DoesNotContain(lines, l => Regex.IsMatch(l, @"[(,]\s*(true|false)\s*[,)]"));   // a bare true/false argument
            Assert.DoesNotContain(lines, l => l.Contains("((global::", System.StringComparison.Ordinal));   // a cast inline, once per use
        }
    }

    [Fact]
    public void An_Item_With_A_Label_List_Prints_The_Labels()
    {
        string code = GeneratorHarness.Run(GeneratorHarness.WithUsings("""
            namespace Demo;

            [Block(ImageBlock, MultiCategoryBlock)]
            public partial class Planet
            {
                [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
                [GetY] static string[] Tags(string path) => new[] { "clear", "primary" };
                [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
            }
            """)).Files.Values.Single();
        Assert.Contains("builder.Append(\", Tags = \").Append(__DataBlocks_List(this.Tags));", code);
    }

    private static string Folder([CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}
