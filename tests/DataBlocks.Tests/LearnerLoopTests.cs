using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.BlockTypes;
using DataBlocks.Data;
using DataBlocks.Learning;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>Corners of the loop: a cancelled epoch, validation on another loader, predictions without targets, weight decay from the options, inputs of different kinds.</summary>
[Collection("Torch")]
public class LearnerLoopTests
{
    [Fact]
    public void A_Cancelled_Epoch_Counts_As_Done_And_Tells_The_Callbacks()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        var cancel = new CancelAfterBatches(3);
        var rows = learn.Fit(2, 1e-2, callbacks: [cancel]);
        Assert.Equal(2, rows.Count);               // each cancelled epoch still makes its row
        Assert.Equal(2, cancel.Cancelled);         // AfterCancelEpoch once per epoch
        Assert.Equal(6, cancel.Batches);           // 3 training batches per epoch, then the rest of the epoch is skipped
    }

    [Fact]
    public void Validate_Uses_The_Loader_It_Is_Given()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        using (torch.no_grad())
        {
            var linear = (TorchSharp.Modules.Linear)learn.Model;
            linear.weight!.fill_(2);
            linear.bias!.fill_(1);   // exactly y = 2x + 1: zero loss on the data...
        }
        Assert.Equal(0, learn.Validate().Loss, 10);
        using var other = OtherTargets();
        Assert.Equal(1.0, learn.Validate(other.Valid).Loss, 5);   // ...and (2x + 1) − (2x + 2) = −1 on the other loader: MSE 1
    }

    [Fact]
    public void GetPreds_On_Items_Without_Labels_Gives_Predictions_And_No_Targets()
    {
        using var dls = TinyRegression.Loaders();
        using var learn = TinyRegression.OneGroup(dls);
        using var test = dls.TestDataLoader([0.5f, -0.25f, 1f]);
        var (preds, targets) = learn.GetPreds(test);
        using (preds)
        {
            Assert.Null(targets);
            Assert.Equal(new long[] { 3, 1 }, preds.shape);
        }
    }

    [Fact]
    public void Weight_Decay_From_The_Options_Reaches_The_Optimizer()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(), new LearnerOptions { Wd = 0.125 });
        Assert.Equal([0.125], learn.CreateOptimizer().Wd);
        using var plain = TinyRegression.OneGroup(TinyRegression.Loaders());
        Assert.Equal([OptimizerSettings.Adam.Wd], plain.CreateOptimizer().Wd);
    }

    [Fact]
    public void Inputs_Of_Different_Kinds_Are_Refused_By_A_Single_Input_Model()
    {
        var definition = new DataBlockDefinition<int>("Mixed",
            [
                new FieldDefinition<int, float>("A", "Mixed.A", true, i => i, new RegressionBlock<float>()),
                new FieldDefinition<int, string>("B", "Mixed.B", true, i => (i % 2).ToString(), new CategoricalBlock<string>()),
                new FieldDefinition<int, float>("Y", "Mixed.Y", false, i => i, new RegressionBlock<float>()),
            ],
            new IndexSplitter(Enumerable.Range(8, 4)));
        using var dls = DataLoaders<int>.Create(definition, Enumerable.Range(0, 12), new DataLoaderOptions { BatchSize = 4, Workers = 0, Device = torch.CPU });
        using var learn = new Learner(dls, torch.nn.Linear(2, 1), options: TinyRegression.Silent);
        var e = Assert.Throws<DataBlocksException>(() => learn.Fit(1, 1e-3));
        Assert.Contains("Mixed has 2 inputs of different kinds", e.Message);
    }

    /// <summary>The line data with targets 2x + 2 instead of 2x + 1.</summary>
    private static DataLoaders<float> OtherTargets()
    {
        var random = new Random(1);
        var xs = Enumerable.Range(0, 48).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var definition = new DataBlockDefinition<float>("Line",
            [
                new FieldDefinition<float, IEnumerable<float>>("X", "Line.X", true, x => [x], new RegressionVectorBlock<float>()),
                new FieldDefinition<float, float>("Y", "Line.Y", false, x => 2 * x + 2, new RegressionBlock<float>()),
            ],
            new IndexSplitter(Enumerable.Range(16, 32)));
        return DataLoaders<float>.Create(definition, xs, new DataLoaderOptions { BatchSize = 16, Workers = 0, Device = torch.CPU });
    }

    private sealed class CancelAfterBatches(int batches) : Callback
    {
        private int _inEpoch;

        public int Cancelled { get; private set; }

        public int Batches { get; private set; }

        public override void BeforeEpoch() => _inEpoch = 0;

        public override void AfterBatch()
        {
            if (!Learner.Training) return;
            Batches++;
            if (++_inEpoch == batches) throw new CancelEpochException();
        }

        public override void AfterCancelEpoch() => Cancelled++;
    }
}
