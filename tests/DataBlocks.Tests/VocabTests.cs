using System;
using DataBlocks.Data;
using Xunit;

namespace DataBlocks.Tests;

public class VocabTests
{
    private enum Pet { Dog = 2, Cat = 1 }

    [Fact]
    public void Strings_Sort_By_Ordinal_Like_Python() =>
        Assert.Equal(new[] { "B", "a", "b" }, Vocab<string>.FromValues(["b", "a", "B", "a"]).Values);

    [Fact]
    public void Integers_Sort_Numerically() =>
        Assert.Equal(new[] { 2, 10, 100 }, Vocab<int>.FromValues([10, 100, 2]).Values);

    [Fact]
    public void Enums_Sort_By_Value() =>
        Assert.Equal(new[] { Pet.Cat, Pet.Dog }, Vocab<Pet>.FromValues([Pet.Dog, Pet.Cat]).Values);

    [Fact]
    public void Na_Slot_Takes_Index_Zero()
    {
        var vocab = Vocab<int>.FromValues([5, 3], hasNaSlot: true);
        Assert.Equal(3, vocab.Count);
        Assert.Equal("#na#", vocab[0]);
        Assert.Equal(1, vocab.IndexOf(3));
        Assert.Equal(5, vocab.Decode(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => vocab.Decode(0));
    }

    [Fact]
    public void Unknown_Value_Is_An_Error_Listing_The_Vocabulary()
    {
        var e = Assert.Throws<DataBlocksException>(() => Vocab<string>.FromValues(["cat", "dog"]).IndexOf("bird"));
        Assert.Contains("'bird'", e.Message);
        Assert.Contains("cat, dog", e.Message);
    }

    [Fact]
    public void Repeated_Value_In_A_Given_Vocabulary_Is_Rejected() =>
        Assert.Throws<ArgumentException>(() => new Vocab<string>(["a", "a"]));
}
