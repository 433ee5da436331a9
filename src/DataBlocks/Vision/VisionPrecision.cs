namespace DataBlocks.Vision;

/// <summary>How <see cref="VisionLearner.Create"/> sets the learner's precision and memory layout.</summary>
public enum VisionPrecision
{
    /// <summary>
    /// The fastest that keeps accuracy on the loaders' device: on a CPU, channels-last strides (<c>ToChannelsLast</c>;
    /// about 14% faster than contiguous fp32 for a ResNet-18 on an AVX2 CPU), with bf16 mixed precision and fp32 masters
    /// (<c>ToBf16</c>) where the CPU computes bf16 natively (<see cref="Devices.CpuHasBf16"/>; elsewhere libtorch emulates
    /// bf16 and it is many times slower); on a GPU, fp32 with contiguous tensors (choose <c>ToFp16</c> there yourself).
    /// docs/benchmarks.md, "Vision learner", has the figures.
    /// </summary>
    Auto,

    /// <summary>fp32, contiguous (NCHW) tensors: no change to the model.</summary>
    Fp32,

    /// <summary>fp32 with channels-last strides (<c>ToChannelsLast</c>).</summary>
    Fp32ChannelsLast,

    /// <summary>bf16 mixed precision with fp32 masters and channels-last strides (<c>ToChannelsLast</c>, <c>ToBf16</c>), whatever the CPU.</summary>
    Bf16ChannelsLast,
}
