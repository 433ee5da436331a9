using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using DataBlocks.Vision.Models;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;

namespace DataBlocks.Tests;

/// <summary>
/// The CNTK ResNet-18 port on real photos: the dogscats sample in <c>../shared/data</c> next to the repository, when it is
/// there (it is never committed; the test skips itself without it). Photos go through the loader as a user's would:
/// decode, <see cref="Resize"/> to 224 (crop), IntToFloatTensor, then <see cref="CntkResNet18.Stats"/>.
/// </summary>
[Collection("Torch")]
public sealed class CntkResNet18PhotoTests(CntkResNet18Fixture fixture, ITestOutputHelper output) : IClassFixture<CntkResNet18Fixture>
{
    private const int PerClass = 32;

    [SkippableFact]
    public void Photos_Match_Onnx_Runtime_And_Their_Features_Tell_Cats_From_Dogs()
    {
        string? folder = DogsCats();
        Skip.If(folder is null, "../shared/data/dogscats is not next to the repository");
        var files = Enumerable.Range(0, PerClass).SelectMany(i => new[] { $"cat.{i}.jpg", $"dog.{i}.jpg" }).Select(f => Path.Combine(folder!, f)).ToList();
        var definition = TestData.ImageCategory(new RandomSplitter(0.5, seed: 42), Transforms.Resize(224),
            label: p => Path.GetFileName(p)[..3]);
        var options = new DataLoaderOptions
        {
            BatchSize = 16, Workers = 0, Device = torch.CPU, Shuffle = false, Seed = 1, BatchTransforms = CntkResNet18.Stats,
        };

        using var scope = torch.NewDisposeScope();
        using var dls = DataLoaders<string>.Create(definition, files, options);
        using var reference = OnnxReference.Open(OnnxReference.ResNet18Path);
        using var preprocess = OnnxReference.Open(OnnxReference.PreprocessPath);
        var mean = CntkResNet18.Stats.Mean.ToArray();
        var ours = new List<float[]>();
        var labels = new List<long>();
        float diff = 0, largest = 0, meanImageDiff = 0;
        double worstCosine = 1;
        foreach (var loader in new[] { dls.Train, dls.Valid })
            foreach (var batch in loader)
            {
                var x = batch.Inputs[0];
                Assert.Equal([x.shape[0], 3L, 224, 224], x.shape);
                var features = fixture.Features(x);
                diff = Math.Max(diff, CntkResNet18Tests.MaxAbsDifference(features, reference.RunBatch(x), out float l));
                largest = Math.Max(largest, l);

                // The package's own chain: RGB 0–255 → ResNetPreprocess (BGR minus the 224×224 mean image) → ResNet18.
                var rgb255 = x + torch.tensor(mean).mul(255f).view(1, 3, 1, 1);
                for (int i = 0; i < features.Length; i++)
                {
                    var prepared = preprocess.Run(rgb255[i].contiguous().data<float>().ToArray(), [1, 3, 224, 224]);
                    var chain = reference.Run(prepared, [1, 3, 224, 224]);
                    meanImageDiff = Math.Max(meanImageDiff, features[i].Zip(chain, (a, b) => Math.Abs(a - b)).Max());
                    worstCosine = Math.Min(worstCosine, Cosine(features[i], chain));
                }
                ours.AddRange(features);
                labels.AddRange(batch.Targets[0].data<long>().ToArray());
            }

        double accuracy = LeaveOneOutNearestCentroid(ours, labels);
        output.WriteLine($"{ours.Count} dogscats photos at 224×224: max |ours − ONNX Runtime| = {diff:E2} (largest feature {largest:F2})");
        output.WriteLine($"against the package's mean-image preprocessing: max |difference| = {meanImageDiff:F3}, lowest cosine similarity {worstCosine:F5}");
        output.WriteLine($"leave-one-out nearest-centroid accuracy, cat vs dog, on the 512 features: {accuracy:P1}");
        Assert.Equal(2 * PerClass, ours.Count);
        Assert.InRange(diff, 0f, 1e-4f);
        Assert.InRange(worstCosine, 0.98, 1.0);           // per-channel means stand in for the mean image
        Assert.InRange(accuracy, 0.9, 1.0);               // ImageNet features (random weights scored 31% here)
    }

    /// <summary>The dogscats photos' folder, when the shared data sits next to the repository.</summary>
    private static string? DogsCats()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DataBlocks.sln")))
            {
                string folder = Path.Combine(dir.FullName, "..", "shared", "data", "dogscats", "train");
                return File.Exists(Path.Combine(folder, $"dog.{PerClass - 1}.jpg")) ? Path.GetFullPath(folder) : null;
            }
        return null;
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) (dot, na, nb) = (dot + a[i] * b[i], na + a[i] * a[i], nb + b[i] * b[i]);
        return dot / Math.Sqrt(na * nb);
    }

    /// <summary>Each photo classified by the nearer class centroid of the other photos (cosine distance).</summary>
    private static double LeaveOneOutNearestCentroid(List<float[]> features, List<long> labels)
    {
        int correct = 0;
        for (int i = 0; i < features.Count; i++)
        {
            var centroids = labels.Distinct().ToDictionary(c => c, c =>
            {
                var members = Enumerable.Range(0, features.Count).Where(j => j != i && labels[j] == c).ToList();
                return Enumerable.Range(0, features[i].Length).Select(d => members.Average(j => features[j][d])).ToArray();
            });
            long predicted = centroids.MaxBy(c => Cosine(features[i], c.Value)).Key;
            if (predicted == labels[i]) correct++;
        }
        return (double)correct / features.Count;
    }
}
