using System;
using System.Numerics;
using System.Threading.Tasks;
using TorchSharp;
using TorchSharp.Modules;

namespace DataBlocks.Learning;

/// <summary>The moving averages and step count Adam keeps for one parameter.</summary>
internal sealed class AdamState : IDisposable
{
    public AdamState(torch.Tensor parameter)
    {
        using var scope = torch.NewDisposeScope();
        ExpAvg = torch.zeros_like(parameter).DetachFromDisposeScope();
        ExpAvgSq = torch.zeros_like(parameter).DetachFromDisposeScope();
    }

    public AdamState(long step, torch.Tensor expAvg, torch.Tensor expAvgSq)
    {
        Step = step;
        ExpAvg = expAvg;
        ExpAvgSq = expAvgSq;
    }

    /// <summary>Steps taken (the bias corrections use it).</summary>
    public long Step { get; set; }

    /// <summary>The moving average of the gradient (fastai: <c>grad_avg</c>).</summary>
    public torch.Tensor ExpAvg { get; }

    /// <summary>The moving average of the squared gradient (fastai: <c>sqr_avg</c>).</summary>
    public torch.Tensor ExpAvgSq { get; }

    public void Dispose()
    {
        ExpAvg.Dispose();
        ExpAvgSq.Dispose();
    }
}

/// <summary>
/// fastai's Adam step with decoupled weight decay — <c>p ← p·(1 − lr·wd)</c>; <c>m ← β1·m + (1 − β1)·g</c>;
/// <c>v ← β2·v + (1 − β2)·g²</c>; <c>p ← p − (lr / (1 − β1^t))·m / (√v / √(1 − β2^t) + ε)</c> — the same arithmetic as
/// PyTorch's and TorchSharp's AdamW. On the CPU, for contiguous float32 tensors, it runs as one vectorised pass over the
/// parameter, gradient and both averages (split across cores for large tensors) instead of eight tensor operations, each
/// a native call and a pass over memory: that is most of an optimizer step for models of many small tensors
/// (collaborative filtering, tabular). Elsewhere (CUDA, other dtypes) it runs as tensor operations.
/// </summary>
internal static class AdamStep
{
    private const int ParallelThreshold = 1 << 16;

    /// <summary>One Adam step of <paramref name="p"/>; call it under <c>torch.no_grad()</c>.</summary>
    public static void Apply(Parameter p, torch.Tensor grad, AdamState state, double lr, double beta1, double beta2, double eps, double wd)
    {
        state.Step++;
        double bc1 = 1 - Math.Pow(beta1, state.Step);
        double bc2 = 1 - Math.Pow(beta2, state.Step);
        double stepSize = lr / bc1;
        double bc2Sqrt = Math.Sqrt(bc2);
        if (CanFuse(p, grad, state))
            Fused(p, grad, state, (float)(1 - lr * wd), (float)beta1, (float)(1 - beta1), (float)beta2, (float)(1 - beta2), (float)bc2Sqrt,
                (float)eps, (float)-stepSize);
        else
            Ops(p, grad, state, lr, beta1, beta2, eps, wd, stepSize, bc2Sqrt);
    }

    private static bool CanFuse(torch.Tensor p, torch.Tensor grad, AdamState state) =>
        p.device_type == DeviceType.CPU && p.dtype == torch.float32 && grad.dtype == torch.float32 && grad.device_type == DeviceType.CPU
        && p.numel() == grad.numel() && p.numel() < int.MaxValue / 4
        && p.is_contiguous() && grad.is_contiguous() && state.ExpAvg.is_contiguous() && state.ExpAvgSq.is_contiguous();

    private static void Ops(Parameter p, torch.Tensor grad, AdamState state, double lr, double beta1, double beta2, double eps, double wd,
        double stepSize, double bc2Sqrt)
    {
        using var scope = torch.NewDisposeScope();   // the caller steps under no_grad
        if (wd != 0) p.mul_(1 - lr * wd);
        state.ExpAvg.mul_(beta1).add_(grad, alpha: 1 - beta1);
        state.ExpAvgSq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
        var denom = (state.ExpAvgSq.sqrt() / bc2Sqrt).add_(eps);
        p.addcdiv_(state.ExpAvg, denom, value: -stepSize);
    }

    private static unsafe void Fused(Parameter p, torch.Tensor grad, AdamState state, float decay, float beta1, float oneMinusBeta1, float beta2,
        float oneMinusBeta2, float bc2Sqrt, float eps, float negStep)
    {
        int n = (int)p.numel();
        if (n == 0) return;
        float* pp = Address(p), gp = Address(grad), mp = Address(state.ExpAvg), vp = Address(state.ExpAvgSq);
        if (n < ParallelThreshold)
        {
            Range(pp, gp, mp, vp, 0, n, decay, beta1, oneMinusBeta1, beta2, oneMinusBeta2, bc2Sqrt, eps, negStep);
            return;
        }
        int chunks = Math.Max(1, Math.Min(Environment.ProcessorCount, n / (ParallelThreshold / 2)));
        int size = (n / chunks + 63) & ~63;
        nint pa = (nint)pp, ga = (nint)gp, ma = (nint)mp, va = (nint)vp;
        Parallel.For(0, chunks, c =>
        {
            int start = c * size, end = Math.Min(n, start + size);
            if (start < end)
                Range((float*)pa, (float*)ga, (float*)ma, (float*)va, start, end, decay, beta1, oneMinusBeta1, beta2, oneMinusBeta2, bc2Sqrt, eps, negStep);
        });
    }

    private static unsafe float* Address(torch.Tensor t)
    {
        // CPU tensor memory is native, not managed: it does not move, so the address stays valid while the tensor lives.
        fixed (byte* b = t.bytes) return (float*)b;
    }

    private static unsafe void Range(float* p, float* g, float* m, float* v, int start, int end, float decay, float beta1, float oneMinusBeta1,
        float beta2, float oneMinusBeta2, float bc2Sqrt, float eps, float negStep)
    {
        int i = start;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            var vDecay = new Vector<float>(decay);
            var vB1 = new Vector<float>(beta1);
            var vA1 = new Vector<float>(oneMinusBeta1);
            var vB2 = new Vector<float>(beta2);
            var vA2 = new Vector<float>(oneMinusBeta2);
            var vBc2 = new Vector<float>(bc2Sqrt);
            var vEps = new Vector<float>(eps);
            var vStep = new Vector<float>(negStep);
            for (; i <= end - width; i += width)
            {
                var gi = Vector.Load(g + i);
                var pi = Vector.Load(p + i) * vDecay;
                var mi = Vector.Load(m + i) * vB1 + vA1 * gi;
                var vi = Vector.Load(v + i) * vB2 + vA2 * gi * gi;
                var denom = Vector.SquareRoot(vi) / vBc2 + vEps;
                mi.Store(m + i);
                vi.Store(v + i);
                (pi + vStep * mi / denom).Store(p + i);
            }
        }
        for (; i < end; i++)
        {
            float gi = g[i];
            float mi = m[i] * beta1 + oneMinusBeta1 * gi;
            float vi = v[i] * beta2 + oneMinusBeta2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] * decay + negStep * mi / (MathF.Sqrt(vi) / bc2Sqrt + eps);
        }
    }
}
