using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace DataBlocks.Generators.Tests;

/// <summary>Valid but unusual declarations compile without warnings; invalid ones never make the generator throw.</summary>
public class EdgeCaseTests
{
    private static GeneratorRun Run(string body) => GeneratorHarness.Run(GeneratorHarness.WithUsings("namespace Demo;\n\n" + body));

    private static void AssertCompilesCleanly(GeneratorRun run, int files = 1)
    {
        Assert.Empty(run.DataBlocksDiagnostics);
        Assert.Equal(files, run.Files.Count);
        Assert.Empty(run.OutputErrors);
        // Generated code must not warn either: users build with TreatWarningsAsErrors.
        var generated = run.Output.SyntaxTrees.Where(t => t.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal)).ToArray();
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Warning && generated.Contains(d.Location.SourceTree)));
    }

    [Fact]
    public void Keyword_Named_Getters_And_Parameters_Are_Escaped() => AssertCompilesCleanly(Run("""
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
            [GetItems] static IEnumerable<string> Files(string @base) => ImageFiles.Under(@base);
            [GetY] static string @class(string path) => Label.FromParentFolder(path);
            [Splitter] static ISplitter @static => new GrandparentSplitter();
        }
        """));

    [Fact]
    public void Nullable_Labels_Do_Not_Leak_Into_Notnull_Type_Arguments()
    {
        var run = Run("""
        [Block(ImageBlock, MultiCategoryBlock)]
        public partial class Tagged
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] static List<string?> Tags(string path) => new() { null };
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }

        [Block(ImageBlock, CategoryBlock)]
        public partial class Maybe
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] static string? Kind(string path) => null;
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """);
        AssertCompilesCleanly(run, files: 2);
    }

    [Fact]
    public void Bool_Labels_Are_Categories_As_In_Fastai_Lesson_One() => AssertCompilesCleanly(Run("""
        [Block(ImageBlock, CategoryBlock)]
        public partial class IsCat
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] static bool Cat(string path) => char.IsUpper(System.IO.Path.GetFileName(path)[0]);
            [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
        }
        """));

    [Fact]
    public void Items_From_A_Sequence_Of_Nullable_Rows_Compile_Cleanly() => AssertCompilesCleanly(Run("""
        public sealed record Rating(int User, string Movie, float Stars);

        [Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
        public partial class Ratings
        {
            [GetItems] static IEnumerable<Rating?> Rows(string path) => new Rating?[0];
            [GetX(0)] static int User(Rating? r) => r!.User;
            [GetX(1)] static string Movie(Rating? r) => r!.Movie;
            [GetY] static float Stars(Rating? r) => r!.Stars;
            [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
        }

        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
            [GetItems] static IEnumerable<string?> Files(string root) => ImageFiles.Under(root);
            [GetY] static string Kind(string? path) => Label.FromParentFolder(path!);
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """), files: 2);

    [Fact]
    public void Keys_Ordered_Through_A_Base_Type_Or_Plain_IComparable_And_A_Getter_Named_PrintMembers() => AssertCompilesCleanly(Run("""
        public abstract record Key(int V) : IComparable<Key> { public int CompareTo(Key? other) => V.CompareTo(other?.V ?? 0); }
        public sealed record UserKey(int V) : Key(V);
        public sealed class Code : IComparable
        {
            public string Text = "";
            public int CompareTo(object? other) => string.CompareOrdinal(Text, (other as Code)?.Text);
            public override bool Equals(object? other) => other is Code c && c.Text == Text;
            public override int GetHashCode() => Text.GetHashCode();
        }
        public interface IKey { int Id { get; } }
        public sealed record Film(int Id) : IKey, IComparable<IKey> { public int CompareTo(IKey? other) => Id.CompareTo(other?.Id ?? 0); }
        public sealed record Rating(UserKey User, Code Movie, Film Film, float Stars);

        [Block(CategoricalBlock, CategoricalBlock, CategoricalBlock, RegressionBlock)]
        public partial record Ratings
        {
            [GetItems] static IEnumerable<Rating> Rows(string path) => new Rating[0];
            [GetX(0)] static UserKey User(Rating r) => r.User;
            [GetX(1)] static Code PrintMembers(Rating r) => r.Movie;
            [GetX(2)] static Film Film(Rating r) => r.Film;
            [GetY] static float Stars(Rating r) => r.Stars;
            [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
        }
        """));

    [Fact]
    public void A_Protected_DataBlock_May_Use_Protected_Types_Of_Its_Outer_Class() => AssertCompilesCleanly(Run($$"""
        public partial class Outer
        {
            protected enum Genre { Drama, Comedy }
            protected sealed record Rating(int User, int Genre, float Stars);

            [Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
            protected partial class Ratings
            {
                {{GeneratorHarness.GenreRatingMembers}}
            }
        }
        """));

    [Fact]
    public void Protected_Types_Of_A_Base_Class_Or_Reached_Through_A_Private_Class_Are_Accessible() => AssertCompilesCleanly(Run($$"""
        public class Catalog
        {
            protected enum Genre { Drama, Comedy }
            protected internal sealed record Rating(int User, int Genre, float Stars);
        }

        public partial class Shop : Catalog
        {
            [Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
            protected partial class Ratings
            {
                {{GeneratorHarness.GenreRatingMembers}}
            }
        }

        public partial class Store : Catalog
        {
            private partial class Inner
            {
                [Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
                public partial class Ratings
                {
                    {{GeneratorHarness.GenreRatingMembers}}
                }
            }
        }
        """), files: 2);

    [Fact]
    public void A_Record_Can_Be_A_DataBlock() => AssertCompilesCleanly(Run("""
        [Block(ImageBlock, CategoryBlock)]
        public partial record Pets
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] static string Kind(string path) => Label.FromParentFolder(path);
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """));

    [Fact]
    public void A_Generic_Type_With_A_Generated_Name_Does_Not_Clash() => AssertCompilesCleanly(Run("""
        public sealed class PetsBatch<T> { }

        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] static string Kind(string path) => Label.FromParentFolder(path);
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """));

    [Fact]
    public void Getter_Named_Like_The_Class_Keeps_Its_Name_Unless_It_Clashes()
    {
        var run = Run("""
            [Block(ImageBlock, CategoryBlock)]
            public partial class Dog
            {
                [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
                [GetX] static string DogItem(string path) => path;
                [GetY] static string DogBreed(string path) => Label.FromParentFolder(path);
                [Splitter] static ISplitter Split => new GrandparentSplitter();
            }
            """);
        AssertCompilesCleanly(run);
        string code = run.Files.Values.Single();
        Assert.Contains("DogBreedVocab", code);
        Assert.Contains("string DogItemValue", code);   // a member of DogItem cannot be called DogItem (CS0542)
    }

    [Theory]
    [InlineData("[Block((object[])null)]")]
    [InlineData("[Block(null, null)]")]
    [InlineData("[Block(ImageBlock, CategoryBlock)] [Block(ImageBlock, CategoryBlock)]")]
    public void Broken_Block_Attributes_Do_Not_Throw(string attribute)
    {
        var run = Run(attribute + """

            public partial class Pets
            {
                [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
                [Splitter] static ISplitter Split => new GrandparentSplitter();
            }
            """);
        Assert.NotEmpty(run.DataBlocksDiagnostics.Concat(run.OutputErrors));
        DiagnosticsTests.AssertGeneratedCodeCompiles(run);
    }

    [Fact]
    public void Block_On_Two_Partial_Declarations_Is_Left_To_The_Compiler()
    {
        var run = Run("""
            [Block(ImageBlock, CategoryBlock)]
            public partial class Pets
            {
                [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            }

            [Block(ImageBlock, CategoryBlock)]
            public partial class Pets
            {
                [Splitter] static ISplitter Split => new GrandparentSplitter();
            }
            """);
        Assert.Empty(run.Files);
        Assert.Contains(run.OutputErrors, d => d.Id == "CS0579");
    }
}
