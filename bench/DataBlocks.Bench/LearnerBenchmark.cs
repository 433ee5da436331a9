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
/// The Learner's epoch time against a hand-written TorchSharp loop: same model (same initial weights), same loader and
/// batches, same optimizer settings (AdamW 1e-3, β (0.9, 0.99), ε 1e-5, wd 0.01), both training and validating with
/// accuracy, measured in the same run.
/// </summary>
internal static class LearnerBenchmark
{
    /// <returns>The median epochs, and the median of the per-pair ratios Learner / hand-written (each pair runs back to back).</returns>
    public static (double HandSeconds, double LearnerSeconds, double Ratio, string Source, int Batches) Run(string repo, int epochs, TextWriter log)
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
        var hand = new List<double>();
        var learner = new List<double>();
        var handDls = Digits.DataLoaders(root, bs: 64, seed: 1, workers: 2, device: torch.CPU);
        var learnDls = Digits.DataLoaders(root, bs: 64, seed: 1, workers: 2, device: torch.CPU);

        Seed.Everything(7);
        using var handModel = SimpleCnn.Create(handDls.C, [3, 16, 32, 64]);
        Seed.Everything(7);
        using var learn = new Learner(learnDls, SimpleCnn.Create(learnDls.C, [3, 16, 32, 64]), metrics: [new Accuracy()],
            options: new LearnerOptions { Output = null, Progress = ProgressMode.Silent });
        using var optimizer = torch.optim.AdamW(handModel.parameters(), 1e-3, 0.9, 0.99, 1e-5, 0.01);

        HandEpoch(handModel, optimizer, handDls);   // warm-up: JIT, page cache, allocator
        learn.Fit(1, 1e-3);
        for (int e = 0; e < epochs; e++)
        {
            // Each pair runs back to back, the order swapped every pair, so neither side always follows the other.
            void Hand() => hand.Add(Stats.Seconds(() => HandEpoch(handModel, optimizer, handDls)));
            void Learn() => learner.Add(Stats.Seconds(() => learn.Fit(1, 1e-3)));
            if (e % 2 == 0) { Hand(); Learn(); }
            else { Learn(); Hand(); }
            log.WriteLine($"  epoch {e + 1}: hand-written {hand[^1]:F2} s, Learner {learner[^1]:F2} s");
        }
        return (Stats.Median(hand), Stats.Median(learner), Stats.Median(learner.Select((l, e) => l / hand[e]).ToArray()), source,
            handDls.Train.Count + handDls.Valid.Count);
    }

    /// <summary>The loop a TorchSharp user writes by hand: one dispose scope per batch, then a validation pass.</summary>
    private static double HandEpoch(torch.nn.Module<torch.Tensor, torch.Tensor> model, torch.optim.Optimizer optimizer, DigitsDataLoaders dls)
    {
        model.train();
        foreach (var batch in dls.Train)
        {
            using var scope = torch.NewDisposeScope();
            var loss = torch.nn.functional.cross_entropy(model.call(batch.Image), batch.Digit);
            loss.backward();
            optimizer.step();
            optimizer.zero_grad();
            _ = loss.item<float>();
        }
        model.eval();
        long correct = 0, total = 0;
        using (torch.no_grad())
            foreach (var batch in dls.Valid)
            {
                using var scope = torch.NewDisposeScope();
                var pred = model.call(batch.Image);
                _ = torch.nn.functional.cross_entropy(pred, batch.Digit).item<float>();
                correct += pred.argmax(-1).eq(batch.Digit).sum().item<long>();
                total += batch.Size;
            }
        model.train();
        return (double)correct / total;
    }
}
