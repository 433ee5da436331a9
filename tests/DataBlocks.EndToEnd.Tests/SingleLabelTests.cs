using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.Synthetic;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using DataBlocks.Vision.Models;
using TorchSharp;
using Xunit;
using static DataBlocks.Blocks;

namespace DataBlocks.EndToEnd.Tests;

[Block(ImageBlock, CategoryBlock)]
public partial class Toys
{
    [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
    [GetY] static string Shape(string path) => Label.FromParentFolder(path);
    [Splitter] static ISplitter Split => new GrandparentSplitter();
    [BatchTransforms] static IBatchTransform Normalize => Transforms.ImagenetNormalize();
}

/// <summary>Generated DataBlock → loaders → learner → training, on images drawn in the test.</summary>
[Trait("Category", "E2E")]
public class SingleLabelTests
{
    [Fact]
    public void Training_A_Small_Cnn_Makes_The_Loss_Fall_And_Beats_Chance()
    {
        using var dir = new TempDir();
        string root = ShapesDataset.Generate(dir.Path, trainPerClass: 150, validPerClass: 30, size: 32, shapes: ["circle", "cross", "square"], seed: 3);
        Seed.Everything(3);
        var dls = Toys.DataLoaders(root, bs: 16, seed: 3, workers: 1, device: torch.CPU);
        var output = new StringWriter();
        using var learn = new Learner(dls, SimpleCnn.Create(dls.C, convsPerStage: 2), metrics: [new Accuracy()],
            options: new LearnerOptions { Output = output, Progress = ProgressMode.Plain });

        learn.Fit(10, lr: 3e-3);
        var rows = learn.Fit(3, lr: 3e-4);   // a lower rate to settle, as the Quickstart does

        double early = learn.History[0].TrainLoss;
        double late = learn.History[^1].TrainLoss;
        Assert.True(late < 0.8 * early, $"the smoothed loss should fall: {early:F3} → {late:F3}\n{output}");
        Assert.True(rows[^1].Metric("accuracy") > 0.7, $"accuracy should beat chance (1/3) clearly\n{output}");
        Assert.Equal(15, output.ToString().Split('\n', System.StringSplitOptions.RemoveEmptyEntries).Length);   // 2 headers + 13 rows
    }
}
