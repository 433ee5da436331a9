using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.TestKit;
using DataBlocks.Vision.Models;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

[Collection("Torch")]
public class LearnerTests
{
    [Fact]
    public void Epoch_Table_Is_Formatted_Like_Fastai_In_A_Console()
    {
        var table = new EpochTable(["accuracy"]);
        Assert.Equal("epoch     train_loss  valid_loss  accuracy  time    ", table.Header);
        var row = table.Row(new EpochResult(0, 0.5830191, 0.3752861, [new("accuracy", 0.835)], TimeSpan.FromSeconds(72)));
        Assert.Equal("0         0.583019    0.375286    0.835000  01:12     ", row);
        var wide = new EpochTable(["error_rate"]);
        Assert.Equal("epoch     train_loss  valid_loss  error_rate  time    ", wide.Header);
    }

    [Fact]
    public void Metrics_Average_Over_Items_Not_Batches()
    {
        var accuracy = new Accuracy();
        accuracy.Reset();
        using var scope = torch.NewDisposeScope();
        accuracy.Accumulate(torch.tensor(new[] { 1f, 0f, 1f, 0f, 0f, 1f }).reshape(3, 2), torch.tensor(new long[] { 0, 1, 1 }));   // 2 of 3
        accuracy.Accumulate(torch.tensor(new[] { 0f, 1f }).reshape(1, 2), torch.tensor(new long[] { 0 }));                          // 0 of 1
        Assert.Equal(0.5, accuracy.Value, 6);
        var error = new ErrorRate();
        error.Reset();
        error.Accumulate(torch.tensor(new[] { 1f, 0f }).reshape(1, 2), torch.tensor(new long[] { 1 }));
        Assert.Equal(1.0, error.Value, 6);
    }

    [Fact]
    public void Optimizer_Is_Fastai_Adam_Without_Weight_Decay_On_Biases_And_Norm_Layers()
    {
        using var dir = new TempDir();
        var dls = Loaders(dir.Path);
        using var learn = new Learner(dls, SimpleCnn.Create(dls.C), options: Quiet);
        var opt = learn.CreateOptimizer();
        const double Lr = 1e-2, Wd = 0.5;
        opt.SetLr([Lr]);
        opt.SetWd([Wd]);
        var parameters = learn.Model.named_parameters().ToArray();
        var before = parameters.ToDictionary(p => p.name, p => p.parameter.detach().data<float>().ToArray());
        // Zero gradients: Adam moves nothing, so each parameter changes by decoupled weight decay alone, p·(1 − lr·wd),
        // except biases and norm-layer parameters (fastai's wd_bn_bias=False).
        using (var scope = torch.NewDisposeScope())
            foreach (var (_, p) in parameters) p.grad = torch.zeros_like(p);
        opt.Step();
        bool NoDecay(string name) => name.StartsWith("bn", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal);
        Assert.Contains(parameters, p => NoDecay(p.name));
        Assert.Contains(parameters, p => !NoDecay(p.name));
        foreach (var (name, p) in parameters)
        {
            float[] after = p.detach().data<float>().ToArray();
            float factor = NoDecay(name) ? 1f : (float)(1 - Lr * Wd);
            for (int k = 0; k < after.Length; k++) Assert.Equal(before[name][k] * factor, after[k], 1e-6f);
        }
        opt.ZeroGrad();
    }

    [Fact]
    public void Fit_Prints_The_Table_Header_And_One_Row_Per_Epoch_And_Records_History()
    {
        using var dir = new TempDir();
        var dls = Loaders(dir.Path);
        var output = new StringWriter();
        using var learn = new Learner(dls, SimpleCnn.Create(dls.C), metrics: [new Accuracy(), new ErrorRate()],
            options: new LearnerOptions { Output = output, Progress = ProgressMode.Plain });
        var rows = learn.Fit(2, lr: 1e-3);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("epoch     train_loss  valid_loss  accuracy  error_rate  time    ", lines[0]);
        Assert.StartsWith("0         ", lines[1]);
        Assert.StartsWith("1         ", lines[2]);
        Assert.Equal(2, rows.Count);
        Assert.Equal(1.0, rows[1].Metric("accuracy") + rows[1].Metric("error_rate"), 6);
        Assert.Equal(2 * dls.Train.Count, learn.Losses.Count);

        // A second fit numbers its epochs from 0 again, as fastai's table does; History keeps them all.
        output.GetStringBuilder().Clear();
        learn.Fit(1, lr: 1e-3);
        Assert.StartsWith("0         ", output.ToString().Split('\n')[1]);
        Assert.Equal(3, learn.History.Count);
    }

    [Fact]
    public void Same_Seed_Gives_The_Same_Losses()
    {
        using var dir = new TempDir();
        double[] Run(int seed)
        {
            Seed.Everything(seed);
            var dls = Loaders(dir.Path);
            using var learn = new Learner(dls, SimpleCnn.Create(dls.C), options: Quiet);
            learn.Fit(1, lr: 1e-3);
            return learn.Losses.ToArray();
        }
        double[] first = Run(11), again = Run(11), other = Run(12);
        Assert.NotEmpty(first);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);   // the seed is what makes them equal
    }

    [Fact]
    public void A_Dataset_Without_An_Inferable_Loss_Needs_One()
    {
        using var dir = new TempDir();
        var definition = new DataBlockDefinition<string>("Images",
            [
                new FieldDefinition<string, string>("A", "Images.A", true, p => p, new BlockTypes.ImageFileBlock()),
                new FieldDefinition<string, string>("B", "Images.B", false, p => p, new BlockTypes.ImageFileBlock()),
            ], new GrandparentSplitter());
        var dls = DataLoaders<string>.Create(definition, TestData.Files(TestData.Shapes(dir.Path)), new DataLoaderOptions { BatchSize = 4, Seed = 1, Workers = 0 });
        var e = Assert.Throws<DataBlocksException>(() => new Learner(dls, SimpleCnn.Create(2)));
        Assert.Contains("infer a loss", e.Message);
    }

    [Fact]
    public void GetPreds_Returns_Probabilities_In_Loader_Order()
    {
        using var dir = new TempDir();
        var dls = Loaders(dir.Path);
        using var learn = new Learner(dls, SimpleCnn.Create(dls.C), options: Quiet);
        var (preds, targets) = learn.GetPreds();
        using (preds)
        using (targets)
        {
            Assert.Equal(new long[] { 12, 3 }, preds.shape);
            Assert.True(preds.sum(1).allclose(torch.ones(12), atol: 1e-5));
            Assert.Equal(dls.Datasets.ValidIndices.Select(i => (long)Array.IndexOf(new[] { "circle", "square", "triangle" }, Label.FromParentFolder(dls.Datasets.ItemName(i)))),
                targets!.data<long>().ToArray());
        }
    }

    private static readonly LearnerOptions Quiet = TinyRegression.Silent;

    private static DataLoaders<string> Loaders(string dir) =>
        DataLoaders<string>.Create(TestData.ImageCategory(), TestData.Files(TestData.Shapes(dir)),
            new DataLoaderOptions { BatchSize = 8, Seed = 5, Workers = 0, Device = torch.CPU });
}
