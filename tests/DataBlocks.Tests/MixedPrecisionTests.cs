using System.Linq;
using DataBlocks.Data;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.TestKit;
using DataBlocks.Vision.Models;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

[Collection("Torch")]
public class MixedPrecisionTests
{
    private static Learner Learner(string dir, LearnerOptions? options = null)
    {
        var dls = DataLoaders<string>.Create(TestData.ImageCategory(), TestData.Files(TestData.Shapes(dir, trainPerClass: 16)),
            new DataLoaderOptions { BatchSize = 8, Seed = 2, Workers = 0, Device = torch.CPU });
        Seed.Everything(2);
        return new Learner(dls, SimpleCnn.Create(dls.C), metrics: [new Accuracy()],
            options: (options ?? new LearnerOptions()) with { Output = null, Progress = ProgressMode.Silent });
    }

    [Fact]
    public void Bf16_Trains_With_Fp32_Masters_And_Fp32_Norm_Layers()
    {
        using var dir = new TempDir();
        using var learn = Learner(dir.Path).ToBf16();
        var conv = learn.Model.named_parameters().First(p => p.name == "conv1.weight").parameter;
        var bn = learn.Model.named_parameters().First(p => p.name == "bn1.weight").parameter;
        Assert.Equal(torch.bfloat16, conv.dtype);
        Assert.Equal(torch.float32, bn.dtype);
        Assert.Equal(torch.float32, learn.MixedPrecision!.MasterOf(conv).dtype);

        var rows = learn.FitOneCycle(4, 1e-2);
        Assert.True(learn.Recorder.Losses[^1] < learn.Recorder.Losses[0], "the loss should fall in bf16");
        Assert.True(learn.MixedPrecision!.MasterOf(conv).to(torch.bfloat16).eq(conv).all().item<bool>(), "the model holds the masters, rounded");
        Assert.Equal(4, rows.Count);
        var (preds, targets) = learn.GetPreds();   // evaluation casts inputs too, and hands back float32 probabilities
        using (preds)
        using (targets)
            Assert.Equal(torch.float32, preds.dtype);
        Assert.InRange(learn.Validate().Metrics[0], 0.0, 1.0);

        learn.ToFp32();   // a dtype conversion replaces the model's Parameter objects: look them up again
        Assert.Equal(torch.float32, learn.Model.named_parameters().First(p => p.name == "conv1.weight").parameter.dtype);
        Assert.Null(learn.MixedPrecision);
        learn.Fit(1, 1e-3);   // and trains on in fp32
    }

    [Fact]
    public void Overflowing_Gradients_Skip_The_Step_And_Lower_The_Scale()
    {
        using var dir = new TempDir();
        using var learn = Learner(dir.Path).ToBf16(initialScale: 1e300);   // the scaled loss overflows float32
        learn.Fit(1, 1e-3);
        var mp = learn.MixedPrecision!;
        Assert.True(mp.SkippedSteps > 0);
        Assert.True(mp.LossScale < 1e300);
        Assert.All(learn.Model.parameters(), p => Assert.True(p.isfinite().all().item<bool>()));
    }
}
