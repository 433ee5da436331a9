using System;
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
        {
            Assert.Equal(torch.float32, preds.dtype);
            // The accuracy Validate reports is the share of rows whose highest probability is the target, counted here.
            var p = preds.data<float>().ToArray();
            var t = targets!.data<long>().ToArray();
            int c = (int)preds.shape[1], right = 0;
            for (int i = 0; i < t.Length; i++)
            {
                int best = 0;
                for (int j = 1; j < c; j++)
                    if (p[i * c + j] > p[i * c + best]) best = j;
                if (best == t[i]) right++;
            }
            Assert.Equal((double)right / t.Length, learn.Validate().Metrics[0], 12);
        }

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
    [Fact]
    public void Fp16_Trains_With_Fp32_Masters_Skips_Overflowing_Steps_And_Halves_The_Scale_Each_Time()
    {
        Seed.Everything(4);
        using var learn = TinyRegression.ThreeGroups(TinyRegression.Loaders()).ToFp16(initialScale: 1 << 30);   // far above what fp16 gradients hold
        var l0 = learn.Model.named_parameters().First(p => p.name == "l0.weight").parameter;
        var bn = learn.Model.named_parameters().First(p => p.name == "bn0.weight").parameter;
        Assert.Equal(torch.float16, l0.dtype);
        Assert.Equal(torch.float32, bn.dtype);
        Assert.Equal(torch.float32, learn.MixedPrecision!.MasterOf(l0).dtype);
        double before = learn.Validate().Loss;

        var steps = new StepWatch();
        learn.Fit(3, 1e-2, callbacks: [steps]);
        var mp = learn.MixedPrecision!;
        // Every overflow skipped its step (the masters did not move) and halved the scale; every other batch stepped.
        Assert.InRange(mp.SkippedSteps, 1, 29);
        Assert.Equal(30 - mp.SkippedSteps, steps.Stepped);
        Assert.Equal(mp.SkippedSteps, steps.UnchangedWhenSkipped);
        Assert.Equal((double)(1 << 30) / Math.Pow(2, mp.SkippedSteps), mp.LossScale);
        Assert.True(mp.MasterOf(l0).to(torch.float16).eq(l0).all().item<bool>(), "the model holds the masters, rounded to fp16");
        Assert.True(learn.Validate().Loss < before, "fp16 training lowers the loss");
    }

    [Fact]
    public void The_Loss_Scale_Doubles_After_Scale_Wait_Good_Steps_Up_To_Its_Maximum()
    {
        Seed.Everything(4);
        using var learn = TinyRegression.ThreeGroups(TinyRegression.Loaders());
        var mixed = new MixedPrecision(torch.ScalarType.Float16, initialScale: 1, maxScale: 8, scaleWait: 3);
        mixed.Enable(learn);   // what ToFp16 does, with a short wait and a low ceiling
        learn.AddCallback(mixed);
        learn.ResetLayerGroups();
        var seen = new ScaleAtBatch();
        learn.Fit(2, 1e-2, callbacks: [seen]);
        // Nothing overflows at these scales: the scale used by training batch i is min(2^⌊i/3⌋, 8).
        Assert.Equal(0, mixed.SkippedSteps);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => Math.Min(Math.Pow(2, i / 3), 8)), seen.Scales);
    }

    private sealed class ScaleAtBatch : Callback
    {
        public System.Collections.Generic.List<double> Scales { get; } = [];
        public override bool RunOnValid => false;
        public override void BeforeBatch() => Scales.Add(Learner.MixedPrecision!.LossScale);
    }

    /// <summary>Whether each training batch stepped, and whether the optimizer's (master) weights stayed put when it did not.</summary>
    private sealed class StepWatch : Callback
    {
        private torch.Tensor[] _before = [];
        private bool _stepped;

        public int Stepped { get; private set; }
        public int UnchangedWhenSkipped { get; private set; }

        public override bool RunOnValid => false;

        public override void BeforeBatch()
        {
            foreach (var t in _before) t.Dispose();
            _before = Learner.Optimizer!.Groups.SelectMany(g => g).Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
            _stepped = false;
        }

        public override void AfterFit()
        {
            foreach (var t in _before) t.Dispose();
            _before = [];
        }

        public override void AfterStep()
        {
            _stepped = true;
            Stepped++;
        }

        public override void AfterBatch()
        {
            if (_stepped) return;
            var now = Learner.Optimizer!.Groups.SelectMany(g => g).ToArray();
            if (now.Zip(_before).All(p => p.First.detach().eq(p.Second).all().item<bool>())) UnchangedWhenSkipped++;
        }
    }
}
