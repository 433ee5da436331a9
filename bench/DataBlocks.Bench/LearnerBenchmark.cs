using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks;
using DataBlocks.Data;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.Synthetic;
using DataBlocks.Vision;
using DataBlocks.Vision.Models;
using TorchSharp;
using static DataBlocks.Blocks;

namespace DataBlocks.Bench;

/// <summary>MNIST 3-vs-7 folders (or synthetic shapes of the same layout) for the learner benchmark.</summary>
[Block(ImageBlock, CategoryBlock)]
public partial class Digits
{
    [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root, recurse: true, "train", "valid");
    [GetY] static string Digit(string path) => Label.FromParentFolder(path);
    [Splitter] static ISplitter Split => new GrandparentSplitter();
}

/// <summary>
/// The Learner's epoch time against hand-written TorchSharp loops: same model (same initial weights), same loader and
/// batches, both training and validating with accuracy, measured in the same run. The overhead is measured against the
/// loop that steps the same optimizer (the Learner's <see cref="LearnerOptimizer"/>: fastai's Adam, lr 1e-3, β (0.9,
/// 0.99), ε 1e-5, wd 0.01 on every parameter), so both sides do the same arithmetic; a loop stepping TorchSharp's AdamW
/// (the same formula, another kernel) is timed beside them for reference.
/// </summary>
internal static class LearnerBenchmark
{
    /// <summary>Median epoch times of the three loops and the median of the per-trial ratios Learner / same-optimizer loop.</summary>
    public sealed record Result(double AdamWSeconds, double SameOptimizerSeconds, double LearnerSeconds, double Ratio, string Source, int Batches);

    /// <summary>The Learner's Adam with weight decay on every parameter: the arithmetic both sides share.</summary>
    private static readonly OptimizerSettings Adam = OptimizerSettings.Adam with { WdBnBias = true };

    /// <returns>The medians, and the median of the per-trial ratios (each trial runs the Learner and the same-optimizer loop back to back, which first alternating, then the reference loop).</returns>
    public static Result Run(string repo, int epochs, TextWriter log)
    {
        string mnist = Path.GetFullPath(Path.Combine(repo, "..", "shared", "data", "mnist", "mnist_sample"));
        string source;
        string root;
        if (Directory.Exists(mnist))
        {
            root = mnist;
            source = "../shared/data/mnist/mnist_sample (12,396 training and 2,038 validation 28×28 PNGs)";
        }
        else
        {
            root = ShapesDataset.Generate(Path.Combine(repo, ".data", "bench-digits"), trainPerClass: 3000, validPerClass: 500, size: 28,
                shapes: ["circle", "cross"], seed: 3);
            source = "synthetic 28×28 shapes, 6,000 training and 1,000 validation images (mnist_sample was not found)";
        }
        var adamW = new List<double>();
        var same = new List<double>();
        var learner = new List<double>();
        var adamWDls = Digits.DataLoaders(root, bs: 64, seed: 1, workers: 2, device: torch.CPU);
        var sameDls = Digits.DataLoaders(root, bs: 64, seed: 1, workers: 2, device: torch.CPU);
        var learnDls = Digits.DataLoaders(root, bs: 64, seed: 1, workers: 2, device: torch.CPU);

        Seed.Everything(7);
        using var adamWModel = SimpleCnn.Create(adamWDls.C, [3, 16, 32, 64]);
        Seed.Everything(7);
        using var sameModel = SimpleCnn.Create(sameDls.C, [3, 16, 32, 64]);
        Seed.Everything(7);
        using var learn = new Learner(learnDls, SimpleCnn.Create(learnDls.C, [3, 16, 32, 64]), metrics: [new Accuracy()],
            options: new LearnerOptions { Output = null, Progress = ProgressMode.Silent, Optimizer = Adam });
        using var torchAdamW = torch.optim.AdamW(adamWModel.parameters(), 1e-3, 0.9, 0.99, 1e-5, 0.01);
        using var ours = new LearnerOptimizer([sameModel.parameters().ToArray()], new HashSet<TorchSharp.Modules.Parameter>(), Adam, 1e-3);

        HandLoop.Epoch(adamWModel, () => torchAdamW.step(), () => torchAdamW.zero_grad(), adamWDls.Untyped);   // warm-up: JIT, page cache, allocator
        HandLoop.Epoch(sameModel, ours.Step, ours.ZeroGrad, sameDls.Untyped);
        learn.Fit(1, 1e-3);
        Action adamWRun = () => adamW.Add(Stats.Seconds(() => HandLoop.Epoch(adamWModel, () => torchAdamW.step(), () => torchAdamW.zero_grad(), adamWDls.Untyped)));
        Action sameRun = () => same.Add(Stats.Seconds(() => HandLoop.Epoch(sameModel, ours.Step, ours.ZeroGrad, sameDls.Untyped)));
        Action learnerRun = () => learner.Add(Stats.Seconds(() => learn.Fit(1, 1e-3)));
        for (int e = 0; e < epochs; e++)
        {
            // Each trial runs the measured pair back to back, which first alternating every trial, then the reference loop,
            // so each of the pair follows the same neighbours equally often and the reference never sits between them.
            if (e % 2 == 0) { sameRun(); learnerRun(); }
            else { learnerRun(); sameRun(); }
            adamWRun();
            log.WriteLine($"  trial {e + 1}: hand-written (same optimizer) {same[^1]:F2} s, Learner {learner[^1]:F2} s " +
                          $"(ratio {learner[^1] / same[^1]:F3}); hand-written (TorchSharp AdamW) {adamW[^1]:F2} s");
        }
        return new Result(Stats.Median(adamW), Stats.Median(same), Stats.Median(learner),
            Stats.Median(learner.Select((l, e) => l / same[e]).ToArray()), source, learnDls.Train.Count + learnDls.Valid.Count);
    }
}
