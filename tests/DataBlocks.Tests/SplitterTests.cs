using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using DataBlocks.Data;
using Xunit;

namespace DataBlocks.Tests;

public class SplitterTests
{
    private sealed record Perm(int seed, int n, int[] permutation);

    private static Perm[] Load(string file) =>
        JsonSerializer.Deserialize<Perm[]>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", file)))!;

    [Fact]
    public void RandomSplitter_Uses_Torch_Randperm_So_A_Seed_Picks_The_Same_Validation_Set_As_Fastai()
    {
        foreach (var p in Load("torch_randperm.json"))
        {
            var split = new RandomSplitter(0.2, p.seed).Split(Enumerable.Range(0, p.n).ToArray());
            int cut = (int)(0.2 * p.n);
            Assert.Equal(p.permutation[..cut], split.Valid);
            Assert.Equal(p.permutation[cut..], split.Train);
        }
    }

    [Fact]
    public void RandomSplitter_Cut_Is_The_Floor_Of_ValidPct_Times_N()
    {
        var split = new RandomSplitter(0.25, 1).Split(new int[7]);
        Assert.Single(split.Valid);   // int(0.25 * 7) = 1
        Assert.Equal(6, split.Train.Count);
    }

    [Fact]
    public void RandomSplitter_Without_Seed_Differs_Between_Calls_And_With_Seed_Does_Not()
    {
        var items = new int[200];
        Assert.Equal(new RandomSplitter(0.2, 5).Split(items).Valid, new RandomSplitter(0.2, 5).Split(items).Valid);
        Assert.NotEqual(new RandomSplitter(0.2).Split(items).Valid, new RandomSplitter(0.2).Split(items).Valid);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    public void RandomSplitter_Rejects_A_Fraction_Outside_Zero_To_One(double pct) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomSplitter(pct, 1).Split(new int[10]));

    [Fact]
    public void IndexSplitter_Keeps_The_Given_Order_And_Sorts_The_Training_Items()
    {
        var split = new IndexSplitter([7, 2, 5]).Split(new int[8]);
        Assert.Equal(new[] { 7, 2, 5 }, split.Valid);
        Assert.Equal(new[] { 0, 1, 3, 4, 6 }, split.Train);
    }

    [Fact]
    public void GrandparentSplitter_Drops_Items_Under_Neither_Folder()
    {
        string[] items = ["/d/train/cat/1.jpg", "/d/valid/dog/2.jpg", "/d/test/cat/3.jpg", "/d/train/dog/4.jpg"];
        var split = new GrandparentSplitter().Split(items);
        Assert.Equal(new[] { 0, 3 }, split.Train);
        Assert.Equal(new[] { 1 }, split.Valid);
    }

    [Fact]
    public void GrandparentSplitter_Explains_That_It_Needs_Paths()
    {
        var e = Assert.Throws<DataBlocksException>(() => new GrandparentSplitter().Split(new[] { 1, 2 }));
        Assert.Contains("file paths", e.Message);
        Assert.Contains("Int32", e.Message);
    }

    [Fact]
    public void FuncSplitter_Puts_True_Items_In_Validation_And_Names_Itself_When_It_Throws()
    {
        var split = new FuncSplitter<int>(i => i % 3 == 0).Split(Enumerable.Range(0, 7).ToArray());
        Assert.Equal(new[] { 0, 3, 6 }, split.Valid);
        var e = Assert.Throws<GetterException>(() => new FuncSplitter<int>(_ => throw new InvalidOperationException("boom"), "Pets.IsValid").Split(new[] { 4 }));
        Assert.Contains("Pets.IsValid", e.Message);
        Assert.Contains("item #0 '4'", e.Message);
    }

    [Fact]
    public void GetCvIdxs_Matches_NumPy_Legacy_Permutation()
    {
        foreach (var p in Load("numpy_permutations.json"))
        {
            int nVal = (int)(0.2 * p.n);
            Assert.Equal(p.permutation[..nVal], CrossValidation.GetCvIdxs(p.n, 0, 0.2, (uint)p.seed));
            Assert.Equal(p.permutation[(4 * nVal)..(5 * nVal)], CrossValidation.GetCvIdxs(p.n, 4, 0.2, (uint)p.seed));
        }
    }

    [Fact]
    public void GetCvIdxs_Default_Is_The_First_Fifth_Of_The_Seed_42_Permutation()
    {
        // fastai-behaviour.md §14: get_cv_idxs(100) = the first 20 entries of np.random.permutation(100) after seed 42.
        Assert.Equal(new[] { 83, 53, 70, 45, 44, 39, 22, 80, 10, 0, 18, 30, 73, 33, 90, 4, 76, 77, 12, 31 }, CrossValidation.GetCvIdxs(100));
    }

    [Fact]
    public void GetCvIdxs_Rejects_A_Fold_Past_The_End_Naming_The_Last_Fold()
    {
        Assert.Equal(20, CrossValidation.GetCvIdxs(100, cvIdx: 4).Length);   // the last fold ends at the last item
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CrossValidation.GetCvIdxs(100, cvIdx: 5));
        Assert.Equal("cvIdx", e.ParamName);
        Assert.StartsWith("Fold 5 of 20 items starts past the end of 100 items (at most 4).", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => CrossValidation.GetCvIdxs(10, cvIdx: 3, valPct: 0.3));   // 9..12 of 10
        Assert.StartsWith("Fold 3 of 3 items starts past the end of 10 items (at most 2).", e.Message);
    }

    [Theory]
    [InlineData(-1, 0, 0.2, "n")]
    [InlineData(10, -1, 0.2, "cvIdx")]
    [InlineData(10, 0, 0.0, "valPct")]
    [InlineData(10, 0, 1.0, "valPct")]
    [InlineData(10, 0, double.NaN, "valPct")]
    public void GetCvIdxs_Rejects_Arguments_Out_Of_Range_By_Name(int n, int cvIdx, double valPct, string param)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CrossValidation.GetCvIdxs(n, cvIdx, valPct));
        Assert.Equal(param, e.ParamName);
        if (param == "valPct") Assert.StartsWith("valPct must be strictly between 0 and 1.", e.Message);
    }

    [Fact]
    public void CrossValidation_Splitter_Validates_Its_Fold_And_Trains_On_The_Rest()
    {
        var split = CrossValidation.Splitter(cvIdx: 1).Split(Enumerable.Range(0, 100).ToArray());
        Assert.Equal(CrossValidation.GetCvIdxs(100, cvIdx: 1), split.Valid);
        Assert.Equal(Enumerable.Range(0, 100).Except(split.Valid).ToArray(), split.Train);   // in item order
    }

    [Fact]
    public void GetCvIdxs_Matches_NumPy_For_More_Than_65536_Items()
    {
        // NumPy draws bounded integers by masking with the next power of two: past 2^16 items every smearing step counts.
        var p = Load("numpy_permutations_large.json").Single();
        var perm = CrossValidation.GetCvIdxs(p.n, 0, 0.999999, (uint)p.seed);
        Assert.Equal(p.n - 1, perm.Length);   // int(0.999999 · 70000) = 69999: all but the permutation's last entry
        Assert.Equal(p.permutation[..100], perm[..100]);
        Assert.Equal(p.permutation[^101..^1], perm[^100..]);
    }

    [Fact]
    public void DataSplit_Validate_Names_The_Splitter_And_The_Bad_Index()
    {
        var e = Assert.Throws<DataBlocksException>(() => new DataSplit([0, 1], [1]).Validate(3, "MySplitter"));
        Assert.Contains("MySplitter", e.Message);
        Assert.Contains("item #1", e.Message);
        e = Assert.Throws<DataBlocksException>(() => new DataSplit([0, 9], []).Validate(3, "MySplitter"));
        Assert.Equal("MySplitter returned training index 9, but there are only 3 items (valid indices are 0..2).", e.Message);
        e = Assert.Throws<DataBlocksException>(() => new DataSplit([0], [3]).Validate(3, "MySplitter"));   // one past the end
        Assert.Equal("MySplitter returned validation index 3, but there are only 3 items (valid indices are 0..2).", e.Message);
        e = Assert.Throws<DataBlocksException>(() => new DataSplit([-1], []).Validate(3, "MySplitter"));
        Assert.Contains("training index -1", e.Message);
    }

    [Fact]
    public void IndexSplitter_Refuses_A_Validation_Index_Past_The_End()
    {
        Assert.Equal([0, 1], new IndexSplitter([2]).Split(new int[3]).Train);
        var e = Assert.Throws<DataBlocksException>(() => new IndexSplitter([3]).Split(new int[3]));
        Assert.Equal("Validation index 3 is out of range: there are 3 items.", e.Message);
    }

    [Fact]
    public void FuncSplitter_Names_An_Item_Of_Another_Type_Or_Null()
    {
        var splitter = new FuncSplitter<string>(s => s.StartsWith('v'));
        var e = Assert.Throws<DataBlocksException>(() => splitter.Split(new object?[] { "valid", 4 }));
        Assert.Contains("reads items of type String, but item #1 is Int32.", e.Message);
        e = Assert.Throws<DataBlocksException>(() => splitter.Split(new object?[] { null }));
        Assert.Contains("reads items of type String, but item #0 is null.", e.Message);
    }

    [Fact]
    public void GrandparentSplitter_Refuses_Items_That_Are_Not_Paths_And_Says_What_To_Do()
    {
        var e = Assert.Throws<DataBlocksException>(() => new GrandparentSplitter().Split(new object[] { 3 }));
        Assert.Equal("GrandparentSplitter needs items that are file paths, but item #0 is a Int32. " +
                     "Split records with a [Splitter] method that returns bool (true = validation).", e.Message);
    }
}
