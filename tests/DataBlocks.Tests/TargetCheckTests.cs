using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.BlockTypes;
using DataBlocks.Data;
using DataBlocks.Learning;
using DataBlocks.Losses;
using DataBlocks.Metrics;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>
/// Every built-in loss and metric against every kind of target: a pair that fits validates, a pair that does not is
/// refused when the Learner is created with a message naming both and what fits.
/// </summary>
[Collection("Torch")]
public class TargetCheckTests
{
    // The oracle, by hand from fastai's docs: accuracy/error_rate/top_k_accuracy and CrossEntropyLossFlat take class
    // indices; accuracy_multi and BCEWithLogitsLossFlat take one-hot label sets (BCE also numbers in [0, 1]); rmse and
    // MSELossFlat take numbers.
    public static TheoryData<string, string, bool> Pairs() => new()
    {
        { "category", "Accuracy", true }, { "category", "ErrorRate", true }, { "category", "TopKAccuracy", true },
        { "category", "AccuracyMulti", false }, { "category", "Rmse", false },
        { "category", "CrossEntropyLossFlat", true }, { "category", "BCEWithLogitsLossFlat", false }, { "category", "MSELossFlat", false },
        { "multi", "Accuracy", false }, { "multi", "ErrorRate", false }, { "multi", "TopKAccuracy", false },
        { "multi", "AccuracyMulti", true }, { "multi", "Rmse", false },
        { "multi", "CrossEntropyLossFlat", false }, { "multi", "BCEWithLogitsLossFlat", true }, { "multi", "MSELossFlat", false },
        { "regression", "Accuracy", false }, { "regression", "ErrorRate", false }, { "regression", "TopKAccuracy", false },
        { "regression", "AccuracyMulti", false }, { "regression", "Rmse", true },
        { "regression", "CrossEntropyLossFlat", false }, { "regression", "BCEWithLogitsLossFlat", true }, { "regression", "MSELossFlat", true },
        { "points", "Accuracy", false }, { "points", "ErrorRate", false }, { "points", "TopKAccuracy", false },
        { "points", "AccuracyMulti", false }, { "points", "Rmse", true },
        { "points", "CrossEntropyLossFlat", false }, { "points", "BCEWithLogitsLossFlat", false }, { "points", "MSELossFlat", true },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void A_Fitting_Pair_Validates_And_Any_Other_Is_Refused_At_Creation(string target, string name, bool fits)
    {
        using var dir = new TestKit.TempDir();
        using var dls = Loaders(target, dir.Path);
        IMetric? metric = name switch
        {
            "Accuracy" => new Accuracy(), "ErrorRate" => new ErrorRate(), "TopKAccuracy" => new TopKAccuracy(2),
            "AccuracyMulti" => new AccuracyMulti(), "Rmse" => new Rmse(), _ => null,
        };
        ILossFunction? loss = name switch
        {
            "CrossEntropyLossFlat" => new CrossEntropyLossFlat(), "BCEWithLogitsLossFlat" => new BCEWithLogitsLossFlat(),
            "MSELossFlat" => new MSELossFlat(), _ => null,
        };
        var model = target == "points"
            ? torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 16 * 16, dls.C))
            : (torch.nn.Module<torch.Tensor, torch.Tensor>)torch.nn.Linear(1, dls.C);
        Learner Create() => new(dls, model, loss, metric is null ? null : [metric], TinyRegression.Silent);
        if (fits)
        {
            using var learn = Create();
            var (validLoss, metrics) = learn.Validate();
            Assert.False(double.IsNaN(validLoss));
            Assert.All(metrics, v => Assert.False(double.IsNaN(v)));
            return;
        }
        var e = Assert.Throws<DataBlocksException>(() => Create().Dispose());
        Assert.Contains(metric is null ? $"the loss {loss!.Name}" : $"the metric {metric.Name} ({name})", e.Message);
        Assert.Contains(target == "points" ? "Faces.Eyes" : "Toy.Y", e.Message);
        string[] expected = target switch
        {
            "category" => ["CategoryBlock", "int64 [B]", metric is null ? "CrossEntropyLossFlat" : "Accuracy, ErrorRate, TopKAccuracy"],
            "multi" => ["MultiCategoryBlock", "float32 [B, 3]", metric is null ? "BCEWithLogitsLossFlat" : "AccuracyMulti"],
            "regression" => ["RegressionBlock", "float32 [B]", metric is null ? "BCEWithLogitsLossFlat, MSELossFlat" : "Rmse"],
            _ => ["PointBlock", "float32 [B, 2, 2]", metric is null ? "use MSELossFlat." : "Rmse"],
        };
        foreach (string part in expected) Assert.Contains(part, e.Message);
    }

    [Fact]
    public void AccuracyMulti_Counts_Labels_Right_After_A_Sigmoid_As_Fastai()
    {
        // By hand: sigmoid > 0.5 ⇔ logit > 0 → [[1, 0], [0, 1]] against [[1, 0], [1, 1]]: three of four right.
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor(new float[] { 2, -1, -3, 0.5f }).reshape(2, 2);
        var targets = torch.tensor(new float[] { 1, 0, 1, 1 }).reshape(2, 2);
        var metric = new AccuracyMulti();
        metric.Accumulate(logits, targets);
        Assert.Equal(0.75, metric.Value, 6);
        var strict = new AccuracyMulti(threshold: 0.9);   // sigmoid(2) = 0.88: nothing is predicted, only the absent label is right
        strict.Accumulate(logits, targets);
        Assert.Equal(0.25, strict.Value, 6);
        var probabilities = new AccuracyMulti(sigmoid: false);   // the inputs are taken as probabilities: 2 > 0.5, 0.5 is not
        probabilities.Accumulate(logits, targets);
        Assert.Equal(0.5, probabilities.Value, 6);
    }

    /// <summary>Eight training and four validation items x → y of the given kind of target (points: on 16×16 images).</summary>
    private static DataLoaders Loaders(string target, string dir)
    {
        if (target == "points")
        {
            var files = TestKit.TestData.Files(TestKit.TestData.Shapes(dir, trainPerClass: 3, validPerClass: 2, size: 16));
            var faces = new DataBlockDefinition<string>("Faces",
                [
                    new FieldDefinition<string, string>("Image", "Faces.Image", true, p => p, new ImageFileBlock()),
                    new FieldDefinition<string, IEnumerable<(float, float)>>("Eyes", "Faces.Eyes", false, _ => [(4f, 5f), (11f, 5f)],
                        new PointBlock<(float, float)>()),
                ],
                new GrandparentSplitter());
            return DataLoaders<string>.Create(faces, files, new DataLoaderOptions { BatchSize = 4, Workers = 0, Device = torch.CPU });
        }
        var x = new FieldDefinition<int, IEnumerable<float>>("X", "Toy.X", true, i => [i / 12f], new RegressionVectorBlock<float>());
        FieldDefinition<int> y = target switch
        {
            "category" => new FieldDefinition<int, string>("Y", "Toy.Y", false, i => (i % 3).ToString(), new CategoryBlock<string>()),
            "multi" => new FieldDefinition<int, IEnumerable<string>>("Y", "Toy.Y", false,
                i => new[] { "a", "b", "c" }.Where((_, k) => ((i + 1) >> k & 1) == 1).ToArray(), new MultiCategoryBlock<string>()),
            _ => new FieldDefinition<int, float>("Y", "Toy.Y", false, i => i / 12f, new RegressionBlock<float>()),
        };
        var definition = new DataBlockDefinition<int>("Toy", [x, y], new IndexSplitter(Enumerable.Range(8, 4)));
        return DataLoaders<int>.Create(definition, Enumerable.Range(0, 12), new DataLoaderOptions { BatchSize = 4, Workers = 0, Device = torch.CPU });
    }
}
