using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.Vision;
using DataBlocks.Vision.Models;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static DataBlocks.Blocks;

namespace DataBlocks.Bench;

/// <summary>224 photos of the benchmark set (cat.N / dog.N), one in seven held out: 6 training batches of 32 and one validation batch.</summary>
[Block(ImageBlock, CategoryBlock)]
public partial class PhotoSubset
{
    [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
    [GetY] static string Kind(string path) => Label.FromFileName(path, @"^(cat|dog)\.\d+\.jpg$");
    [Splitter] static ISplitter Split => new RandomSplitter(1.0 / 7, seed: 42);
}

/// <summary>
/// The vision learner's costs, each against a baseline measured in the same run: the Learner training the pretrained
/// ResNet-18 against a hand-written TorchSharp loop over the same batches with the same optimizer; the precisions and
/// memory layouts a hand loop can use; precompute against a body forward per batch; the forward pass against ONNX Runtime.
/// </summary>
internal static class VisionBenchmark
{
    public const int Size = 224, BatchSize = 32, Trials = 3;

    /// <summary>Every figure of the run.</summary>
    public sealed record Result(
        string Source, int TrainImages, int ValidImages,
        double HandSeconds, double LearnerSeconds, double Overhead,
        IReadOnlyList<(string Name, double SecondsPerBatch)> Layouts,
        double FrozenEpoch, double PrecomputeEpoch, double CachingPass, double FrozenThree, double PrecomputeThree,
        double OursBatch1, double OrtBatch1, double OursBatched, double OrtMaxDiff);

    private static readonly OptimizerSettings Adam = OptimizerSettings.Adam with { WdBnBias = true };
    private static readonly LearnerOptions Quiet = new() { Output = null, Progress = ProgressMode.Silent, Optimizer = Adam };

    /// <param name="bf16">Also time bf16 training (always on a CPU with native bf16; elsewhere one step takes minutes).</param>
    public static Result Run(string repo, TextWriter log, bool bf16)
    {
        var (photos, source) = BenchData.Photos(repo);
        string folder = Subset(repo, photos);
        PhotoSubsetDataLoaders Loaders() => PhotoSubset.DataLoaders(folder, bs: BatchSize, seed: 1, workers: 2, device: torch.CPU, item: new Resize(Size));

        // 1. Learner against the hand-written loop: unfrozen CNTK ResNet-18 with fastai's head, same initial weights.
        var learnDls = Loaders();
        Seed.Everything(7);
        using var learn = VisionLearner.Create(learnDls, VisionArchitecture.CntkResNet18, metrics: [new Accuracy()], options: Quiet, precision: VisionPrecision.Fp32);   // the hand loop's layout
        learn.Unfreeze();
        var handDls = Loaders();
        handDls.AddBatchTransforms(VisionArchitecture.CntkResNet18.Stats);
        Seed.Everything(7);
        using var handModel = VisionLearner.CreateModel(VisionArchitecture.CntkResNet18, handDls.C);
        using var opt = new LearnerOptimizer([handModel.parameters().ToArray()], new HashSet<TorchSharp.Modules.Parameter>(), Adam, 1e-4);
        log.WriteLine("Learner against the hand-written loop (warm-up epochs)...");
        HandLoop.Epoch(handModel, opt.Step, opt.ZeroGrad, handDls.Untyped);
        learn.Fit(1, 1e-4);
        var hand = new List<double>();
        var learner = new List<double>();
        for (int t = 0; t < Trials; t++)
        {
            var runs = new Action[]
            {
                () => hand.Add(Stats.Seconds(() => HandLoop.Epoch(handModel, opt.Step, opt.ZeroGrad, handDls.Untyped))),
                () => learner.Add(Stats.Seconds(() => learn.Fit(1, 1e-4))),
            };
            for (int k = 0; k < runs.Length; k++) runs[(t + k) % runs.Length]();
            log.WriteLine($"  trial {t + 1}: hand-written {hand[^1]:F1} s, Learner {learner[^1]:F1} s");
        }
        double overhead = Stats.Median(learner.Select((l, i) => l / hand[i])) - 1;

        // 2. Precisions and layouts, in the hand loop: seconds per training batch (forward, backward, step).
        log.WriteLine("Precisions and memory layouts (hand loop)...");
        var layouts = new List<(string, double)>();
        using (var batch = handDls.Untyped.Train.OneBatch())
        {
            var x = batch.Inputs[0];
            var y = batch.Targets[0];
            layouts.Add(("fp32, contiguous (NCHW)", StepSeconds(handModel, opt, x, y, channelsLast: false)));
            layouts.Add(("fp32, channels-last strides", StepSeconds(handModel, opt, x, y, channelsLast: true)));
            if (bf16 || Devices.CpuHasBf16)
            {
                Seed.Everything(7);
                using var half = VisionLearner.CreateModel(VisionArchitecture.CntkResNet18, handDls.C);
                half.to(torch.bfloat16);
                using var bfOpt = new LearnerOptimizer([half.parameters().ToArray()], new HashSet<TorchSharp.Modules.Parameter>(), Adam, 1e-4);
                using var xb = x.to(torch.bfloat16);
                // Emulated bf16 takes minutes a step: then one step, without a warm-up.
                layouts.Add((Devices.CpuHasBf16 ? "bf16 weights and activations, channels-last strides (native bf16)"
                        : "bf16 weights and activations, channels-last strides (bf16 emulated: this CPU has no native bf16; one step)",
                    StepSeconds(half, bfOpt, xb, y, channelsLast: true, steps: Devices.CpuHasBf16 ? 2 : 1, warmUp: Devices.CpuHasBf16)));
            }
        }
        foreach (var (name, s) in layouts) log.WriteLine($"  {name}: {s:F2} s per batch");

        // 3. Precompute: frozen epochs with a body forward per batch against epochs on cached activations.
        log.WriteLine("Precompute against a body forward per batch...");
        var frozenDls = Loaders();
        Seed.Everything(7);
        using var frozen = VisionLearner.Create(frozenDls, VisionArchitecture.CntkResNet18, metrics: [new Accuracy()], options: Quiet, precision: VisionPrecision.Fp32);
        frozen.Fit(1, 1e-3);   // warm-up
        var frozenEpochs = frozen.Fit(3, 1e-3).Select(r => r.Time.TotalSeconds).ToArray();
        var cachedDls = Loaders();
        Seed.Everything(7);
        using var cached = VisionLearner.Create(cachedDls, VisionArchitecture.CntkResNet18, metrics: [new Accuracy()], options: Quiet, precision: VisionPrecision.Fp32);
        double caching = Stats.Seconds(() => cached.SetPrecompute(true));
        var cachedEpochs = cached.Fit(3, 1e-3).Select(r => r.Time.TotalSeconds).ToArray();

        // 4. The pretrained forward pass against ONNX Runtime on the same images (batch 1: the ONNX graph's fixed input).
        log.WriteLine("Forward pass against ONNX Runtime...");
        var (ours1, ort1, oursBatched, diff) = Forward(handDls);

        return new Result(source, learnDls.Datasets.TrainIndices.Count, learnDls.Datasets.ValidIndices.Count,
            Stats.Median(hand), Stats.Median(learner), overhead, layouts,
            Stats.Median(frozenEpochs), Stats.Median(cachedEpochs), caching, frozenEpochs.Sum(), caching + cachedEpochs.Sum(),
            ours1, ort1, oursBatched, diff);
    }

    /// <summary>A folder of links to the first 112 cats and 112 dogs of <paramref name="photos"/>.</summary>
    private static string Subset(string repo, string photos)
    {
        string folder = Path.Combine(repo, ".data", "bench-vision", Math.Abs(StableHash(photos)).ToString("x"));
        Directory.CreateDirectory(folder);
        foreach (string kind in new[] { "cat", "dog" })
            for (int i = 0; i < 112; i++)
            {
                string name = $"{kind}.{i}.jpg", link = Path.Combine(folder, name);
                if (!File.Exists(link)) File.CreateSymbolicLink(link, Path.Combine(photos, name));
            }
        return folder;
    }

    private static int StableHash(string s) => s.Aggregate(17, (h, c) => unchecked(h * 31 + c));

    /// <summary>
    /// Seconds per training step on one batch (the median of <paramref name="steps"/> after a warm-up step); with
    /// <paramref name="channelsLast"/> the input and the convolution weights get channels-last strides (TorchSharp has no
    /// memory-format API: <c>permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)</c>).
    /// </summary>
    private static double StepSeconds(torch.nn.Module<torch.Tensor, torch.Tensor> model, LearnerOptimizer opt, torch.Tensor x, torch.Tensor y,
        bool channelsLast, int steps = 3, bool warmUp = true)
    {
        if (channelsLast) SetChannelsLast(model, opt);
        model.train();
        var times = new List<double>();
        for (int i = warmUp ? 0 : 1; i <= steps; i++)
        {
            double s = Stats.Seconds(() =>
            {
                using var scope = torch.NewDisposeScope();
                var input = channelsLast ? ChannelsLast(x) : x;
                var loss = torch.nn.functional.cross_entropy(model.call(input).to(torch.float32), y);
                loss.backward();
                opt.Step();
                opt.ZeroGrad();
                _ = loss.item<float>();
            });
            if (i > 0) times.Add(s);
        }
        return Stats.Median(times);
    }

    private static torch.Tensor ChannelsLast(torch.Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>Gives every 4-D parameter channels-last strides in place (same values, same Parameter objects).</summary>
    private static void SetChannelsLast(torch.nn.Module model, LearnerOptimizer opt)
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, module) in model.named_modules())
            if (module is TorchSharp.Modules.Conv2d conv)
            {
                using var cl = ChannelsLast(conv.weight!.detach());
                conv.weight = new TorchSharp.Modules.Parameter(cl.clone().permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2), conv.weight.requires_grad);
            }
        opt.ClearState();
    }

    /// <summary>
    /// Images/s of the pretrained network's forward pass at batch 1 in TorchSharp and in ONNX Runtime on the same images
    /// (ONNX Runtime gets them in the file's BGR order; our port reversed its first kernel's input channels instead),
    /// TorchSharp's at batch 32, and the largest difference of the 512 features.
    /// </summary>
    private static (double Ours1, double Ort1, double OursBatched, double MaxDiff) Forward(PhotoSubsetDataLoaders dls)
    {
        using var net = CntkResNet18.LoadImagenet();
        net.eval();
        using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount };
        using var session = new InferenceSession(Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"), options);
        using var batch = dls.Untyped.Valid.OneBatch();   // normalised for these weights: the 0–255 scale minus CNTK's channel means
        int n = batch.Size;
        long[] shape = [1, 3, Size, Size];
        var rgb = Enumerable.Range(0, n).Select(i => batch.Inputs[0][i].contiguous().data<float>().ToArray()).ToArray();
        var bgr = Enumerable.Range(0, n).Select(i => batch.Inputs[0][i].flip(0).contiguous().data<float>().ToArray()).ToArray();
        var ours = new float[n][];
        var theirs = new float[n][];
        float[] RunOrt(float[] x)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(x, shape);
            using var run = new RunOptions();
            using var outputs = session.Run(run, [session.InputNames[0]], [value], [session.OutputNames[0]]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        float[] RunOurs(float[] x)
        {
            using var scope = torch.NewDisposeScope();
            return net.call(torch.tensor(x, shape)).data<float>().ToArray();
        }
        using var noGrad = torch.no_grad();
        RunOurs(rgb[0]);   // warm-up both
        RunOrt(bgr[0]);
        double oursSeconds = Stats.Seconds(() => { for (int i = 0; i < n; i++) ours[i] = RunOurs(rgb[i]); });
        double ortSeconds = Stats.Seconds(() => { for (int i = 0; i < n; i++) theirs[i] = RunOrt(bgr[i]); });
        void Batched()
        {
            using var scope = torch.NewDisposeScope();
            _ = net.call(batch.Inputs[0]).data<float>().ToArray();
        }
        Batched();   // warm-up at this batch size
        double batched = Stats.Seconds(Batched);
        double maxDiff = 0;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < ours[i].Length; k++) maxDiff = Math.Max(maxDiff, Math.Abs(ours[i][k] - theirs[i][k]));
        return (n / oursSeconds, n / ortSeconds, n / batched, maxDiff);
    }
}
