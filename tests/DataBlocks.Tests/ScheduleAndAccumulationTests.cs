using System;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Learning;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>Annealing functions, SGDR's epoch count, FineTune's options and gradient accumulation, against hand computations.</summary>
[Collection("Torch")]
public class ScheduleAndAccumulationTests
{
    [Fact]
    public void Annealing_Functions_Give_Their_Formulas_Values()
    {
        Assert.Equal(2.75, Sched.Lin(2, 5)(0.25), 12);           // 2 + 0.25·3
        Assert.Equal(1.5, Sched.Poly(1, 3, 2)(0.5), 12);         // 1 + 2·0.5²
        Assert.Equal(3.0, Sched.Poly(1, 3, 0.5)(1), 12);
        Assert.Equal(2 * Math.Pow(4, 0.5), Sched.Exp(2, 8)(0.5), 12);
    }

    [Fact]
    public void Combine_Refuses_Fractions_That_Do_Not_Add_Up_Saying_Their_Sum_And_Accepts_A_Zero_Piece()
    {
        Schedule one = Sched.No(1), two = Sched.No(2);
        var sum = Assert.Throws<ArgumentException>(() => Sched.Combine([0.5, 0.4], [one, two]));
        Assert.Contains("(they sum to 0.9)", sum.Message);
        Assert.Throws<ArgumentException>(() => Sched.Combine([1.5, -0.5], [one, two]));
        var count = Assert.Throws<ArgumentException>(() => Sched.Combine([1.0], [one, two]));
        Assert.Contains("one fraction per schedule piece", count.Message);
        var combined = Sched.Combine([1.0, 0.0], [one, two]);   // an empty last piece is allowed
        Assert.Equal(1, combined(0.5));
    }

    [Fact]
    public void Sgdr_Epochs_Sum_The_Geometric_Cycle_Lengths()
    {
        Assert.Equal(7, Learner.SgdrEpochs(3, 1, 2));    // 1 + 2 + 4
        Assert.Equal(12, Learner.SgdrEpochs(2, 3, 3));   // 3 + 9
        Assert.Equal(6, Learner.SgdrEpochs(3, 2, 1));    // 2 + 2 + 2
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        Assert.Throws<ArgumentOutOfRangeException>(() => learn.FitSgdr(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => learn.FitSgdr(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => learn.FitSgdr(1, 1, cycleMult: 0));
    }

    [Fact]
    public void FineTune_Takes_The_Momentums_Given_And_Can_Skip_The_Frozen_Phase()
    {
        using var learn = TinyRegression.ThreeGroups(TinyRegression.Loaders());
        var trace = new HyperTrace();
        learn.FineTune(1, 1e-2, freezeEpochs: 0, moms: (0.8, 0.7, 0.8), callbacks: [trace]);
        Assert.Equal(10, trace.Lrs.Count);          // the unfrozen epoch only
        Assert.Equal(0.8, trace.Moms[0], 12);       // one-cycle's momentum starts at the first of the three
        Assert.All(Enumerable.Range(0, 3), g => Assert.True(learn.IsTrainable(g)));
    }

    [Fact]
    public void Accumulating_Two_Batches_Of_16_Steps_As_One_Batch_Of_32()
    {
        // Plain SGD (no momentum, no weight decay), unshuffled: one accumulated step over two batches of 16 must equal
        // one step over the same 32 items in one batch. The step comes when 32 items were seen, not after.
        var sgd = new LearnerOptions { Optimizer = new OptimizerSettings { Kind = OptimizerKind.Sgd, Mom = 0, Wd = 0 } };
        DataLoaders Data(int bs) => TinyRegression.Loaders(new DataLoaderOptions { BatchSize = bs, Seed = 1, Workers = 0, Device = torch.CPU, Shuffle = false }, 32, 32);
        torch.manual_seed(3);
        using var accumulated = TinyRegression.OneGroup(Data(16), sgd);
        torch.manual_seed(3);
        using var whole = TinyRegression.OneGroup(Data(32), sgd);
        var steps = new StepCounter();
        accumulated.Fit(1, 0.1, callbacks: [new GradientAccumulation(nAcc: 32), steps]);
        whole.Fit(1, 0.1);
        Assert.Equal(1, steps.Steps);
        TensorAssert.Close(TinyRegression.Weights(whole), TinyRegression.Weights(accumulated), rtol: 1e-5, atol: 1e-6);
    }

    private sealed class StepCounter : Callback
    {
        public int Steps { get; private set; }

        public override void AfterStep() => Steps++;
    }
}
