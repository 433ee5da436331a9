using System;
using System.IO;
using System.Linq;
using DataBlocks.Learning;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>Our Adam step against TorchSharp's AdamW (PyTorch's algorithm), on the fused CPU path and the tensor-op path.</summary>
[Collection("Torch")]
public class OptimizerTests
{
    [Theory]
    [InlineData(torch.ScalarType.Float32)]   // the fused, vectorised pass (and its parallel split for the large tensor)
    [InlineData(torch.ScalarType.Float64)]   // tensor operations
    public void Adam_Steps_As_PyTorchs_AdamW_With_Decoupled_Weight_Decay_And_No_Decay_Exclusions(torch.ScalarType dtype)
    {
        torch.manual_seed(3);
        long[][] shapes = [[1665, 102], [100, 176], [100], [3], [1]];   // the big one crosses the parallel threshold
        Parameter[] Make() => shapes.Select(s => new Parameter(torch.randn(s, dtype: dtype))).ToArray();
        var ours = Make();
        var theirs = ours.Select(p => new Parameter(p.detach().clone())).ToArray();
        var noDecay = new[] { ours[2], ours[3] };
        var optimizer = new LearnerOptimizer([ours], new System.Collections.Generic.HashSet<Parameter>(noDecay), OptimizerSettings.Adam with { Wd = 0.1 }, 5e-3);
        var reference = torch.optim.AdamW(
            [
                new AdamW.ParamGroup(new[] { theirs[0], theirs[1], theirs[4] }, 5e-3, 0.9, 0.99, 1e-5, 0.1, false, false),
                new AdamW.ParamGroup(new[] { theirs[2], theirs[3] }, 5e-3, 0.9, 0.99, 1e-5, 0.0, false, false),
            ], 5e-3, 0.9, 0.99, 1e-5, 0.1, false, false);
        for (int step = 0; step < 6; step++)
        {
            using var scope = torch.NewDisposeScope();
            for (int i = 0; i < ours.Length; i++)
            {
                var g = torch.randn(shapes[i], dtype: dtype) * (step + 1);
                ours[i].grad = g.clone();
                theirs[i].grad = g.clone();
            }
            if (step == 3) optimizer.SetLr([2e-3]);   // a schedule changes the rate between steps
            if (step == 3) reference.ParamGroups.ToList().ForEach(group => group.LearningRate = 2e-3);
            optimizer.Step();
            reference.step();
        }
        for (int i = 0; i < ours.Length; i++)
            Assert.True(ours[i].allclose(theirs[i], rtol: 1e-5, atol: 1e-7), $"parameter {i} ({dtype}) differs from AdamW");

        // The state round-trips: a reloaded optimizer continues exactly.
        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) optimizer.Save(w);
        var copies = ours.Select(p => new Parameter(p.detach().clone())).ToArray();
        var reloaded = new LearnerOptimizer([copies], new System.Collections.Generic.HashSet<Parameter>([copies[2], copies[3]]),
            OptimizerSettings.Adam with { Wd = 0.1 }, 5e-3);
        stream.Position = 0;
        using (var r = new BinaryReader(stream)) reloaded.Load(r, "memory");
        using (var scope = torch.NewDisposeScope())
        {
            for (int i = 0; i < ours.Length; i++)
            {
                var g = torch.randn(shapes[i], dtype: dtype);
                ours[i].grad = g.clone();
                copies[i].grad = g.clone();
            }
        }
        optimizer.Step();
        reloaded.Step();
        for (int i = 0; i < ours.Length; i++) Assert.True(ours[i].eq(copies[i]).all().item<bool>(), $"parameter {i} after reload");
        optimizer.Dispose();
        reloaded.Dispose();
    }
    [Theory]
    [InlineData(0.0, new[] { 0.9364, -1.8978 }, 0.4)]      // plain SGD: p ← p·(1 − lr·wd) − lr·g
    [InlineData(0.9, new[] { 0.8914, -1.8078 }, 0.22)]     // with momentum: the step is buf = mom·buf + g (buf starts at g)
    public void Sgd_Steps_As_Fastai_With_Decoupled_Weight_Decay_By_Hand(double mom, double[] decayedAfter2, double biasAfter2)
    {
        // fastai's SGD (weight_decay then average_grad then momentum_step), lr 0.1, wd 0.2: the decay multiplies the
        // weights by 1 − 0.1·0.2 = 0.98 before the gradient step, and never reaches the momentum buffer (that would be L2).
        // Step 1, g = [0.5, −1]: [1, −2]·0.98 − 0.1·[0.5, −1] = [0.93, −1.86]; the no-decay bias 0.5 − 0.1·2 = 0.3.
        // Step 2, g = [−0.25, 0.75], bias g = −1:
        //   mom 0:   [0.93, −1.86]·0.98 − 0.1·[−0.25, 0.75] = [0.9364, −1.8978];           bias 0.3 + 0.1 = 0.4
        //   mom 0.9: buf = 0.9·[0.5, −1] + [−0.25, 0.75] = [0.2, −0.15] → [0.8914, −1.8078]; bias buf 0.8 → 0.22
        var weight = new Parameter(torch.tensor(new[] { 1.0, -2.0 }, torch.float64));
        var bias = new Parameter(torch.tensor(new[] { 0.5 }, torch.float64));
        using var optimizer = new LearnerOptimizer([[weight, bias]], new System.Collections.Generic.HashSet<Parameter>([bias]),
            OptimizerSettings.SgdMomentum with { Mom = mom, Wd = 0.2 }, 0.1);
        void Step(double[] g, double gb)
        {
            weight.grad = torch.tensor(g, torch.float64);
            bias.grad = torch.tensor(new[] { gb }, torch.float64);
            optimizer.Step();
        }
        Step([0.5, -1], 2);
        Assert.Equal(new[] { 0.93, -1.86 }, weight.data<double>().ToArray(), new Close(1e-12));
        Assert.Equal(0.3, bias.data<double>()[0], 12);
        Step([-0.25, 0.75], -1);
        Assert.Equal(decayedAfter2, weight.data<double>().ToArray(), new Close(1e-12));
        Assert.Equal(biasAfter2, bias.data<double>()[0], 12);
    }

    private sealed class Close(double tolerance) : System.Collections.Generic.IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
