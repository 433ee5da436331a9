using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace DataBlocks.Generators.Tests;

/// <summary>
/// One test per diagnostic: its ID, severity, exact location (the <c>[|...|]</c> span in the source) and the message
/// arguments; plus the fixed source, which produces no diagnostic and compiles.
/// </summary>
public class DiagnosticsTests
{
    private const string Members = """
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] static string Kind(string path) => Label.FromParentFolder(path);
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        """;

    [Fact]
    public void DB0001_Class_Not_Partial() => Expect("DB0001", $$"""
        [Block(ImageBlock, CategoryBlock)]
        public class [|Pets|]
        {
        {{Members}}
        }
        """, ["'Pets'", "partial"]);

    [Fact]
    public void DB0002_Generic_Class() => Expect("DB0002", $$"""
        [Block(ImageBlock, CategoryBlock)]
        public partial class [|Pets|]<T>
        {
        {{Members}}
        }
        """, ["it is generic"]);

    [Fact]
    public void DB0002_Class_Nested_In_A_Generic_Type() => Expect("DB0002", $$"""
        public partial class Outer<T>
        {
            [Block(ImageBlock, CategoryBlock)]
            public partial class [|Pets|]
            {
            {{Members}}
            }
        }
        """, ["generic type 'Outer'"]);

    [Fact]
    public void DB0003_Unknown_Block_Name() => Expect("DB0003", $$"""
        [Block(ImageBlock, [|"Catgory"|])]
        public partial class Pets
        {
        {{Members}}
        }
        """, ["\"Catgory\"", "DataBlocks.Blocks"]);

    [Fact]
    public void DB0003_Type_That_Is_Not_A_Block() => Expect("DB0003", $$"""
        [Block(ImageBlock, [|typeof(string)|])]
        public partial class Pets
        {
        {{Members}}
        }
        """, ["typeof(String)", "does not implement DataBlocks.Data.IBlock<TValue>"]);

    [Fact]
    public void DB0003_Block_Without_A_Public_Parameterless_Constructor() => Expect("DB0003", $$"""
        public sealed class MyBlock : DataBlocks.BlockTypes.CategoryBlock<string> { public MyBlock(int x) { } }

        [Block(ImageBlock, [|typeof(MyBlock)|])]
        public partial class Pets
        {
        {{Members}}
        }
        """, ["no public parameterless constructor"]);

    [Fact]
    public void DB0004_One_Block() => Expect("DB0004", $$"""
        [[|Block(ImageBlock)|]]
        public partial class Pets
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """, ["'Pets'", "1 block"]);

    [Fact]
    public void DB0005_NInputs_Out_Of_Range() => Expect("DB0005", $$"""
        [Block(ImageBlock, CategoryBlock, [|NInputs = 2|])]
        public partial class Pets
        {
        {{Members}}
        }
        """, ["NInputs = 2", "between 1 and 1"]);

    [Fact]
    public void DB0006_Containing_Type_Not_Partial() => Expect("DB0006", $$"""
        public class Outer
        {
            [Block(ImageBlock, CategoryBlock)]
            public partial class [|Pets|]
            {
            {{Members}}
            }
        }
        """, ["'Outer'"]);

    [Fact]
    public void DB0007_Item_Type_Less_Accessible_Than_The_Class() => Expect("DB0007", $$"""
        internal sealed record Row(string Path);

        [Block(ImageBlock, CategoryBlock)]
        public partial class [|Pets|]
        {
            [GetItems] static IEnumerable<Row> Rows(string root) => new Row[0];
            [GetX] static string Photo(Row r) => r.Path;
            [GetY] static string Kind(Row r) => "cat";
            [Splitter] static ISplitter Split => new RandomSplitter(0.2, 1);
        }
        """, ["'Demo.Row'", "the item type"]);

    [Fact]
    public void DB0007_Internal_Key_Of_A_Protected_DataBlock() => Expect("DB0007", $$"""
        internal enum Genre { Drama, Comedy }
        public sealed record Rating(int User, int Genre, float Stars);

        public partial class Outer
        {
            [Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
            protected partial class [|Ratings|]
            {
                {{GeneratorHarness.GenreRatingMembers}}
            }
        }
        """, ["'Demo.Genre'", "the value of 'Kind'"]);

    [Fact]
    public void DB0007_Protected_Key_Of_An_Internal_DataBlock() => Expect("DB0007", $$"""
        public partial class Outer
        {
            protected enum Genre { Drama, Comedy }
            protected internal sealed record Rating(int User, int Genre, float Stars);

            [Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
            internal partial class [|Ratings|]
            {
                {{GeneratorHarness.GenreRatingMembers}}
            }
        }
        """, ["'Demo.Outer.Genre'", "the value of 'Kind'"]);

    [Fact]
    public void DB0007_Protected_Key_Of_A_DataBlock_In_Another_Hierarchy() => Expect("DB0007", $$"""
        public partial class Outer
        {
            protected enum Genre { Drama, Comedy }
            public sealed record Rating(int User, int Genre, float Stars);

            public partial class Inner   // nested in Outer, but not derived from it: its derived classes may live anywhere
            {
                [Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
                protected partial class [|Ratings|]
                {
                    {{GeneratorHarness.GenreRatingMembers}}
                }
            }
        }
        """, ["'Demo.Outer.Genre'", "the value of 'Kind'"]);

    [Fact]
    public void DB0007_Protected_Internal_Item_Type_Of_A_DataBlock_In_Another_Hierarchy() => Expect("DB0007", $$"""
        public partial class Outer
        {
            public enum Genre { Drama, Comedy }
            protected internal sealed record Rating(int User, int Genre, float Stars);

            public partial class Inner   // its derived classes in other assemblies see Inner's members, not Outer's
            {
                [Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
                protected partial class [|Ratings|]
                {
                    {{GeneratorHarness.GenreRatingMembers}}
                }
            }
        }
        """, ["'Demo.Outer.Rating'", "the item type"]);

    [Fact]
    public void DB0007_File_Local_Key_Type() => Expect("DB0007", $$"""
        file enum Genre { Drama, Comedy }
        public sealed record Rating(int User, int Genre, float Stars);

        [Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
        internal partial class [|Ratings|]
        {
            {{GeneratorHarness.GenreRatingMembers}}
        }
        """, ["Genre", "the value of 'Kind'"]);

    [Fact]
    public void DB0009_File_Local_Class() => Expect("DB0009", $$"""
        [Block(ImageBlock, CategoryBlock)]
        file partial class [|Pets|]
        {
        {{Members}}
        }
        """, ["'Pets' is file-local", "internal"]);

    [Fact]
    public void DB0009_Class_Nested_In_A_File_Local_Type() => Expect("DB0009", $$"""
        file partial class Outer
        {
            [Block(ImageBlock, CategoryBlock)]
            internal partial class [|Pets|]
            {
            {{Members}}
            }
        }
        """, ["'Pets' is file-local"]);

    [Fact]
    public void DB0201_A_Struct_Key_Ordered_Only_As_Object() => Expect("DB0201", """
        public readonly record struct Code(int V) : IComparable<object>
        {
            public int CompareTo(object? other) => other is Code c ? V.CompareTo(c.V) : 1;
        }

        [Block(CategoricalBlock, RegressionBlock)]
        public partial class Ratings
        {
            [GetItems] static IEnumerable<int> Ids(string root) => new[] { 1 };
            [GetX] static [|Code|] User(int id) => new Code(id);
            [GetY] static float Stars(int id) => 3;
            [Splitter] static ISplitter Split => new RandomSplitter(0.5, 1);
        }
        """, ["'User'", "'Demo.Code'"]);

    [Fact]
    public void DB0008_Member_Named_Like_A_Generated_One() => Expect("DB0008", $$"""
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
        {{Members}}
            public static int [|DataLoaders|]() => 0;
        }
        """, ["Member 'DataLoaders'", "'Pets.DataLoaders'"]);

    [Fact]
    public void DB0008_Type_Named_Like_A_Generated_One() => Expect("DB0008", $$"""
        public sealed class [|PetsBatch|] { }

        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
        {{Members}}
        }
        """, ["Type 'PetsBatch'"]);

    [Fact]
    public void DB0100_No_Item_Type() => Expect("DB0100", """
        [Block(ImageBlock, CategoryBlock)]
        public partial class [|Pets|]
        {
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """, ["'Pets'", "[GetItems]"]);

    [Fact]
    public void DB0101_Two_GetItems() => Expect("DB0101", $$"""
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
        {{Members}}
            [GetItems] static IEnumerable<string> [|More|](string root) => ImageFiles.Under(root);
        }
        """, ["'Files'", "'More'"]);

    [Fact]
    public void DB0102_GetItems_Not_A_Sequence() => Expect("DB0102", """
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
            [GetItems] static int [|Files|](string root) => 3;
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """, ["'Files'", "returns 'int'"]);

    [Fact]
    public void DB0103_No_GetItems_Is_An_Info_Saying_The_Factories_Take_The_Items() => Expect("DB0103", """
        public sealed record Rating(int User, float Stars);

        [Block(CategoricalBlock, RegressionBlock)]
        public partial class [|Ratings|]
        {
            [GetX] static int User(Rating r) => r.User;
            [GetY] static float Stars(Rating r) => r.Stars;
            [Splitter] static ISplitter Split => new RandomSplitter(0.5, 1);
        }
        """, ["'Ratings'", "take the items themselves", "IEnumerable<Demo.Rating>", "[GetItems]"], DiagnosticSeverity.Info);

    [Fact]
    public void DB0200_Getter_Takes_The_Wrong_Item_Type() => Expect("DB0200", $$"""
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
        {{Members}}
            [GetX] static string Photo([|int|] index) => "";
        }
        """, ["'Photo'", "'int'", "'string'"]);

    [Fact]
    public void DB0201_Getter_Type_Not_Accepted_By_Its_Block() => Expect("DB0201", """
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] static [|double|] Kind(string path) => 1.5;
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """, ["'Kind'", "'double'", "CategoryBlock", "string, bool, char, an enum or an integer type"]);

    [Fact]
    public void DB0201_MultiCategory_Getter_Returning_A_String() => Expect("DB0201", """
        [Block(ImageBlock, MultiCategoryBlock)]
        public partial class Pets
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] static [|string|] Tags(string path) => "a b";
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """, ["'Tags'", "MultiCategoryBlock", "IEnumerable<T>"]);

    [Fact]
    public void DB0202_More_Getters_Than_Blocks() => Expect("DB0202", $$"""
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
        {{Members}}
            [GetY] static string [|Breed|](string path) => "";
        }
        """, ["2 [GetY]", "1 target"]);

    [Fact]
    public void DB0203_Missing_Getter() => Expect("DB0203", """
        [Block([|ImageBlock|], CategoryBlock)]
        public partial class Pets
        {
            [GetItems] static IEnumerable<int> Ids(string root) => new[] { 1, 2 };
            [GetY] static string Kind(int id) => "cat";
            [Splitter] static ISplitter Split => new RandomSplitter(0.5, 1);
        }
        """, ["Input #0", "ImageBlock", "[GetX]", "'int'"]);

    [Fact]
    public void DB0204_Getter_Not_Static() => Expect("DB0204", """
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] string [|Kind|](string path) => "cat";
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """, ["GetY", "'Kind'", "is not static"]);

    [Fact]
    public void A_Non_Static_Getter_Gives_Only_DB0204_Not_A_Missing_Getter_Too()
    {
        // The target (CategoryBlock) cannot take the Row item itself, so it would also be "missing" its [GetY] getter.
        var run = GeneratorHarness.Run(Source("""
            public sealed record Row(string Path, string Kind);

            [Block(ImageBlock, CategoryBlock)]
            public partial class Pets
            {
                [GetItems] static IEnumerable<Row> Rows(string root) => new Row[0];
                [GetX] static string Photo(Row r) => r.Path;
                [GetY] string Kind(Row r) => r.Kind;
                [Splitter] static ISplitter Split => new RandomSplitter(0.2, 1);
            }
            """));
        Assert.Equal(["DB0204"], run.DataBlocksDiagnostics.Select(d => d.Id));
    }

    [Fact]
    public void A_Refused_Getter_Keeps_Its_Blocks_Place_So_The_Next_Getter_Is_Not_Misplaced()
    {
        // Unindexed getters go to the blocks in order: the refused Photo still stands for the ImageBlock, so User is
        // the CategoricalBlock's (not an int given to the ImageBlock, DB0201, with the key "missing", DB0203).
        var run = GeneratorHarness.Run(Source("""
            public sealed record Row(string Path, int User, float Stars);

            [Block(ImageBlock, CategoricalBlock, RegressionBlock)]
            public partial class Ratings
            {
                [GetItems] static IEnumerable<Row> Rows(string root) => new Row[0];
                [GetX] string Photo(Row r) => r.Path;
                [GetX] static int User(Row r) => r.User;
                [GetY] static float Stars(Row r) => r.Stars;
                [Splitter] static ISplitter Split => new RandomSplitter(0.2, 1);
            }
            """));
        Assert.Equal(["DB0204"], run.DataBlocksDiagnostics.Select(d => d.Id));
        Assert.Contains("UserVocab", run.Files.Values.Single());   // User is bound to the key block
    }

    [Fact]
    public void A_Getter_With_A_Bad_Index_Gives_Only_DB0205()
    {
        var run = GeneratorHarness.Run(Source("""
            public sealed record Row(string Path, string Kind);

            [Block(ImageBlock, CategoryBlock)]
            public partial class Pets
            {
                [GetItems] static IEnumerable<Row> Rows(string root) => new Row[0];
                [GetX] static string Photo(Row r) => r.Path;
                [GetY(1)] static string Kind(Row r) => r.Kind;
                [Splitter] static ISplitter Split => new RandomSplitter(0.2, 1);
            }
            """));
        Assert.Equal(["DB0205"], run.DataBlocksDiagnostics.Select(d => d.Id));
    }

    [Fact]
    public void A_Class_With_An_Error_Gives_That_One_Diagnostic_And_Its_Generated_Types_Still_Bind()
    {
        var run = GeneratorHarness.Run(Source("""
            public sealed record Row(string Path, string Kind);

            [Block(ImageBlock, CategoryBlock)]
            public partial class Pets
            {
                [GetItems] static IEnumerable<Row> Rows(string root) => new Row[0];
                [GetX] static string Photo(Row r) => r.Path;
                [GetY] string Kind(Row r) => r.Kind;
                [Splitter] static ISplitter Split => new RandomSplitter(0.2, 1);
            }

            public static class Use
            {
                public static int Train(string root)
                {
                    PetsDataLoaders dls = Pets.DataLoaders(root, bs: 8, seed: 1);
                    PetsDatasets dsets = Pets.Datasets(root);
                    PetsItem first = dsets.Train[0];
                    DataBlocks.Data.DataBlockDefinition<Row> definition = Pets.Definition;
                    using PetsBatch batch = new PetsBatch(null!);
                    return batch.Size + (batch.Photo is null ? 0 : 1) + first.Photo.Length + dls.Train.GetHashCode()
                           + dls.KindVocab.Count + (batch.Kind is null ? 0 : 1) + first.Kind.Length + dsets.DecodeKind(0).Length;
                }
            }
            """));
        var d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("DB0204", d.Id);
        Assert.Contains("'Kind' is not static", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(run.OutputErrors);   // no CS0117/CS0246/CS1061 at the uses of Pets.DataLoaders, PetsBatch, batch.Kind, ...
        string code = run.Files.Values.Single();
        Assert.Contains("private const string __DataBlocks_error =\n            \"'Pets' has DataBlocks errors, the first being DB0204:", code);
        Assert.Contains("DataLoaders(string root, global::DataBlocks.Data.DataLoaderOptions options) =>\n" +
                        "            throw new global::System.InvalidOperationException(__DataBlocks_error);", code);
    }

    [Fact]
    public void A_Class_That_Is_Not_Partial_Still_Gets_The_Types_Next_To_It()
    {
        var run = GeneratorHarness.Run(Source($$"""
            [Block(ImageBlock, CategoryBlock)]
            public class Pets
            {
            {{Members}}
            }

            public static class Use
            {
                public static long Size(PetsBatch batch, PetsItem item) => batch.Size + item.Kind.Length;
            }
            """));
        Assert.Equal(["DB0001"], run.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Empty(run.OutputErrors);   // PetsBatch, PetsItem bind; only Pets.DataLoaders(...) would not
        Assert.DoesNotContain("partial class Pets", run.Files.Values.Single());
    }

    [Fact]
    public void A_Class_Without_Any_Item_Type_Gives_DB0100_Alone_Where_Its_Factories_Are_Called()
    {
        var run = GeneratorHarness.Run(Source("""
            [Block(ImageBlock, CategoryBlock)]
            public partial class Pets
            {
                [Splitter] static ISplitter Split => new GrandparentSplitter();
            }

            public static class Use
            {
                public static int Train(string root) => Pets.DataLoaders(root, bs: 8).Train.GetHashCode() + Pets.Datasets(root).Train.Count;
            }
            """));
        Assert.Equal(["DB0100"], run.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Empty(run.OutputErrors);
    }

    [Fact]
    public void DB0205_Duplicate_Getter_Index() => Expect("DB0205", """
        [Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
        public partial class Ratings
        {
            [GetItems] static IEnumerable<(int, int, float)> Rows(string file) => new[] { (1, 2, 3f) };
            [GetX(0)] static int User((int, int, float) r) => r.Item1;
            [[|GetX(0)|]] static int Movie((int, int, float) r) => r.Item2;
            [GetY] static float Stars((int, int, float) r) => r.Item3;
            [Splitter] static ISplitter Split => new RandomSplitter(0.5, 1);
        }
        """, ["'Movie'", "index 0", "'User'"]);

    [Fact]
    public void DB0205_Negative_Getter_Index() => Expect("DB0205", $$"""
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [[|GetY(-1)|]] static string Kind(string path) => "cat";
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """, ["'Kind'", "index -1", "start at 0"]);

    [Fact]
    public void DB0207_Getter_In_A_Base_Class() => Expect("DB0207", """
        public class PetsBase
        {
            [GetY] protected static string Kind(string path) => Label.FromParentFolder(path);
        }

        [Block(ImageBlock, CategoryBlock)]
        public partial class [|Pets|] : PetsBase
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """, ["[GetY]", "'PetsBase.Kind'", "'Pets'"]);

    [Fact]
    public void DB0201_Custom_Block_Value_Reached_Only_By_A_Numeric_Conversion() => Expect("DB0201", """
        public sealed class Doubles : DataBlocks.BlockTypes.RegressionBlock<double> { }

        [Block(ImageBlock, typeof(Doubles))]
        public partial class Scores
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] static [|int|] Score(string path) => 3;
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """, ["'Score'", "'int'", "Doubles", "'double'"]);

    [Fact]
    public void DB0003_Null_Block() => Expect("DB0003", $$"""
        [Block([|null|])]
        public partial class Pets
        {
        {{Members}}
        }
        """, ["null"]);

    [Fact]
    public void DB0206_Points_Without_An_Image() => Expect("DB0206", """
        [Block(CategoricalBlock, PointBlock)]
        public partial class [|Marks|]
        {
            [GetItems] static IEnumerable<string> Ids(string root) => new[] { "a" };
            [GetY] static System.Numerics.Vector2[] Points(string id) => new System.Numerics.Vector2[1];
            [Splitter] static ISplitter Split => new RandomSplitter(0.5, 1);
        }
        """, ["'Marks'", "PointBlock"]);

    [Fact]
    public void DB0208_A_CategoricalBlock_Target() => Expect("DB0208", """
        [Block(CategoricalBlock, [|CategoricalBlock|])]
        public partial class Ratings
        {
            [GetItems] static IEnumerable<string> Ids(string root) => new[] { "a" };
            [GetX] static string User(string id) => id;
            [GetY] static string Item(string id) => id;
            [Splitter] static ISplitter Split => new RandomSplitter(0.5, 1);
        }
        """, ["'Ratings'", "CategoricalBlock as a target", "RegressionBlock"]);

    [Fact]
    public void DB0208_Comes_Before_Asking_For_The_Targets_Getter() => Expect("DB0208", """
        [Block(CategoricalBlock, CategoricalBlock, [|CategoricalBlock|])]
        public partial class Ratings
        {
            [GetItems] static IEnumerable<string> Ids(string root) => new[] { "a" };
            [GetX(0)] static string User(string id) => id;
            [GetX(1)] static string Item(string id) => id;
            [Splitter] static ISplitter Split => new RandomSplitter(0.5, 1);
        }
        """, ["'Ratings'", "CategoricalBlock as a target"]);

    [Fact]
    public void DB0201_A_Key_Class_Without_Value_Equality() => Expect("DB0201", """
        public sealed class UserId : IComparable<UserId>
        {
            public int V;
            public int CompareTo(UserId? other) => V.CompareTo(other?.V ?? 0);
        }

        [Block(CategoricalBlock, RegressionBlock)]
        public partial class Ratings
        {
            [GetItems] static IEnumerable<int> Ids(string root) => new[] { 1 };
            [GetX] static [|UserId|] User(int id) => new UserId { V = id };
            [GetY] static float Stars(int id) => 3;
            [Splitter] static ISplitter Split => new RandomSplitter(0.5, 1);
        }
        """, ["'User'", "'Demo.UserId'", "value equality"]);

    [Fact]
    public void DB0300_No_Splitter_Is_A_Warning() => Expect("DB0300", """
        [Block(ImageBlock, CategoryBlock)]
        public partial class [|Pets|]
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] static string Kind(string path) => Label.FromParentFolder(path);
        }
        """, ["'Pets'", "20%"], DiagnosticSeverity.Warning);

    [Fact]
    public void DB0301_Splitter_Of_The_Wrong_Type() => Expect("DB0301", """
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] static string Kind(string path) => Label.FromParentFolder(path);
            [Splitter] static string [|Split|] => "train";
        }
        """, ["'Split'", "is a 'string'"]);

    [Fact]
    public void DB0302_Two_Splitters() => Expect("DB0302", $$"""
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
        {{Members}}
            [Splitter] static bool [|IsValid|](string path) => false;
        }
        """, ["'Split'", "'IsValid'"]);

    [Fact]
    public void DB0400_Batch_Transform_Declared_As_Item_Transforms() => Expect("DB0400", $$"""
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
        {{Members}}
            [ItemTransforms] static Normalize [|Tfms|] => Normalize.Imagenet;
        }
        """, ["ItemTransforms", "'Tfms'", "[BatchTransforms]"]);

    [Fact]
    public void DB0401_Two_Item_Transforms_Members() => Expect("DB0401", $$"""
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
        {{Members}}
            [ItemTransforms] static IItemTransform Size => Transforms.Resize(64);
            [ItemTransforms] static IItemTransform [|Size2|] => Transforms.Resize(32);
        }
        """, ["'Size'", "'Size2'"]);

    [Fact]
    public void DB0402_Transforms_Method_With_Parameters() => Expect("DB0402", $$"""
        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
        {{Members}}
            [BatchTransforms] static IBatchTransform [|Norm|](int x) => Normalize.Imagenet;
        }
        """, ["'Norm'", "1 parameter"]);

    [Fact]
    public void DB0900_Language_Version_Too_Old() => Expect("DB0900", $$"""
        [Block(ImageBlock, CategoryBlock)]
        public partial class [|Pets|]
        {
        {{Members}}
        }
        """, ["'Pets'", "C# 8"], languageVersion: LanguageVersion.CSharp8);

    [Fact]
    public void Correct_Declaration_Has_No_Diagnostics_And_Compiles()
    {
        var run = GeneratorHarness.Run(Source($$"""
            [Block(ImageBlock, CategoryBlock)]
            public partial class Pets
            {
            {{Members}}
            }
            """));
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.OutputErrors);
        Assert.Single(run.Files);
    }

    [Fact]
    public void A_Compile_Error_In_The_Attribute_Is_Left_To_The_Compiler()
    {
        var run = GeneratorHarness.Run(Source($$"""
            [Block(ImageBlok, CategoryBlock)]
            public partial class Pets
            {
            {{Members}}
            }
            """));
        Assert.Empty(run.DataBlocksDiagnostics);
        Assert.Contains(run.OutputErrors, d => d.Id == "CS0103");
    }

    private static string Source(string body) => GeneratorHarness.WithUsings("namespace Demo;\n\n" + body);

    private static void Expect(string id, string body, string[] fragments, DiagnosticSeverity severity = DiagnosticSeverity.Error,
        LanguageVersion languageVersion = LanguageVersion.Latest)
    {
        string marked = Source(body);
        int start = marked.IndexOf("[|", StringComparison.Ordinal);
        int end = marked.IndexOf("|]", StringComparison.Ordinal) - 2;
        Assert.True(start >= 0 && end >= start, "the test source needs a [|...|] location marker");
        string source = marked.Replace("[|", "").Replace("|]", "");

        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(new CSharpParseOptions(languageVersion), source));
        var diagnostics = run.DataBlocksDiagnostics;
        var d = Assert.Single(diagnostics, x => x.Id == id);
        Assert.Equal(severity, d.Severity);
        Assert.Equal(new TextSpan(start, end - start), d.Location.SourceSpan);
        Assert.Equal("Test.cs", d.Location.SourceTree?.FilePath);
        string message = d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string fragment in fragments) Assert.Contains(fragment, message);
        Assert.StartsWith(Diagnostics.DiagnosticDescriptors.HelpBase, d.Descriptor.HelpLinkUri);
        Assert.EndsWith("#" + id.ToLowerInvariant(), d.Descriptor.HelpLinkUri);
        AssertGeneratedCodeCompiles(run);
    }

    /// <summary>
    /// A class with errors still gets its generated types (members that throw), and they compile without warnings: the
    /// DBxxxx error is the one to fix, not a cascade inside generated code.
    /// </summary>
    internal static void AssertGeneratedCodeCompiles(GeneratorRun run)
    {
        var generated = run.Output.SyntaxTrees.Where(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal)).ToHashSet();
        // Warnings too: users who build with TreatWarningsAsErrors would get them as errors.
        Assert.DoesNotContain(run.Output.GetDiagnostics(), d => d.Severity >= DiagnosticSeverity.Warning
                                                                && d.Location.SourceTree is { } tree && generated.Contains(tree));
    }
}
