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
    public void GetCvIdxs_Rejects_A_Fold_Past_The_End() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CrossValidation.GetCvIdxs(100, cvIdx: 5));

    [Fact]
    public void DataSplit_Validate_Names_The_Splitter_And_The_Bad_Index()
    {
        var e = Assert.Throws<DataBlocksException>(() => new DataSplit([0, 1], [1]).Validate(3, "MySplitter"));
        Assert.Contains("MySplitter", e.Message);
        Assert.Contains("item #1", e.Message);
        e = Assert.Throws<DataBlocksException>(() => new DataSplit([0, 9], []).Validate(3, "MySplitter"));
        Assert.Contains("index 9", e.Message);
    }
}
