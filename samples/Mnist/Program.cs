// MNIST 3-vs-7 the course way: the learning-rate finder, a small CNN trained from scratch with one-cycle, fastai 0.7's
// SGDR with cycle snapshots and their ensemble, and the CSV flow on mnist_tiny. Exits non-zero below 99% accuracy.
//   dotnet run --project samples/Mnist -c Release [-- <folder holding mnist_sample and mnist_tiny>]
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using DataBlocks;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.Vision.Models;
using Mnist;

const double Target = 0.99;
var clock = Stopwatch.StartNew();
string? data = args.Length > 0 ? args[0] : FindData();
if (data is null)
{
    Console.Error.WriteLine("mnist_sample was not found under ../shared/data/mnist; pass the folder that holds mnist_sample and mnist_tiny: " +
                            "dotnet run --project samples/Mnist -c Release -- <folder>");
    return 2;
}
string output = Path.Combine(".data", "mnist");
TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
Seed.Everything(42);

var dls = MnistSample.DataLoaders(Path.Combine(data, "mnist_sample"), bs: 64, seed: 42);
Console.WriteLine(dls.Summary());
dls.Train.ShowBatch(Path.Combine(output, "batch.png"));

var options = new LearnerOptions { Path = output };
using var learn = new Learner(dls, SimpleCnn.Create(dls.C, [3, 16, 32, 64]), metrics: [new Accuracy(), new ErrorRate()], options: options);

// 1. The learning-rate finder, with its plot.
var lrFind = learn.LrFind(plotPath: Path.Combine(output, "lr_find.png"));
Console.WriteLine($"lr_find: {lrFind} (plot: {lrFind.PlotPath})");

// 2. One-cycle at the valley suggestion (bounded to a sane range).
double lr = Math.Clamp(lrFind.Valley, 1e-3, 3e-2);
Console.WriteLine($"\nfit_one_cycle(2, {lr:G3})");
double oneCycle = learn.FitOneCycle(2, lr)[^1].Metric("accuracy");
learn.Recorder.PlotLoss(Path.Combine(output, "loss.png"));
learn.Recorder.PlotSched(Path.Combine(output, "sched.png"));

// 3. fastai 0.7's SGDR: 3 cycles of 1, 2 and 4 epochs, saving the weights at the end of each cycle.
Console.WriteLine("\nfit(lr, n_cycle=3, cycle_len=1, cycle_mult=2, cycle_save_name='mnist')  — fastai 0.7's SGDR");
var sgdr = learn.Fit(lr / 2, nCycle: 3, cycleLen: 1, cycleMult: 2, cycleSaveName: "mnist");
double sgdrAccuracy = sgdr[^1].Metric("accuracy");

// 4. The snapshot ensemble: the average of the three cycle snapshots' predictions.
var (ensemble, targets) = learn.GetEnsemblePreds();
double ensembleAccuracy;
using (ensemble)
using (targets)
    ensembleAccuracy = Accuracy.Compute(ensemble, targets!);
Console.WriteLine($"Snapshot ensemble of {string.Join(", ", learn.CycleSnapshots)}: accuracy {ensembleAccuracy:P2}");

// 5. The CSV flow on mnist_tiny (labels.csv): same model shape, a quick one-cycle.
var tiny = MnistTiny.DataLoaders(Path.Combine(data, "mnist_tiny"), bs: 32, seed: 42);
using var tinyLearn = new Learner(tiny, SimpleCnn.Create(tiny.C, [3, 16, 32, 64]), metrics: [new Accuracy()], options: options);
Console.WriteLine($"\nmnist_tiny via labels.csv: {tiny.TypedDatasets.Train.Count} training, {tiny.TypedDatasets.Valid.Count} validation images, classes {string.Join("/", tiny.DigitVocab)}");
double tinyAccuracy = tinyLearn.FitOneCycle(4, 1e-2)[^1].Metric("accuracy");

double best = new[] { oneCycle, sgdrAccuracy, ensembleAccuracy }.Max();
Console.WriteLine($"\nAccuracy — one-cycle {oneCycle:P2}, SGDR {sgdrAccuracy:P2}, ensemble {ensembleAccuracy:P2}, mnist_tiny {tinyAccuracy:P2}; " +
                  $"target {Target:P0} on mnist_sample; {clock.Elapsed:mm\\:ss} in all. Plots in {Path.GetFullPath(output)}.");
return oneCycle >= Target && ensembleAccuracy >= Target ? 0 : 1;

static string? FindData()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "shared", "data", "mnist");
        if (Directory.Exists(Path.Combine(candidate, "mnist_sample"))) return candidate;
    }
    return null;
}
