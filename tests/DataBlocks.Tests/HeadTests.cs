using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DataBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>fastai's head (<c>create_head</c>), its concat pool and <c>apply_init</c>.</summary>
[Collection("Torch")]
public sealed class HeadTests
{
    /// <summary>One line per layer of a head, in fastai's printed terms.</summary>
    internal static string[] Describe(Sequential head) => [.. head.named_children().Select(c => $"{c.name}: {Describe(c.module)}")];

    internal static string Describe(torch.nn.Module m) => m switch
    {
        AdaptiveConcatPool2d p => $"AdaptiveConcatPool2d({p.Size})",
        AdaptiveAvgPool2d => "AdaptiveAvgPool2d",
        Flatten => "Flatten",
        BatchNorm1d bn => string.Create(CultureInfo.InvariantCulture, $"BatchNorm1d({bn.weight!.shape[0]}, momentum {bn.momentum})"),
        Dropout d => string.Create(CultureInfo.InvariantCulture, $"Dropout({d.p})"),
        Linear l => $"Linear({l.weight!.shape[1]}, {l.weight.shape[0]}, bias {l.bias is not null})",
        ReLU => "ReLU",
        SigmoidRange r => string.Create(CultureInfo.InvariantCulture, $"SigmoidRange({r.Low}, {r.High})"),
        _ => m.GetType().Name,
    };

    [Fact]
    public void Default_Head_For_Resnet34_And_37_Classes_Is_Fastais()
    {
        // fastai-behaviour.md §14: create_head for resnet34 (512 channels), 37 classes, defaults.
        using var head = Head.Create(512, 37);
        Assert.Equal(
            ["0: AdaptiveConcatPool2d(1)", "1: Flatten", "2: BatchNorm1d(1024, momentum 0.1)", "3: Dropout(0.25)", "4: Linear(1024, 512, bias False)",
             "5: ReLU", "6: BatchNorm1d(512, momentum 0.1)", "7: Dropout(0.5)", "8: Linear(512, 37, bias False)"],
            Describe(head));
        // By hand: BN(1024) weight + bias, Linear 1024×512, BN(512) weight + bias, Linear 512×37; no biases on the linears.
        Assert.Equal(2 * 1024 + 1024 * 512 + 2 * 512 + 512 * 37, head.parameters().Sum(p => p.numel()));
        Assert.Equal(546_304, head.parameters().Sum(p => p.numel()));
        Assert.Equal(["2.weight", "2.bias", "4.weight", "6.weight", "6.bias", "8.weight"], head.named_parameters().Select(p => p.name));
        // fastai's BatchNorm starts at weight 1, bias 1e-3.
        var bn = (BatchNorm1d)head[2];
        Assert.True(bn.weight!.eq(1).all().item<bool>() && bn.bias!.eq(1e-3f).all().item<bool>());

        using var scope = torch.NewDisposeScope();
        head.eval();
        Assert.Equal(new long[] { 2, 37 }, head.call(torch.randn(2, 512, 7, 7)).shape);
    }

    [Fact]
    public void Concat_Pool_Puts_The_Max_First_Then_The_Mean()
    {
        using var scope = torch.NewDisposeScope();
        // Two images, two channels, 2×3 each.
        float[] values =
        [
            1, 2, 3, 4, 5, 6,     -1, 7, 0, 2, -3, 1,     // image 0: channel 0 (max 6, mean 3.5), channel 1 (max 7, mean 1)
            0, 0, 0, 0, 0, 12,    -2, -4, -6, -8, -1, -3, // image 1: channel 0 (max 12, mean 2), channel 1 (max −1, mean −4)
        ];
        var x = torch.tensor(values, [2, 2, 2, 3]);
        using var pool = new AdaptiveConcatPool2d();
        var y = pool.call(x);
        Assert.Equal(new long[] { 2, 4, 1, 1 }, y.shape);
        Assert.Equal([6f, 7f, 3.5f, 1f, 12f, -1f, 2f, -4f], y.data<float>().ToArray());
    }

    [Fact]
    public void Concat_Pool_Of_Size_Two_Pools_Each_Quadrant()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(16, dtype: torch.float32).view(1, 1, 4, 4);   // rows 0–3, 4–7, 8–11, 12–15
        using var pool = new AdaptiveConcatPool2d(2);
        var y = pool.call(x);
        Assert.Equal(new long[] { 1, 2, 2, 2 }, y.shape);
        // Quadrants {0,1,4,5} {2,3,6,7} {8,9,12,13} {10,11,14,15}: max 5 7 13 15, mean 2.5 4.5 10.5 12.5.
        Assert.Equal([5f, 7f, 13f, 15f, 2.5f, 4.5f, 10.5f, 12.5f], y.data<float>().ToArray());
    }

    [Fact]
    public void Hidden_Sizes_Split_The_Dropout_And_First_Bn_Off_Gives_The_First_Linear_A_Bias()
    {
        using var head = Head.Create(256, 5, new HeadOptions { LinFtrs = [128, 64], FirstBn = false, Ps = 0.4 });
        Assert.Equal(
            ["0: AdaptiveConcatPool2d(1)", "1: Flatten", "2: Dropout(0.2)", "3: Linear(512, 128, bias True)", "4: ReLU",
             "5: BatchNorm1d(128, momentum 0.1)", "6: Dropout(0.2)", "7: Linear(128, 64, bias False)", "8: ReLU",
             "9: BatchNorm1d(64, momentum 0.1)", "10: Dropout(0.4)", "11: Linear(64, 5, bias False)"],
            Describe(head));
    }

    [Fact]
    public void Average_Pool_Keeps_The_Features_And_No_Pool_Starts_At_The_Batch_Norm()
    {
        using var avg = Head.Create(512, 3, new HeadOptions { ConcatPool = false });
        Assert.Equal(["0: AdaptiveAvgPool2d", "1: Flatten", "2: BatchNorm1d(512, momentum 0.1)"], Describe(avg).Take(3));
        using var flat = Head.Create(512, 3, new HeadOptions { Pool = false, LinFtrs = [], Dropouts = [0.1] });
        Assert.Equal(["0: BatchNorm1d(512, momentum 0.1)", "1: Dropout(0.1)", "2: Linear(512, 3, bias False)"], Describe(flat));
    }

    [Fact]
    public void Lin_First_Bn_Final_And_Y_Range_Follow_Fastai()
    {
        using var head = Head.Create(512, 2, new HeadOptions { LinFirst = true, BnFinal = true, YRange = (-1, 3) });
        Assert.Equal(
            ["0: AdaptiveConcatPool2d(1)", "1: Flatten", "2: Dropout(0.25)", "3: Linear(1024, 512, bias False)", "4: ReLU",
             "5: BatchNorm1d(512, momentum 0.1)", "6: Dropout(0.5)", "7: Linear(512, 2, bias True)", "8: BatchNorm1d(2, momentum 0.01)",
             "9: SigmoidRange(-1, 3)"],
            Describe(head));
        using var scope = torch.NewDisposeScope();
        head.eval();
        var x = torch.randn(4, 512, 2, 2, generator: new torch.Generator(5)) * 10;
        var z = x;
        foreach (var layer in head.children().Take(9)) z = ((torch.nn.Module<torch.Tensor, torch.Tensor>)layer).call(z);   // all but the range
        Assert.True(head.call(x).allclose(z.sigmoid() * 4 - 1, rtol: 1e-5, atol: 1e-6), "sigmoid(x)·(3 − (−1)) + (−1)");
    }

    [Fact]
    public void Dropouts_Are_One_Per_Linear_Layer()
    {
        Assert.Throws<ArgumentException>(() => Head.Create(512, 3, new HeadOptions { Dropouts = [0.5] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Head.Create(512, 3, new HeadOptions { Dropouts = [0.5, 1.0] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Head.Create(512, 0));
    }

    [Fact]
    public void Apply_Init_Gives_Linear_Layers_Kaiming_Normal_And_Leaves_Batch_Norms()
    {
        torch.manual_seed(3);
        using var head = Head.Create(512, 37, new HeadOptions { FirstBn = false });
        var first = (Linear)head[3];
        using (torch.no_grad()) first.bias!.fill_(0.5f);
        Init.Apply(head);
        // Kaiming normal, fan in, gain √2: std √(2/1024) = 0.0442 (TorchSharp's default uniform(±1/√1024) has std 0.018).
        Assert.Equal(Math.Sqrt(2.0 / 1024), first.weight!.std().item<float>(), 0.03 * Math.Sqrt(2.0 / 1024));
        Assert.Equal(0.0, first.weight.mean().item<float>(), 1e-3);
        Assert.Equal(Math.Sqrt(2.0 / 512), ((Linear)head[7]).weight!.std().item<float>(), 0.05 * Math.Sqrt(2.0 / 512));
        Assert.True(first.bias.eq(0).all().item<bool>(), "apply_init zeroes biases");
        var bn = (BatchNorm1d)head[5];
        Assert.True(bn.weight!.eq(1).all().item<bool>() && bn.bias!.eq(1e-3f).all().item<bool>(), "norm layers are left alone");
    }

    [Fact]
    public void Apply_Init_Skips_Frozen_Layers()
    {
        using var lin = torch.nn.Linear(1024, 8);
        using var before = lin.weight!.detach().clone();
        lin.weight.requires_grad = false;
        lin.bias!.requires_grad = false;
        Init.Apply(lin);
        Assert.True(lin.weight.eq(before).all().item<bool>());
    }
}
