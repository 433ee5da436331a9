// Dogs vs cats the course way, on ImageNet weights with nothing downloaded: the CNTK ResNet-18 whose weights come in a
// NuGet package, precompute and lr_find for the head, fastai 0.7's
// SGDR with differential learning rates once unfrozen, progressive resizing from 128 to 224 px.
// Exits non-zero below 99.0% validation accuracy (20% of the 1,000 photos held out, seed 42).
//   dotnet run --project samples/DogsCats -c Release [-- <folder of the photos>] [--precision fp32|fp32channelslast|bf16channelslast]
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using DataBlocks;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.Vision;
using DataBlocks.Vision.Models;
using DogsCats;

const double Target = 0.99;
var clock = Stopwatch.StartNew();
string? data = null;
var precision = VisionPrecision.Auto;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--precision" && i + 1 < args.Length) precision = Enum.Parse<VisionPrecision>(args[++i], ignoreCase: true);
    else data = args[i];
}
data ??= FindData();
if (data is null)
{
    Console.Error.WriteLine("The dogs-vs-cats photos were not found under ../shared/data/dogscats; pass their folder: " +
                            "dotnet run --project samples/DogsCats -c Release -- <folder>");
    return 2;
}
string output = Path.Combine(".data", "dogscats");
TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
Seed.Everything(42);

var arch = VisionArchitecture.CntkResNet18;
Console.WriteLine($"Architecture: {arch.Name} (ImageNet weights from Microsoft.ML.DnnImageFeaturizer.ResNet18)");

var timings = new List<(string Step, TimeSpan Time)>();
T Timed<T>(string step, Func<T> run)
{
    var sw = Stopwatch.StartNew();
    var result = run();
    timings.Add((step, sw.Elapsed));
    return result;
}

// 1. 128 px first (the course's progressive resizing starts small).
var small = Pets.DataLoaders(data, bs: 32, seed: 42, item: new Resize(128));
Console.WriteLine(small.Summary());
small.Train.ShowBatch(Path.Combine(output, "batch.png"));
using var learn = VisionLearner.Create(small, arch, metrics: [new Accuracy(), new ErrorRate()], options: new LearnerOptions { Path = output },
    precision: precision);
Console.WriteLine($"Precision: {(learn.MixedPrecision is { } mp ? $"{mp.DType} with fp32 masters" : "fp32")}, {(learn.IsChannelsLast() ? "channels-last" : "contiguous")} " +
                  $"(this CPU {(Devices.CpuHasBf16 ? "has" : "has no")} native bf16; --precision fp32|fp32channelslast|bf16channelslast to choose).");

// 2. Precompute: the frozen body runs once per photo; lr_find and the head's epochs read its activations.
Timed("precompute (128 px)", () => { learn.SetPrecompute(true); return 0; });
var lrFind = Timed("lr_find (precomputed)", () => learn.LrFind(plotPath: Path.Combine(output, "lr_find.png")));
double lr = Math.Clamp(lrFind.Valley, 1e-3, 1e-2);
Console.WriteLine($"lr_find: {lrFind}; head lr {lr:G3}");
Console.WriteLine($"\nfit({lr:G3}, 2, cycle_len=1) — the head on precomputed activations (128 px)");
double headSmall = Timed("head, 2 epochs (128 px, precomputed)", () => learn.Fit(lr, nCycle: 2, cycleLen: 1))[^1].Metric("accuracy");
learn.SetPrecompute(false);

// 3. Unfreeze with differential learning rates (body start, body end, head) and fastai 0.7's SGDR: cycles of 1 and 2
//    epochs. The body's batch norms keep their ImageNet statistics (BnFreeze), which the head was trained on.
var bnFreeze = new BnFreeze(outsideHead: true);
learn.Unfreeze();
double[] lrs = [lr / 1000, lr / 100, lr / 10];
string Lrs(double[] l) => string.Join(", ", l.Select(x => x.ToString("G3")));
Console.WriteLine($"\nunfreeze(); fit([{Lrs(lrs)}], 2, cycle_len=1) at 128 px");
double unfrozenSmall = Timed("unfrozen, 2 epochs (128 px)", () => learn.Fit(lrs, nCycle: 2, cycleLen: 1, callbacks: [bnFreeze]))[^1].Metric("accuracy");

// 4. Progressive resizing: the same learner on 224 px photos; the head again on the body's activations, then everything.
var large = Pets.DataLoaders(data, bs: 32, seed: 42, item: new Resize(224));
learn.SetData(large);
learn.Freeze();
Timed("precompute (224 px)", () => { learn.SetPrecompute(true); return 0; });
Console.WriteLine($"\nset_data(224 px); freeze(); fit({lr:G3}, 3, cycle_len=1, cycle_mult=2) — the head on precomputed activations");
double headLarge = Timed("head, 7 epochs (224 px, precomputed)", () => learn.Fit(lr, nCycle: 3, cycleLen: 1, cycleMult: 2))[^1].Metric("accuracy");
learn.SetPrecompute(false);
learn.Unfreeze();
Console.WriteLine($"\nunfreeze(); fit([{Lrs(lrs)}], 1, cycle_len=2) at 224 px");
var final = Timed("unfrozen, 2 epochs (224 px)", () => learn.Fit(lrs, nCycle: 1, cycleLen: 2, callbacks: [bnFreeze]));
double unfrozenEpoch = final.Average(r => r.Time.TotalSeconds);
double accuracy = final[^1].Metric("accuracy");
learn.Recorder.PlotLoss(Path.Combine(output, "loss.png"));
learn.Save("dogscats-224");

Console.WriteLine();
foreach (var (step, time) in timings) Console.WriteLine($"  {step,-38} {time.TotalSeconds,7:F1} s");
double recipe = timings.Sum(t => t.Time.TotalSeconds);
// Recorded references, not measured in this run: fastai 2.7 with the same weights on the 2-core machine where the targets
// were set took 81 s per unfrozen epoch at 224 px, and about 496 s for lr_find (200 s) + fine_tune(3) (53 s + 3 × 81 s).
Console.WriteLine($"Unfrozen epoch at 224 px: {unfrozenEpoch:F1} s ({unfrozenEpoch / 81:0.00}× fastai's recorded 81 s; target ≤ 0.60×). " +
                  $"Whole recipe: {recipe:F0} s ({recipe / 496:0.00}× fastai's recorded 496 s for lr_find + fine_tune(3); target ≤ 0.50×). " +
                  "fastai's figures are recorded references, not measured here.");
Console.WriteLine($"Accuracy — 128 px: head {headSmall:P2}, unfrozen {unfrozenSmall:P2}; 224 px: head {headLarge:P2}, unfrozen {accuracy:P2}; target {Target:P1}; " +
                  $"{clock.Elapsed:mm\\:ss} in all. Plots in {Path.GetFullPath(output)}.");
return accuracy >= Target ? 0 : 1;

static string? FindData()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "shared", "data", "dogscats");
        if (Directory.Exists(candidate)) return candidate;
    }
    return null;
}
