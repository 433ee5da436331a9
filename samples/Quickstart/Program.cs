// Quickstart: draw a small image dataset, declare it with the DataBlock DSL, train a CNN from scratch, and check it.
using System;
using System.Diagnostics;
using System.IO;
using DataBlocks;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.Synthetic;
using DataBlocks.Vision;
using DataBlocks.Vision.Models;
using Quickstart;

const double Target = 0.95;
var clock = Stopwatch.StartNew();
string root = args.Length > 0 ? args[0] : Path.Combine(".data", "shapes");
TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
Seed.Everything(42);

Console.WriteLine($"Drawing the shapes dataset into {Path.GetFullPath(root)} (cached after the first run)...");
ShapesDataset.Generate(root, trainPerClass: 400, validPerClass: 100, size: 64, seed: 42);

var dls = Shapes.DataLoaders(root, bs: 64, seed: 42, workers: 1);
Console.WriteLine(dls.Summary());
Console.WriteLine($"Classes: {string.Join(", ", dls.ShapeVocab)}");
string grid = Path.Combine(root, "batch.png");
dls.Train.ShowBatch(grid);
Console.WriteLine($"A training batch is drawn in {grid}");
Console.WriteLine();

using var learn = new Learner(dls, SimpleCnn.Create(dls.C, convsPerStage: 2), metrics: [new Accuracy(), new ErrorRate()]);
learn.FitOneCycle(10, lrMax: 5e-3);

var (predictions, targets) = learn.GetPreds();
using (predictions)
using (targets)
{
    var decoded = dls.DecodePredictions(predictions);
    var first = dls.TypedDatasets.Valid[0];
    Console.WriteLine($"First validation image {Path.GetFileName(first.Image)}: actually a {first.Shape}, predicted {decoded[0].Shape} " +
                      $"({decoded[0].ShapeProbabilities[decoded[0].ShapeIndex]:P1})");
}

double accuracy = learn.History[^1].Metric("accuracy");
Console.WriteLine($"Validation accuracy {accuracy:P1} (target {Target:P0}) in {clock.Elapsed:mm\\:ss}.");
return accuracy >= Target ? 0 : 1;
