// DataBlocks benchmarks: whole-run figures with a baseline measured in the same run, written to docs/benchmarks.md.
//   dotnet run --project bench/DataBlocks.Bench -c Release                 data-loading benchmark (7 trials)
//   dotnet run --project bench/DataBlocks.Bench -c Release -- --check      ... and exit 1 when a target is missed
//   dotnet run --project bench/DataBlocks.Bench -c Release -- micro        BenchmarkDotNet micro-benchmarks
//   dotnet run --project bench/DataBlocks.Bench -c Release -- datasets     validation runs over ../shared/data
//   dotnet run --project bench/DataBlocks.Bench -c Release -- learner      Learner epoch time vs a hand-written loop
//   dotnet run --project bench/DataBlocks.Bench -c Release -- collab       MovieLens 100k: loading and epoch times
using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Running;
using DataBlocks.Bench;
using Spectre.Console;

if (args.Contains("datasets")) return SharedDatasets.Run(Repo.Root());
if (args.Contains("learner")) return LearnerOverhead(Repo.Root(), args.Contains("--check"), !args.Contains("--no-write"));
if (args.Contains("collab")) return Collab(Repo.Root(), args.Contains("--check"), !args.Contains("--no-write"));

if (args.Contains("micro"))
{
    BenchmarkRunner.Run<MicroBenchmarks>();
    return 0;
}

int trials = args.SkipWhile(a => a != "--trials").Skip(1).Select(int.Parse).FirstOrDefault(7);   // one trial varies by ±15% here
bool check = args.Contains("--check");
bool write = !args.Contains("--no-write");
string repo = Repo.Root();
TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));

var (folder, source) = BenchData.Photos(repo);
string machine = Report.Machine();
Console.WriteLine($"Machine: {machine}");
Console.WriteLine($"Data:    {source}");
var results = LoaderBenchmark.Run(folder, trials, Console.Out);

var table = new Table().AddColumns("configuration", "images/s", "× baseline", "seconds", "images");
foreach (var r in results)
    table.AddRow(r.Name, Report.Number(r.ImagesPerSecond), r.Ratio.ToString("0.00"), r.Seconds.ToString("0.00"), r.Images.ToString());
AnsiConsole.Write(table);

double zero = results.Single(r => r.Name == "DataLoader, 0 workers").Ratio;
double two = results.Single(r => r.Name == "DataLoader, 2 workers").Ratio;
bool zeroOk = zero >= 0.9, twoOk = two >= 1.6;
string verdict = $"Targets: 2 workers ≥ 1.60× baseline: {two:0.00}× ({(twoOk ? "met" : "MISSED")}); " +
                 $"0 workers within 10% of baseline (≥ 0.90×): {zero:0.00}× ({(zeroOk ? "met" : "MISSED")}).";
Console.WriteLine(verdict);

if (write)
{
    Report.WriteSection(repo, "data-loading", "Data loading: images per second through the training DataLoader", machine, verdict, md =>
    {
        md.AppendLine($"Data: {source}. Images/s and seconds are the median of {trials} trials after a warm-up; × baseline is the median of the");
        md.AppendLine("per-trial ratios (each trial times the baseline and both loaders back to back, in an order rotated every trial); files");
        md.AppendLine("are in the page cache.");
        md.AppendLine();
        md.AppendLine("The loader decodes each JPEG, crops and resizes it to 224×224 (`Resize(224)`, a random window), collates 64 into");
        md.AppendLine("a batch while converting to float and normalising with ImageNet statistics (on the CPU, `IntToFloatTensor` and");
        md.AppendLine("`Normalize` are fused into collation on the workers), and makes the batch tensor. The baseline decodes the same");
        md.AppendLine("files with `SKBitmap.Decode` and draws the centre square at 224×224 on one thread, nothing else — no batch, no tensor.");
        md.AppendLine("On one thread the loader keeps up with the baseline (0.95–1.2× over our runs) while also collating and normalising:");
        md.AppendLine("it reads the header first and decodes each JPEG at the smallest n/8 scale that still covers the crop (5/8 for a 500×374 photo).");
        md.AppendLine("The loader also checks each JPEG's entropy-coded data for damage libjpeg would hide (docs/data.md, \"Bad input\"),");
        md.AppendLine("once per file per process: the first rows are measured with that check already done (as from the second epoch on);");
        md.AppendLine($"the last row forgets it before each of its {trials} trials (each paired with a baseline run of its own), as a process's first epoch.");
        md.AppendLine();
        md.AppendLine("| configuration | images/s | × baseline | seconds | images |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var r in results)
            md.AppendLine($"| {r.Name} | {Report.Number(r.ImagesPerSecond)} | {r.Ratio:0.00} | {r.Seconds:0.00} | {r.Images} |");
    });
}

return check && !(zeroOk && twoOk) ? 1 : 0;

static int LearnerOverhead(string repo, bool check, bool write)
{
    TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
    string machine = Report.Machine();
    Console.WriteLine($"Machine: {machine}");
    const int epochs = 9;   // trials: one epoch's time varies by ±15% on this machine, so the median needs several
    var r = LearnerBenchmark.Run(repo, epochs, Console.Out);
    double overhead = r.Ratio - 1;   // paired: the median of the per-trial ratios against the loop stepping the same optimizer
    bool ok = overhead <= 0.05;
    string verdict = $"Target: Learner overhead over the hand-written loop with the same optimizer ≤ 5%: {overhead:P1} ({(ok ? "met" : "MISSED")}).";
    Console.WriteLine($"Data: {r.Source}");
    Console.WriteLine($"Median epoch: hand-written loop (TorchSharp AdamW) {r.AdamWSeconds:F2} s, hand-written loop (the Learner's optimizer) " +
                      $"{r.SameOptimizerSeconds:F2} s, Learner {r.LearnerSeconds:F2} s. {verdict}");
    if (write)
    {
        Report.WriteSection(repo, "learner-overhead", "Learner overhead: epoch time against a hand-written TorchSharp loop", machine, verdict, md =>
        {
            md.AppendLine($"Data: {r.Source}; {r.Batches} batches of 64 per epoch (training and validation), 2 loader workers.");
            md.AppendLine();
            md.AppendLine("All three train the same small CNN (`SimpleCnn` 3-16-32-64, same initial weights) on the same loader and batches,");
            md.AppendLine("then validate with accuracy. The hand-written loops are what a TorchSharp user writes: a dispose scope per batch,");
            md.AppendLine("forward, loss, backward, step. The overhead is measured against the loop that steps the Learner's own optimizer");
            md.AppendLine("(`LearnerOptimizer`, fastai's Adam: lr 1e-3, β (0.9, 0.99), ε 1e-5, wd 0.01 on every parameter), so both sides do");
            md.AppendLine("the same arithmetic and the difference is the Learner: its callbacks (recorder, smoothed loss, metrics, progress),");
            md.AppendLine("the NaN guard and its events. The loop stepping TorchSharp's AdamW (the same formula, TorchSharp's kernel of eight");
            md.AppendLine("tensor operations per parameter) is timed beside them for reference; its ratio is not the Learner's overhead.");
            md.AppendLine($"Median of {epochs} epochs each, after a warm-up epoch; each trial runs the three back to back in an order rotated every trial,");
            md.AppendLine($"and the overhead is the median of the {epochs} per-trial ratios.");
            md.AppendLine();
            md.AppendLine("| loop | seconds per epoch |");
            md.AppendLine("|---|---:|");
            md.AppendLine($"| hand-written loop, the Learner's optimizer (baseline) | {r.SameOptimizerSeconds:F2} |");
            md.AppendLine($"| Learner.Fit | {r.LearnerSeconds:F2} |");
            md.AppendLine($"| hand-written loop, TorchSharp's AdamW (another kernel, for reference) | {r.AdamWSeconds:F2} |");
        });
    }
    return check && !ok ? 1 : 0;
}

static int Collab(string repo, bool check, bool write)
{
    TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
    string machine = Report.Machine();
    Console.WriteLine($"Machine: {machine}");
    var (loading, training, source) = CollabBenchmark.Run(repo, Console.Out);
    double baseline = loading[0].RowsPerSecond;
    double columnar = loading[^1].RowsPerSecond / baseline, columnarWhole = loading[0].WholeRun / loading[^1].WholeRun;
    // Targets on the mean epoch after the warm-up (as samples/MovieLens checks them): a slow epoch counts, as a median's would not.
    double hand = training[0].Seconds, adamW = training[1].Seconds, dot = training[2].Seconds, nn = training[3].Seconds;
    const double DotSeconds = 2.0, NnSeconds = 5.0;
    bool dotOk = dot <= DotSeconds, nnOk = nn <= NnSeconds;
    string verdict = $"Targets (mean epoch after the warm-up): dot product ≤ {DotSeconds:F1} s per epoch: {dot:F2} s ({(dotOk ? "met" : "MISSED")}); " +
                     $"EmbeddingNN ≤ {NnSeconds:F1} s per epoch: {nn:F2} s ({(nnOk ? "met" : "MISSED")}). " +
                     $"Columnar loading {columnar:0.0}× the per-item loader's rows/s ({columnarWhole:0.0}× over the whole run, encoding included); " +
                     $"the Learner's dot-product epoch takes {dot / hand:0.00}× the time of the hand-written loop stepping the same optimizer " +
                     $"({training[2].WholeRun / training[0].WholeRun:0.00}× over the whole run; {dot / adamW:0.00}× the loop stepping TorchSharp's AdamW).";
    const string Reference = "Recorded reference, not measured in this run: fastai 2.7 took 4.1 s per dot-product epoch and 15 s per EmbeddingNN " +
                             "epoch on this project's 2-core CPU machine, as the collaborative-filtering task recorded them when it set the targets.";
    Console.WriteLine(verdict);
    Console.WriteLine(Reference);
    if (write)
    {
        Report.WriteSection(repo, "collab", "Collaborative filtering: MovieLens 100k", machine, verdict, md =>
        {
            md.AppendLine($"Data: {source}. Batch size 64, CPU.");
            md.AppendLine();
            md.AppendLine($"Loading: one training epoch of (user, title, rating) batches: the median of {CollabBenchmark.Epochs} passes after a warm-up, and the whole run");
            md.AppendLine($"({CollabBenchmark.Passes} passes, the warm-up included: the columnar loader encodes the split there). The per-item loaders get");
            md.AppendLine("an item transform that changes nothing, which sends them down the path images take (a sample object per row,");
            md.AppendLine("collation per batch); the columnar loader slices tensors encoded once.");
            md.AppendLine();
            md.AppendLine("| loader | rows/s (median pass) | × baseline | whole run, s | × baseline |");
            md.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var f in loading)
                md.AppendLine($"| {f.Name} | {Report.Number(f.RowsPerSecond)} | {f.RowsPerSecond / baseline:0.00} | {f.WholeRun:F2} | {loading[0].WholeRun / f.WholeRun:0.00} |");
            md.AppendLine();
            md.AppendLine("Training: seconds per epoch (80,000 training rows with backward and an Adam step, then 20,000 validation rows): the");
            md.AppendLine($"mean of {CollabBenchmark.Epochs} epochs after a warm-up epoch (the targets' figure), and the whole run (model creation and {CollabBenchmark.Passes} epochs) per");
            md.AppendLine("epoch. fastbook's recipe: `FitOneCycle(5e-3, wd: 0.1)`, 50 factors, y range (0, 5.5).");
            md.AppendLine("The baseline is the same `EmbeddingDotBias` trained over the same batches by a hand-written TorchSharp loop that steps");
            md.AppendLine("the Learner's own optimizer (`LearnerOptimizer`, fastai's Adam, wd 0.1), so both sides do the same arithmetic; a loop");
            md.AppendLine("stepping TorchSharp's AdamW (the same formula, another kernel) is timed beside it for reference.");
            md.AppendLine();
            md.AppendLine("| model and loop | s per epoch (mean) | rows/s | whole run, s per epoch | × baseline's time |");
            md.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var f in training)
                md.AppendLine($"| {f.Name} | {f.Seconds:F2} | {Report.Number(f.RowsPerSecond)} | {f.WholeRunPerPass:F2} | {f.WholeRun / training[0].WholeRun:0.00} |");
            md.AppendLine();
            md.AppendLine(Reference);
        });
    }
    return check && !(dotOk && nnOk) ? 1 : 0;
}

namespace DataBlocks.Bench
{
    internal static class Repo
    {
        /// <summary>The repository root (the folder holding DataBlocks.sln), searched upward from the binary and the current folder.</summary>
        public static string Root()
        {
            foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                    if (File.Exists(Path.Combine(dir.FullName, "DataBlocks.sln"))) return dir.FullName;
            throw new InvalidOperationException("Run the benchmark from inside the DataBlocks repository.");
        }
    }
}
