// Collaborative filtering on MovieLens 100k, the fastai lesson end to end: the dot-product model trained with fastbook's
// recipe, its analysis (biases, nearest films, a PCA plot of the film factors, recommendations), an export/load round
// trip, and the neural model. Exits non-zero when a target is missed.
//   dotnet run --project samples/MovieLens -c Release [-- <the ml-100k folder>]
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using DataBlocks;
using DataBlocks.Collab;
using DataBlocks.Learning;
using MovieLens;

const double DotTarget = 0.821, NnTarget = 0.866, DotSeconds = 2.0, NnSeconds = 5.0;
var clock = Stopwatch.StartNew();
string? folder = args.Length > 0 ? args[0] : FindData();
if (folder is null)
{
    Console.Error.WriteLine("ml-100k was not found under ../shared/data. Download MovieLens 100k from GroupLens, unzip it, and pass the folder " +
                            "that holds u.data and u.item: dotnet run --project samples/MovieLens -c Release -- <folder>");
    return 2;
}
string output = Path.Combine(".data", "movielens");
TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));

var read = Stopwatch.StartNew();
using var dls = Open(folder);
if (dls is null) return 2;
Console.WriteLine($"Read and encoded {dls.TypedDatasets.Train.Count + dls.TypedDatasets.Valid.Count:N0} ratings in {read.Elapsed.TotalSeconds:F2} s.");
Console.WriteLine(dls.Summary());
foreach (string line in dls.Train.DescribeBatch(5)) Console.WriteLine(line);

// 1. The dot-product model, fastbook's recipe: 50 factors, y_range (0, 5.5), fit_one_cycle(5, 5e-3, wd=0.1).
Seed.Everything(42);
var options = new LearnerOptions { Path = output };
using var learn = CollabLearner.Create(dls, nFactors: 50, yRange: (0, 5.5), options: options);
Console.WriteLine("\nEmbeddingDotBias — fit_one_cycle(5, 5e-3, wd=0.1)");
var dot = learn.FitOneCycle(5, 5e-3, wd: 0.1);
double dotMse = dot[^1].ValidLoss;
// Seconds per epoch: the mean of epochs 2–5 (every one counts: a mean, not a median); the first also pays the warm-up
// (JIT, the first native allocations) and is printed beside it.
double dotEpoch = dot.Skip(1).Average(r => r.Time.TotalSeconds);

// 2. What the model learned.
var films = CollabModel<int, string>.From(learn);
Console.WriteLine("\nLeast liked beyond their factors (lowest bias): " + string.Join("; ", films.LeastLiked(5).Select(s => s.Item)));
Console.WriteLine("Most liked beyond their factors (highest bias): " + string.Join("; ", films.MostLiked(5).Select(s => s.Item)));
const string Lambs = "Silence of the Lambs, The (1991)";
Console.WriteLine($"Nearest to {Lambs}: " + string.Join("; ", films.Nearest(Lambs, 5).Select(s => $"{s.Item} ({s.Value:F2})")));
Console.WriteLine("PCA plot of the film factors: " + films.PlotItemPca(Path.Combine(output, "film_pca.png")));
int user = dls.TypedDatasets.Train[0].User;
Console.WriteLine($"User {user}: Star Wars (1977) predicted {films.Predict(user, "Star Wars (1977)"):F2}; top 5 unseen: " +
                  string.Join("; ", films.Recommend(user, 5).Select(r => $"{r.Item} ({r.Rating:F2})")));

// 3. Export, then load without the data: the same predictions.
string exported = films.Export(Path.Combine(output, "movielens-dot.dbcollab"));
using (var loaded = CollabModel<int, string>.Load(exported, dls.Device))
{
    // Validation rows may hold a film the training split never had: UseNa predicts it from the #na# slot, as training did.
    var pairs = dls.TypedDatasets.Valid.Take(200).Select(r => (r.User, r.Title)).ToArray();
    float worst = films.Predict(pairs, UnknownKeys.UseNa).Zip(loaded.Predict(pairs, UnknownKeys.UseNa)).Max(p => Math.Abs(p.First - p.Second));
    Console.WriteLine($"Exported to {exported} ({new FileInfo(exported).Length / 1024} KiB); loaded predictions differ by at most {worst:G3}.");
    if (worst > 1e-5) throw new InvalidOperationException("The exported model predicts differently.");
}

// 4. The neural model: embeddings of fastai's sizes, hidden layers [100, 50].
Seed.Everything(42);
using var nnLearn = CollabLearner.Create(dls, useNn: true, layers: [100, 50], yRange: (0, 5.5), options: options);
Console.WriteLine("\nEmbeddingNN [100, 50] — fit_one_cycle(5, 5e-3, wd=0.1)");
var nn = nnLearn.FitOneCycle(5, 5e-3, wd: 0.1);
double nnMse = nn[^1].ValidLoss;
double nnEpoch = nn.Skip(1).Average(r => r.Time.TotalSeconds);

var checks = new List<(string, bool)>
{
    ($"dot product: valid MSE {dotMse:F4} (target ≤ {DotTarget})", dotMse <= DotTarget),
    ($"dot product: {dotEpoch:F2} s per epoch (mean of epochs 2–5; the first {dot[0].Time.TotalSeconds:F2} s; target ≤ {DotSeconds} s)", dotEpoch <= DotSeconds),
    ($"EmbeddingNN: valid MSE {nnMse:F4} (target ≤ {NnTarget})", nnMse <= NnTarget),
    ($"EmbeddingNN: {nnEpoch:F2} s per epoch (mean of epochs 2–5; the first {nn[0].Time.TotalSeconds:F2} s; target ≤ {NnSeconds} s)", nnEpoch <= NnSeconds),
};
Console.WriteLine();
foreach (var (text, ok) in checks) Console.WriteLine($"{(ok ? "met   " : "MISSED")} {text}");
Console.WriteLine($"{clock.Elapsed:mm\\:ss} in all. Files in {Path.GetFullPath(output)}.");
return checks.All(c => c.Item2) ? 0 : 1;

// The ratings as loaders; a missing or bad file is a message naming it (and exit code 2), not a stack trace.
static RatingsDataLoaders? Open(string folder)
{
    try
    {
        return Ratings.DataLoaders(folder, bs: 64, seed: 42);
    }
    catch (DataBlocksException e)
    {
        Console.Error.WriteLine(e.Message);
        return null;
    }
}

static string? FindData()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "shared", "data", "ml-100k");
        if (File.Exists(Path.Combine(candidate, "u.data"))) return candidate;
    }
    return null;
}
