using System;
using System.IO;
using System.Linq;
using TorchSharp;

namespace DataBlocks;

/// <summary>Chooses the device DataBlocks puts batches and models on.</summary>
/// <remarks>
/// With the CPU backend (<c>libtorch-cpu-*</c>) this is always the CPU. Reference a CUDA backend package of the same
/// libtorch version instead and the same code runs on the GPU (docs/devices.md).
/// </remarks>
public static class Devices
{
    /// <summary>CUDA when the loaded libtorch backend has a usable GPU, else the CPU. fastai: <c>default_device()</c>.</summary>
    public static torch.Device Default => torch.cuda.is_available() ? torch.CUDA : torch.CPU;

    /// <summary>
    /// Whether this CPU computes bfloat16 natively (the <c>avx512_bf16</c> or <c>amx_bf16</c> flag of Linux's
    /// <c>/proc/cpuinfo</c>): there bf16 weights and activations with channels-last strides train a ResNet about twice as
    /// fast as fp32; elsewhere libtorch emulates bf16 and it is slower. False where the flags cannot be read (other
    /// operating systems).
    /// </summary>
    public static bool CpuHasBf16 => s_cpuHasBf16.Value;

    private static readonly Lazy<bool> s_cpuHasBf16 = new(() => CpuFlags("/proc/cpuinfo").Overlaps(["avx512_bf16", "amx_bf16"]));

    /// <summary>The flags of the first processor in a <c>/proc/cpuinfo</c>-style file; empty when it cannot be read.</summary>
    internal static System.Collections.Generic.HashSet<string> CpuFlags(string path)
    {
        try
        {
            string? line = File.Exists(path) ? File.ReadLines(path).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) : null;
            return line is null ? [] : [.. line.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }
}
