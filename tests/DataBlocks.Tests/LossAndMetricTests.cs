using System;
using System.Linq;
using DataBlocks.Losses;
using DataBlocks.Metrics;
using DataBlocks.TestKit;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>The flat losses, their activations and decodings, and the metrics, against values computed by hand.</summary>
[Collection("Torch")]
public class LossAndMetricTests
{
    private static readonly float[] Logits = [0.5f, -1f, 2f, 0f, -0.25f, 1.5f, 3f, -2f];   // [2 items, 2, 2]
    private static readonly float[] Labels = [1, 0, 1, 1, 0, 0, 1, 0];

    private static double Bce(double x, double y) => -(y * Math.Log(Sigmoid(x)) + (1 - y) * Math.Log(1 - Sigmoid(x)));

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Theory]
    [InlineData(torch.ScalarType.Float32)]
    [InlineData(torch.ScalarType.Float64)]
    [InlineData(torch.ScalarType.Int64)]
    [InlineData(torch.ScalarType.Bool)]
    public void BCEWithLogitsLossFlat_Is_The_Mean_Binary_Cross_Entropy_Of_Every_Slot_Whatever_The_Target_Type(torch.ScalarType targetType)
    {
        using var scope = torch.NewDisposeScope();
        var pred = torch.tensor(Logits, [2, 2, 2]);
        var target = torch.tensor(Labels, [2, 2, 2]).to(targetType);
        var loss = new BCEWithLogitsLossFlat();
        var slots = Logits.Select((x, i) => Bce(x, Labels[i])).ToArray();
        Assert.Equal(slots.Average(), loss.Compute(pred, target).item<float>(), 5);
        var perItem = loss.Compute(pred, target, reduce: false).data<float>().ToArray();
        Assert.Equal(2, perItem.Length);
        Assert.Equal(slots.Take(4).Average(), perItem[0], 5);
        Assert.Equal(slots.Skip(4).Average(), perItem[1], 5);
    }

    [Fact]
    public void BCEWithLogitsLossFlat_Activates_With_Sigmoid_And_Decodes_Above_Its_Threshold()
    {
        using var scope = torch.NewDisposeScope();
        var loss = new BCEWithLogitsLossFlat(threshold: 0.6);
        var probs = loss.Activation(torch.tensor(Logits)).data<float>().ToArray();
        Assert.Equal(Logits.Select(x => Sigmoid(x)).ToArray(), probs.Select(p => (double)p).ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
        var decoded = loss.Decode(torch.tensor(new[] { 0.59f, 0.6f, 0.61f, 0.1f })).data<bool>().ToArray();
        Assert.Equal([false, false, true, false], decoded);   // strictly above the threshold
    }

    [Fact]
    public void MSELossFlat_Per_Item_Is_The_Mean_Over_The_Items_Values_And_Casts_The_Target()
    {
        using var scope = torch.NewDisposeScope();
        var pred = torch.tensor(new[] { 1f, 2f, 3f, 0f, 0f, 0f }, [2, 3]);
        var target = torch.tensor(new[] { 1.0, 0.0, 0.0, 1.0, 2.0, 2.0 }, [2, 3]);   // float64: cast to float32
        var loss = new MSELossFlat();
        Assert.Equal((0 + 4 + 9 + 1 + 4 + 4) / 6.0, loss.Compute(pred, target).item<float>(), 5);
        Assert.Equal([13 / 3.0, 9 / 3.0], loss.Compute(pred, target, reduce: false).data<float>().ToArray().Select(v => (double)v).ToArray(),
            (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void CrossEntropyLossFlat_Flattens_To_The_Last_Axis_And_Decodes_Its_Argmax()
    {
        using var scope = torch.NewDisposeScope();
        // [1 item, 2 positions, 3 classes]: the loss of each position is −log softmax at its target.
        var logits = new float[] { 1, 2, 0, 3, 0, 1 };
        var pred = torch.tensor(logits, [1, 2, 3]);
        var target = torch.tensor(new[] { 1, 2 }, [1, 2]);   // int32: cast to int64
        double Ce(int row, int t)
        {
            var z = logits.Skip(3 * row).Take(3).Select(v => (double)v).ToArray();
            return Math.Log(z.Sum(Math.Exp)) - z[t];
        }
        var loss = new CrossEntropyLossFlat();
        Assert.Equal((Ce(0, 1) + Ce(1, 2)) / 2, loss.Compute(pred, target).item<float>(), 5);
        Assert.Equal([Ce(0, 1), Ce(1, 2)], loss.Compute(pred, target, reduce: false).data<float>().ToArray().Select(v => (double)v).ToArray(),
            (a, b) => Math.Abs(a - b) < 1e-5);
        var probs = loss.Activation(pred);
        Assert.Equal(2.0, probs.sum().item<float>(), 5);   // one distribution per position, over the classes
        Assert.Equal([1L, 0L], loss.Decode(probs).data<long>().ToArray());   // argmax over the last axis, per position
    }

    [Fact]
    public void AccumMetric_Reset_Forgets_The_Previous_Epoch()
    {
        using var scope = torch.NewDisposeScope();
        var rmse = new Rmse();
        rmse.Accumulate(torch.tensor(new[] { 10f, 10f }), torch.tensor(new[] { 0f, 0f }));
        Assert.Equal(10.0, rmse.Value, 5);
        rmse.Reset();
        Assert.True(double.IsNaN(rmse.Value), "nothing accumulated since the reset");
        rmse.Accumulate(torch.tensor(new[] { 1f, 3f }), torch.tensor(new[] { 0f, 0f }));
        rmse.Accumulate(torch.tensor(new[] { 2f }), torch.tensor(new[] { 0f }));
        Assert.Equal(Math.Sqrt((1 + 9 + 4) / 3.0), rmse.Value, 5);   // over the whole epoch, not the mean of batch RMSEs
    }

    [Fact]
    public void AccumMetric_Reset_Frees_The_Tensors_It_Kept()
    {
        using var scope = torch.NewDisposeScope();
        var pred = torch.tensor(new[] { 1f, 2f });
        var target = torch.tensor(new[] { 0f, 0f });
        var rmse = new Rmse();
        long before = MemoryProbe.LiveTensors;
        for (int i = 0; i < 3; i++)
            using (torch.NewDisposeScope())   // a batch's scope, as in the loop: the temporaries die with it
                rmse.Accumulate(pred, target);
        Assert.Equal(before + 6, MemoryProbe.LiveTensors);   // the epoch's predictions and targets are kept

        rmse.Reset();
        Assert.Equal(before, MemoryProbe.LiveTensors);   // every copy it kept is disposed, not left to the finalizer
    }

    [Fact]
    public void Metric_Names_Are_Fastais_Column_Names()
    {
        // fastai's epoch table heads these columns so (AccumMetric's name is the function's, `_rmse`).
        Assert.Equal("_rmse", new Rmse().Name);
        Assert.Equal("top_k_accuracy", new TopKAccuracy().Name);
        Assert.Equal("accuracy", new Accuracy().Name);
        Assert.Equal("error_rate", new ErrorRate().Name);
    }

    [Fact]
    public void TopKAccuracy_Counts_Targets_Among_The_K_Highest_Weighted_By_Batch_Size()
    {
        using var scope = torch.NewDisposeScope();
        var metric = new TopKAccuracy(k: 2);
        var pred = torch.tensor(new float[] { 0.1f, 0.5f, 0.4f, 0.7f, 0.2f, 0.1f, 0.3f, 0.3f, 0.4f }, [3, 3]);
        metric.Accumulate(pred, torch.tensor(new long[] { 2, 2, 2 }));   // hit, miss, hit
        metric.Accumulate(torch.tensor(new float[] { 0.9f, 0.1f, 0f }, [1, 3]), torch.tensor(new long[] { 2 }));   // miss
        Assert.Equal(2 / 4.0, metric.Value, 6);
    }
}
