using System;
using System.IO;
using System.Linq;
using System.Numerics;
using DataBlocks.Data;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using SkiaSharp;
using TorchSharp;
using Xunit;

namespace DataBlocks.Generators.IntegrationTests;

/// <summary>Calls the code the generator produced in this very project (consumed as an analyzer, like a NuGet user).</summary>
[Collection("Torch")]
public class GeneratedApiTests
{
    [Fact]
    public void Single_Label_Loaders_Are_Typed_And_Shaped()
    {
        using var dir = new TempDir();
        string root = TestData.Shapes(dir.Path);
        var dls = Shapes.DataLoaders(root, bs: 4, seed: 1, workers: 0, device: torch.CPU);
        Assert.Equal(new[] { "circle", "square", "triangle" }, dls.ShapeVocab.Values);
        Assert.Equal(3, dls.C);
        using ShapesBatch b = dls.Train.OneBatch();
        Assert.Equal(new long[] { 4, 3, 24, 24 }, b.Photo.shape);
        Assert.Equal(new long[] { 4 }, b.Shape.shape);
        Assert.Equal(torch.int64, b.Shape.dtype);
        var ds = dls.TypedDatasets;
        Assert.Equal(24, ds.Train.Count);
        Assert.Equal(12, ds.Valid.Count);
        Assert.Equal(24, dls.Train.Select(batch => batch.Size).Sum());   // typed loaders work with LINQ
        ShapesItem item = ds.Valid[0];
        Assert.Equal(Label.FromParentFolder(item.Photo), item.Shape);
        Assert.Equal("square", ds.DecodeShape(1));
    }

    [Fact]
    public void Typed_Loaders_Wrap_The_Untyped_Ones_And_Convert_To_Them()
    {
        using var dir = new TempDir();
        using var dls = Shapes.DataLoaders(TestData.Shapes(dir.Path), bs: 4, seed: 1, workers: 0, device: torch.CPU);
        DataLoaders untyped = dls;   // what a Learner takes
        Assert.Same(dls.Untyped, untyped);
        Assert.Same(untyped.Train, dls.Train.Untyped);
        Assert.Same(untyped.Valid, dls.Valid.Untyped);
        Assert.Same(untyped.Datasets, dls.Datasets);
        Assert.Equal((untyped.C, untyped.Summary()), (dls.C, dls.Summary()));
        using var test = dls.TestDataLoader(dls.Datasets.Items.Take(3));
        using ShapesBatch b = test.OneBatch();
        Assert.Equal(3, b.Size);
    }

    [Fact]
    public void An_Item_And_A_Prediction_Print_Their_Label_Lists()
    {
        var item = new TaggedItem("a.jpg", new[] { "clear", "primary" });
        Assert.Equal("TaggedItem { Image = a.jpg, Tags = [clear, primary] }", item.ToString());
        var prediction = new TaggedPrediction(new[] { "clear" }, new[] { 1f, 0f });
        Assert.Equal("TaggedPrediction { Tags = [clear], TagsProbabilities = [1, 0] }", prediction.ToString());
    }

    [Fact]
    public void Datasets_Factory_Reports_Bad_Items_When_Asked()
    {
        using var dir = new TempDir();
        string root = TestData.Shapes(dir.Path);
        TestData.Damage(TestData.Files(root)[2]);
        var ds = Shapes.Datasets(root, new DatasetsOptions { SkipBadItems = true, Report = null });
        Assert.Single(ds.Skipped);
        Assert.Equal(35, ds.Train.Count + ds.Valid.Count);
    }

    [Fact]
    public void A_Missing_Folder_Names_The_GetItems_Member_And_The_Folder()
    {
        var e = Assert.Throws<GetterException>(() => Shapes.DataLoaders("/no/such/folder", workers: 0));
        Assert.Equal("Shapes.Files", e.Member);
        Assert.Contains("/no/such/folder", e.Message);
    }

    [Fact]
    public void Predictions_Decode_To_The_Target_Type()
    {
        using var dir = new TempDir();
        var dls = Shapes.DataLoaders(TestData.Shapes(dir.Path), bs: 4, seed: 1, workers: 0, device: torch.CPU);
        using var probs = torch.tensor(new[] { 0.1f, 0.7f, 0.2f, 0.8f, 0.1f, 0.1f }).reshape(2, 3);
        var predictions = dls.DecodePredictions(probs);
        Assert.Equal("square", predictions[0].Shape);
        Assert.Equal(1, predictions[0].ShapeIndex);
        Assert.Equal("circle", predictions[1].Shape);
        Assert.Equal(0.8f, predictions[1].ShapeProbabilities[0]);
    }

    [Fact]
    public void Multi_Label_Records_Give_One_Hot_Targets_And_Decode_By_Threshold()
    {
        using var dir = new TempDir();
        var lines = new System.Collections.Generic.List<string> { "name,tags" };
        for (int i = 0; i < 8; i++)
        {
            string name = (i < 2 ? "v" : "t") + i;
            SyntheticImages.Write(dir.Combine(name + ".png"), 16, 16, SKColors.Teal);
            lines.Add($"{name}.png,{(i % 2 == 0 ? "water clear" : "haze")}");
        }
        File.WriteAllLines(dir.Combine("labels.csv"), lines);
        var dls = Tagged.DataLoaders(dir.Combine("labels.csv"), bs: 3, seed: 2, workers: 0, device: torch.CPU);
        Assert.Equal(new[] { "clear", "haze", "water" }, dls.TagsVocab.Values);
        Assert.Equal(2, dls.TypedDatasets.Valid.Count);
        using TaggedBatch b = dls.Valid.OneBatch();
        Assert.Equal(new long[] { 2, 3 }, b.Tags.shape);
        Assert.Equal(new[] { 1f, 0f, 1f, 0f, 1f, 0f }, b.Tags.data<float>().ToArray());
        using var probs = torch.tensor(new[] { 0.9f, 0.2f, 0.6f }).reshape(1, 3);
        Assert.Equal(new[] { "clear", "water" }, dls.DecodePredictions(probs)[0].Tags);
    }

    [Fact]
    public void Keypoints_Are_Scaled_To_The_Image_And_Follow_The_Resize()
    {
        using var dir = new TempDir();
        var dots = Enumerable.Range(0, 6).Select(i =>
        {
            string path = SyntheticImages.Write(dir.Combine($"{i}.png"), 40, 20, SKColors.Black);
            return new Dot(path, new Vector2(30, 5));   // 3/4 across, 1/4 down
        }).ToArray();
        var dls = Dots.DataLoaders(dots, bs: 2, seed: 1, workers: 0, device: torch.CPU, item: new Resize(20, 40));
        using DotsBatch b = dls.Valid.OneBatch();
        Assert.Equal(new long[] { 2, 1, 2 }, b.Centre.shape);
        Assert.Equal(new[] { 0.5f, -0.5f, 0.5f, -0.5f }, b.Centre.data<float>().ToArray());
        Assert.Equal(2, dls.C);
        using var pred = torch.tensor(new[] { 0.25f, -1f }).reshape(1, 2);
        Assert.Equal(new Vector2(0.25f, -1f), dls.DecodePredictions(pred)[0].Centre[0]);
    }

    [Fact]
    public void Ratings_Encode_Keys_With_A_Na_Slot_And_Stack_As_Two_Inputs()
    {
        var random = new Random(3);
        var ratings = Enumerable.Range(0, 40).Select(i => new Rating(random.Next(5), $"m{random.Next(4)}", random.Next(1, 6))).ToArray();
        var dls = Ratings.DataLoaders(ratings, bs: 8, seed: 1, workers: 0, device: torch.CPU);
        Assert.Equal("#na#", dls.UserVocab[0]);
        Assert.Equal(30, dls.TypedDatasets.Train.Count);
        using RatingsBatch b = dls.Train.OneBatch();
        Assert.Equal(new long[] { 8 }, b.User.shape);
        Assert.Equal(new long[] { 8 }, b.Movie.shape);
        Assert.Equal(new long[] { 8 }, b.Stars.shape);
        // Training users are all in the vocabulary: indices 1.., never #na#'s 0.
        Assert.InRange(b.User.min().item<long>(), 1, dls.UserVocab.Count - 1);
        Assert.InRange(b.User.max().item<long>(), 1, dls.UserVocab.Count - 1);
        Assert.Equal(2, b.Raw.NInputs);
        using var predicted = torch.tensor(new[] { 3.5f }).reshape(1, 1);
        Assert.Equal(3.5f, dls.DecodePredictions(predicted)[0].Stars);
    }
}

[CollectionDefinition("Torch", DisableParallelization = true)]
public sealed class TorchCollection
{
}
