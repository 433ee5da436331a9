using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.BlockTypes;
using DataBlocks.Data;
using DataBlocks.Losses;
using Xunit;

namespace DataBlocks.Tests;

public class BlockTests
{
    private static FieldInfo Field(string name = "Kind") => new(name, $"Pets.{name}", false, "Pets");

    [Fact]
    public void CategoryBlock_Builds_A_Sorted_Vocab_From_Training_Values_And_Implies_Cross_Entropy()
    {
        var codec = (CategoryCodec<string>)new CategoryBlock<string>().Setup(Field(), ["dog", "cat", "dog"]);
        Assert.Equal(new[] { "cat", "dog" }, codec.Vocab.Values);
        Assert.Equal(1L, codec.Encode("dog", "x.jpg"));
        Assert.Equal("cat", codec.Decode(0));
        Assert.Equal(2, codec.OutputCount);
        Assert.IsType<CrossEntropyLossFlat>(codec.DefaultLoss);
    }

    [Fact]
    public void CategoryBlock_Unknown_Label_Names_The_Item_The_Member_And_The_Vocabulary()
    {
        var codec = new CategoryBlock<string>().Setup(Field(), ["cat", "dog"]);
        var e = Assert.Throws<DataBlocksException>(() => codec.Encode("bird", "valid/bird/1.jpg"));
        Assert.Contains("'bird'", e.Message);
        Assert.Contains("valid/bird/1.jpg", e.Message);
        Assert.Contains("Pets.Kind", e.Message);
        Assert.Contains("cat, dog", e.Message);
    }

    [Fact]
    public void A_Null_Label_Is_Left_Out_Of_The_Vocab_And_Reported_For_Its_Item()
    {
        var codec = new CategoryBlock<string>().Setup(Field(), ["cat", null!, "dog"]);
        Assert.Equal(2, codec.OutputCount);
        var e = Assert.Throws<DataBlocksException>(() => codec.Encode(null!, "photos/7.jpg"));
        Assert.Contains("Pets.Kind returned null for item 'photos/7.jpg'", e.Message);
        var multi = (MultiCategoryCodec<string>)new MultiCategoryBlock<string>().Setup(Field("Tags"), [new[] { "a", null! }, null!]);
        Assert.Equal(new[] { "a" }, multi.Vocab.Values);
    }

    [Fact]
    public void Bool_Labels_Sort_False_Then_True_As_In_Python() =>
        Assert.Equal(new[] { false, true }, ((CategoryCodec<bool>)new CategoryBlock<bool>().Setup(Field(), [true, false, true])).Vocab.Values);

    [Fact]
    public void CategoryBlock_With_A_Given_Vocab_Keeps_Or_Sorts_It()
    {
        Assert.Equal(new[] { "a", "b" }, ((CategoryCodec<string>)new CategoryBlock<string>(["b", "a"]).Setup(Field(), [])).Vocab.Values);
        Assert.Equal(new[] { "b", "a" }, ((CategoryCodec<string>)new CategoryBlock<string>(["b", "a"], sort: false).Setup(Field(), [])).Vocab.Values);
    }

    [Fact]
    public void MultiCategoryBlock_One_Hot_Encodes_And_Decodes_Above_The_Threshold()
    {
        var codec = (MultiCategoryCodec<string>)new MultiCategoryBlock<string>().Setup(Field("Tags"),
            [new[] { "water", "clear" }, new[] { "haze" }, Array.Empty<string>()]);
        Assert.Equal(new[] { "clear", "haze", "water" }, codec.Vocab.Values);
        Assert.Equal(new[] { 1f, 0f, 1f }, (float[])codec.Encode(new[] { "water", "clear" }, "x"));
        Assert.Equal(new[] { 0f, 0f, 0f }, (float[])codec.Encode(Array.Empty<string>(), "x"));
        Assert.Equal(new[] { "haze" }, codec.Decode([0.2f, 0.7f, 0.5f]));
        Assert.IsType<BCEWithLogitsLossFlat>(codec.DefaultLoss);
        Assert.Contains("'fog'", Assert.Throws<DataBlocksException>(() => codec.Encode(new[] { "fog" }, "x")).Message);
    }

    [Fact]
    public void RegressionBlock_Rejects_NaN_Targets_And_Width_Changes()
    {
        var scalar = new RegressionBlock<double>().Setup(Field("Age"), [1.0]);
        Assert.Equal(new[] { 2.5f }, (float[])scalar.Encode(2.5, "x"));
        Assert.Contains("non-finite", Assert.Throws<DataBlocksException>(() => scalar.Encode(double.NaN, "a.jpg")).Message);
        var vector = new RegressionVectorBlock<int>().Setup(Field("Box"), [new[] { 1, 2 }]);
        Assert.Contains("3 numbers", Assert.Throws<DataBlocksException>(() => vector.Encode(new[] { 1, 2, 3 }, "b.jpg")).Message);
    }

    [Fact]
    public void CategoricalBlock_Reserves_Na_And_Maps_Unknown_Values_To_It_Unless_Strict()
    {
        var lenient = new CategoricalBlock<Guid>().Setup(Field("User"), [Guid.Empty]);
        Assert.Equal(1L, lenient.Encode(Guid.Empty, "r"));
        Assert.Equal(0L, lenient.Encode(Guid.NewGuid(), "r"));
        var strict = new CategoricalBlock<int>(strict: true).Setup(Field("User"), [1, 2]);
        Assert.Contains("not seen", Assert.Throws<DataBlocksException>(() => strict.Encode(3, "row 7")).Message);
    }

    [Fact]
    public void PointBlock_Requires_The_Same_Number_Of_Points()
    {
        var codec = new PointBlock<(float, float)>().Setup(Field("Eyes"), [new[] { (1f, 2f), (3f, 4f) }]);
        Assert.Equal(4, codec.OutputCount);
        Assert.Contains("1 points", Assert.Throws<DataBlocksException>(() => codec.Encode(new[] { (1f, 2f) }, "face.jpg")).Message);
    }

    [Fact]
    public void Losses_Flatten_Like_Fastai()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var logits = TorchSharp.torch.tensor(new[] { 2f, 0f, 0f, 2f }).reshape(2, 2);
        var target = TorchSharp.torch.tensor(new long[] { 0, 1 });
        double ce = new CrossEntropyLossFlat().Compute(logits, target).item<float>();
        Assert.Equal(Math.Log(1 + Math.Exp(-2)), ce, 5);
        var perItem = new CrossEntropyLossFlat().Compute(logits, target, reduce: false);
        Assert.Equal(new long[] { 2 }, perItem.shape);
        double bce = new BCEWithLogitsLossFlat().Compute(TorchSharp.torch.zeros(2, 3), TorchSharp.torch.ones(2, 3)).item<float>();
        Assert.Equal(Math.Log(2), bce, 5);
        double mse = new MSELossFlat().Compute(TorchSharp.torch.ones(4), TorchSharp.torch.zeros(2, 2)).item<float>();
        Assert.Equal(1.0, mse, 6);
    }
}
