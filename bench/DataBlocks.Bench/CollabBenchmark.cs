using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using DataBlocks;
using DataBlocks.Collab;
using DataBlocks.Data;
using DataBlocks.Learning;
using DataBlocks.Synthetic;
using TorchSharp;
using static DataBlocks.Blocks;

namespace DataBlocks.Bench;

/// <summary>A rating of the benchmark: MovieLens' or a synthetic one of the same shape.</summary>
public sealed record BenchRating(int User, string Title, float Rating);

/// <summary>Ratings for the collab benchmark, declared as the sample does.</summary>
[Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
public partial class BenchRatings
{
    [GetX(0)] static int User(BenchRating r) => r.User;
    [GetX(1)] static string Title(BenchRating r) => r.Title;
    [GetY] static float Rating(BenchRating r) => r.Rating;
    [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
}

/// <summary>
/// One measured configuration: seconds per timed pass (<paramref name="Seconds"/>: the median pass of a loader, the mean
/// epoch of a training loop) and the whole run (<paramref name="WholeRun"/>: setup, the warm-up pass and the timed
/// passes, <see cref="CollabBenchmark.Passes"/> in all).
/// </summary>
internal sealed record CollabFigure(string Name, double Seconds, double WholeRun, long Rows)
{
    public double RowsPerSecond => Rows / Seconds;

    /// <summary>The whole run's seconds per pass, warm-up included.</summary>
    public double WholeRunPerPass => WholeRun / CollabBenchmark.Passes;
}

/// <summary>
/// Collaborative filtering on MovieLens 100k (or synthetic ratings of the same shape): loader throughput, columnar
/// against per-item; seconds per epoch of the dot-product model in the Learner against a hand-written TorchSharp loop
/// over the same batches; seconds per epoch of the neural model.
/// </summary>
internal static class CollabBenchmark
{
    /// <summary>The timed passes (epochs, or loader passes) after the warm-up.</summary>
    public const int Epochs = 3;

    /// <summary>The warm-up pass and the timed ones.</summary>
    public const int Passes = Epochs + 1;

    public static (IReadOnlyList<CollabFigure> Loading, IReadOnlyList<CollabFigure> Training, string Source) Run(string repo, TextWriter log)
    {
        var (rows, source) = Data(repo);
        log.WriteLine($"Data: {source}");
        var options = new DataLoaderOptions { BatchSize = 64, Seed = 42, Workers = 0, Device = torch.CPU };
        using var dls = BenchRatings.DataLoaders(rows, options);
        using var perItem = BenchRatings.DataLoaders(rows, options with { ItemTransforms = new Untouched() });
        using var perItemWorkers = BenchRatings.DataLoaders(rows, options with { ItemTransforms = new Untouched(), Workers = 2 });

        var loading = new List<CollabFigure>
        {
            Loader("per-item loader, 0 workers (baseline)", perItem.Train),
            Loader("per-item loader, 2 workers", perItemWorkers.Train),
            Loader("columnar loader (index slices)", dls.Train),
        };
        foreach (var f in loading) log.WriteLine($"  {f.Name}: {f.RowsPerSecond:N0} rows/s");

        var training = new List<CollabFigure>();
        var quiet = new LearnerOptions { Output = null, Progress = ProgressMode.Silent };
        long rowsPerEpoch = dls.Train.ItemCount + dls.Valid.ItemCount;

        Seed.Everything(42);
        var whole = Stopwatch.StartNew();
        using (var hand = new EmbeddingDotBias(50, dls.UserVocab.Count, dls.TitleVocab.Count, (0, 5.5)))
        using (var optimizer = new LearnerOptimizer([hand.parameters().ToArray()], new HashSet<TorchSharp.Modules.Parameter>(),
                   OptimizerSettings.Adam with { Wd = 0.1 }, 5e-3))
        {
            // The Learner's optimizer at a constant rate: the same arithmetic as the Learner's steps (the dot-product model
            // has no bias or norm parameters for the Learner to exclude from weight decay).
            HandEpoch(hand, optimizer.Step, optimizer.ZeroGrad, dls);   // warm-up
            var times = Enumerable.Range(0, Epochs).Select(_ => Stats.Seconds(() => HandEpoch(hand, optimizer.Step, optimizer.ZeroGrad, dls))).ToArray();
            training.Add(new CollabFigure("dot product, hand-written loop with the Learner's optimizer (baseline)", times.Average(), whole.Elapsed.TotalSeconds,
                rowsPerEpoch));
        }
        Seed.Everything(42);
        whole.Restart();
        using (var hand = new EmbeddingDotBias(50, dls.UserVocab.Count, dls.TitleVocab.Count, (0, 5.5)))
        using (var optimizer = torch.optim.AdamW(hand.parameters(), 5e-3, 0.9, 0.99, 1e-5, 0.1))
        {
            HandEpoch(hand, () => optimizer.step(), () => optimizer.zero_grad(), dls);   // warm-up
            var times = Enumerable.Range(0, Epochs).Select(_ => Stats.Seconds(() => HandEpoch(hand, () => optimizer.step(), () => optimizer.zero_grad(), dls)))
                .ToArray();
            training.Add(new CollabFigure("dot product, hand-written loop with TorchSharp's AdamW (another kernel, for reference)", times.Average(),
                whole.Elapsed.TotalSeconds, rowsPerEpoch));
        }
        foreach (bool nn in new[] { false, true })
        {
            Seed.Everything(42);
            whole.Restart();
            using var learn = nn
                ? CollabLearner.Create(dls, useNn: true, layers: [100, 50], options: quiet)
                : CollabLearner.Create(dls, nFactors: 50, options: quiet);
            learn.Fit(1, 5e-3, wd: 0.1);   // warm-up
            var rowsOut = learn.FitOneCycle(Epochs, 5e-3, wd: 0.1);
            training.Add(new CollabFigure(nn ? "EmbeddingNN [100, 50], Learner.FitOneCycle" : "dot product, Learner.FitOneCycle",
                rowsOut.Average(r => r.Time.TotalSeconds), whole.Elapsed.TotalSeconds, rowsPerEpoch));
        }
        foreach (var f in training) log.WriteLine($"  {f.Name}: {f.Seconds:F2} s per epoch (mean of {Epochs} after a warm-up), whole run {f.WholeRun:F2} s");
        return (loading, training, source);
    }

    private static (IReadOnlyList<BenchRating> Rows, string Source) Data(string repo)
    {
        string folder = Path.GetFullPath(Path.Combine(repo, "..", "shared", "data", "ml-100k"));
        if (File.Exists(Path.Combine(folder, "u.data")))
            return (MovieLens.Read100k(folder).Select(r => new BenchRating(r.User, r.Title, r.Rating)).ToArray(),
                "../shared/data/ml-100k (100,000 ratings, 943 users, 1,664 titles; 80,000 training and 20,000 validation rows)");
        var synthetic = RatingsDataset.Generate(users: 943, items: 1664, ratings: 100_000, factors: 8, noise: 0.9, seed: 42);
        return (synthetic.Rows.Select(r => new BenchRating(r.User, r.Item, r.Rating)).ToArray(),
            "synthetic ratings of MovieLens 100k's shape (100,000 ratings, 943 users, 1,664 items; ml-100k was not found)");
    }

    private static CollabFigure Loader(string name, DataLoader loader)
    {
        var whole = Stopwatch.StartNew();
        foreach (var _ in loader) { }   // warm-up (a columnar loader encodes the split here: real work, in the whole run)
        var times = Enumerable.Range(0, Epochs).Select(_ => Stats.Seconds(() =>
        {
            foreach (var batch in loader) _ = batch.Size;
        })).ToArray();
        return new CollabFigure(name, Stats.Median(times), whole.Elapsed.TotalSeconds, loader.ItemCount - loader.ItemCount % loader.BatchSize);
    }

    /// <summary>The loop a TorchSharp user writes: a dispose scope per batch, MSE, backward, a step; then validation.</summary>
    private static void HandEpoch(EmbeddingDotBias model, Action step, Action zeroGrad, BenchRatingsDataLoaders dls)
    {
        model.train();
        foreach (var batch in dls.Train)
        {
            using var scope = torch.NewDisposeScope();
            var loss = torch.nn.functional.mse_loss(model.call(torch.stack([batch.User, batch.Title], 1)), batch.Rating);
            loss.backward();
            step();
            zeroGrad();
            _ = loss.item<float>();
        }
        model.eval();
        using (torch.no_grad())
            foreach (var batch in dls.Valid)
            {
                using var scope = torch.NewDisposeScope();
                _ = torch.nn.functional.mse_loss(model.call(torch.stack([batch.User, batch.Title], 1)), batch.Rating).item<float>();
            }
        model.train();
    }

    /// <summary>An item transform that changes nothing: it sends the loader down the per-item path, for comparison.</summary>
    private sealed class Untouched : IItemTransform
    {
        public int Order => 0;
        public string Name => "Untouched";
        public void Apply(Sample sample, ItemContext context) { }
    }
}
