using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Learning;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>Channels-last strides (<c>ToChannelsLast</c>), the CPU's bf16 flag and the vision learner's precision choice.</summary>
[Collection("Torch")]
public sealed class ChannelsLastTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly LearnerOptions Quiet = TinyRegression.Silent;

    private DataLoaders<string> Shapes() =>
        PrecomputeTests.Loaders(TestData.Shapes(Path.Combine(_dir.Path, $"shapes-{Guid.NewGuid():N}"), 8, 4, 32));

    private Learner Create(DataLoaders<string> dls, VisionPrecision precision = VisionPrecision.Fp32)
    {
        torch.manual_seed(42);
        return VisionLearner.Create(dls, PrecomputeTests.NoBn, options: Quiet with { Path = _dir.Path }, precision: precision);
    }

    private static torch.nn.Module[] Convs(Learner learn) =>
        [.. learn.Model.named_modules().Select(m => m.module).Where(m => m is TorchSharp.Modules.Conv2d)];

    [Fact]
    public void Weights_Get_Channels_Last_Strides_With_The_Same_Values_And_The_Output_Is_Unchanged()
    {
        using var dls = Shapes();
        using var learn = Create(dls);
        using var batch = dls.Valid.OneBatch();
        learn.Model.eval();
        using var before = learn.Model.call(batch.Inputs[0]).detach();
        var weights = Convs(learn).Select(c => ((TorchSharp.Modules.Conv2d)c).weight!.detach().clone()).ToArray();
        Assert.All(weights, w => Assert.Equal(1, w.stride(3)));   // contiguous NCHW: the width is innermost

        learn.ToChannelsLast();
        Assert.True(learn.IsChannelsLast());
        var converted = Convs(learn).Select(c => ((TorchSharp.Modules.Conv2d)c).weight!).ToArray();
        for (int i = 0; i < weights.Length; i++)
        {
            // Channels-last: the channel is innermost, then width (stride C), height (stride W·C).
            Assert.Equal(1, converted[i].stride(1));
            Assert.Equal(converted[i].shape[1], converted[i].stride(3));
            Assert.True(weights[i].equal(converted[i]).all().item<bool>());
        }
        using var after = learn.Model.call(ChannelsLast.Strides(batch.Inputs[0])).detach();
        Assert.True(before.allclose(after, rtol: 1e-5, atol: 1e-6));
        foreach (var w in weights) w.Dispose();
    }

    [Fact]
    public void A_Fit_With_Channels_Last_Takes_The_Same_Steps_With_Channels_Last_Inputs()
    {
        List<double> Losses(VisionPrecision precision, List<bool>? layouts = null)
        {
            using var dls = Shapes();
            using var learn = Create(dls, precision);
            var losses = new List<double>();
            torch.manual_seed(3);
            learn.FitOneCycle(1, 1e-2, callbacks: [new Probe(losses, layouts)]);
            return losses;
        }
        var plain = Losses(VisionPrecision.Fp32);
        var layouts = new List<bool>();
        var channelsLast = Losses(VisionPrecision.Fp32ChannelsLast, layouts);
        Assert.Equal(3, plain.Count);
        for (int i = 0; i < plain.Count; i++) Assert.Equal(plain[i], channelsLast[i], 4);
        Assert.Equal([true, true, true], layouts);
    }

    [Fact]
    public void A_Channels_Last_Learner_Saves_And_Loads_Its_Weights_And_Optimizer_State()
    {
        using var dls = Shapes();
        using var learn = Create(dls, VisionPrecision.Fp32ChannelsLast);
        learn.FitOneCycle(1, 1e-3);
        var saved = learn.Model.parameters().Select(p => p.detach().clone()).ToArray();
        learn.Save("cl");
        learn.FitOneCycle(1, 1e-2);
        learn.Load("cl");
        var loaded = learn.Model.parameters().ToArray();
        for (int i = 0; i < saved.Length; i++) Assert.True(saved[i].equal(loaded[i]).all().item<bool>(), $"parameter {i}");
        learn.FitOneCycle(1, 1e-3);   // the loaded moments step the channels-last parameters
        foreach (var t in saved) t.Dispose();
    }

    [Fact]
    public void Mixed_Precision_Stays_On_Through_The_Conversion()
    {
        using var dls = Shapes();
        using var learn = Create(dls);
        learn.ToBf16();
        learn.ToChannelsLast();
        Assert.Equal(torch.ScalarType.BFloat16, learn.MixedPrecision!.DType);
        var w = ((TorchSharp.Modules.Conv2d)Convs(learn)[0]).weight!;
        Assert.Equal(torch.ScalarType.BFloat16, w.dtype);
        Assert.Equal(1, w.stride(1));
        learn.FitOneCycle(1, 1e-3);
        Assert.False(double.IsNaN(learn.History[^1].TrainLoss));
        using var bf = Create(dls, VisionPrecision.Bf16ChannelsLast);
        Assert.True(bf.IsChannelsLast());
        Assert.Equal(torch.ScalarType.BFloat16, bf.MixedPrecision!.DType);
    }

    [Fact]
    public void Auto_On_The_Cpu_Is_Channels_Last_With_Bf16_Only_Where_The_Cpu_Has_It()
    {
        using var dls = Shapes();
        using var learn = Create(dls, VisionPrecision.Auto);
        Assert.True(learn.IsChannelsLast());
        Assert.Equal(Devices.CpuHasBf16, learn.MixedPrecision is not null);
    }

    [Fact]
    public void Cpu_Flags_Are_Read_From_The_First_Processor()
    {
        string file = Path.Combine(_dir.Path, "cpuinfo");
        File.WriteAllText(file, "processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16\n\nprocessor\t: 1\nflags\t\t: fpu\n");
        var flags = Devices.CpuFlags(file);
        Assert.Contains("avx512_bf16", flags);
        Assert.Equal(5, flags.Count);
        Assert.Empty(Devices.CpuFlags(Path.Combine(_dir.Path, "missing")));
    }

    /// <summary>Records each training loss and whether the batch's input had channels-last strides when the model saw it.</summary>
    private sealed class Probe(List<double> losses, List<bool>? layouts) : Callback
    {
        public override int Order => 50;

        public override void BeforeBatch()
        {
            if (Learner.Training) layouts?.Add(ChannelsLast.HasStrides(Learner.Batch!.Inputs[0]));
        }

        public override void AfterLoss()
        {
            if (Learner.Training) losses.Add(Learner.LossValue);
        }
    }
}
