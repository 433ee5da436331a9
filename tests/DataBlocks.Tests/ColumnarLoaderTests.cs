using System;
using System.Linq;
using DataBlocks.BlockTypes;
using DataBlocks.Data;
using DataBlocks.Synthetic;
using DataBlocks.TestKit;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>Loaders over fields encoded up front (ids, labels, numbers) slice tensors instead of building items.</summary>
[Collection("Torch")]
public class ColumnarLoaderTests
{
    internal static DataBlockDefinition<SyntheticRating> Ratings(IItemTransform? item = null) =>
        Ratings("Ratings", r => r.User, new RandomSplitter(0.2, seed: 42), item);

    /// <summary>(user, item, rating) with the user key made by <paramref name="user"/> (default split: 20% random, seed 1).</summary>
    internal static DataBlockDefinition<SyntheticRating> Ratings<TUser>(string name, Func<SyntheticRating, TUser> user, ISplitter? splitter = null,
        IItemTransform? item = null) where TUser : notnull =>
        new(name,
            [
                new FieldDefinition<SyntheticRating, TUser>("User", $"{name}.User", true, user, new CategoricalBlock<TUser>()),
                new FieldDefinition<SyntheticRating, string>("Item", $"{name}.Item", true, r => r.Item, new CategoricalBlock<string>()),
                new FieldDefinition<SyntheticRating, float>("Rating", $"{name}.Rating", false, r => r.Rating, new RegressionBlock<float>()),
            ],
            splitter ?? new RandomSplitter(0.2, seed: 1),
            item is null ? null : [item]);

    private static DataLoaders<SyntheticRating> Loaders(IItemTransform? item = null, int workers = 0) =>
        DataLoaders<SyntheticRating>.Create(Ratings(item), RatingsDataset.Generate(users: 30, items: 40, ratings: 600, seed: 3).Rows,
            new DataLoaderOptions { BatchSize = 32, Seed = 5, Workers = workers, Device = torch.CPU });

    [Fact]
    public void Batches_Are_The_Ones_The_Per_Item_Path_Makes()
    {
        using var columnar = Loaders();
        using var perItem = Loaders(new Identity(), workers: 2);   // an item transform forces the per-item path
        Assert.True(columnar.Train.IsColumnar);
        Assert.False(perItem.Train.IsColumnar);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            foreach (var (loaderA, loaderB) in new[] { (columnar.Train, perItem.Train), (columnar.Valid, perItem.Valid) })
            {
                int n = 0;
                foreach (var (a, b) in loaderA.Zip(loaderB))
                {
                    Assert.Equal(b.Indices, a.Indices);
                    Assert.Equal(b.Items, a.Items);
                    for (int f = 0; f < 3; f++)
                    {
                        Assert.Equal(b.Fields[f].dtype, a.Fields[f].dtype);
                        Assert.Equal(b.Fields[f].shape, a.Fields[f].shape);
                        Assert.True(a.Fields[f].eq(b.Fields[f]).all().item<bool>(), $"field {f} differs");
                    }
                    n++;
                }
                Assert.Equal(loaderA.Count, n);
            }
        }
        using var first = columnar.Train.OneBatch();
        Assert.Equal(columnar.Train.Batches(0)[0], first.Indices);
        Assert.Equal(torch.int64, first.Fields[0].dtype);
        Assert.Equal(torch.float32, first.Fields[2].dtype);
    }

    [Fact]
    public void Memory_Stays_Flat_And_Dispose_Frees_The_Encoded_Split()
    {
        long before = MemoryProbe.LiveTensors;
        var dls = Loaders();
        foreach (var batch in dls.Train) Assert.Equal(32, batch.Size);
        long afterFirst = MemoryProbe.LiveTensors;
        Assert.Equal(3, afterFirst - before);   // one tensor per field, kept for the loader's life
        for (int epoch = 0; epoch < 30; epoch++)
            foreach (var batch in dls.Train) _ = batch.Size;
        Assert.Equal(afterFirst, MemoryProbe.LiveTensors);
        foreach (var batch in dls.Valid) _ = batch.Size;
        dls.Dispose();
        Assert.Equal(before, MemoryProbe.LiveTensors);
        Assert.Throws<ObjectDisposedException>(() => dls.Train.First());
    }

    private sealed class Identity : IItemTransform
    {
        public int Order => 0;
        public string Name => "Identity";
        public void Apply(Sample sample, ItemContext context) { }
    }
}
