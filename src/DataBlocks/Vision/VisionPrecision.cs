namespace DataBlocks.Vision;

/// <summary>How <see cref="VisionLearner.Create"/> sets the learner's precision and memory layout.</summary>
public enum VisionPrecision
{
    /// <summary>
    /// The fastest that keeps accuracy on the loaders' device: on a CPU with native bfloat16 (<see cref="Devices.CpuHasBf16"/>)
    /// bf16 mixed precision with fp32 masters (<c>ToBf16</c>) and channels-last strides (<c>ToChannelsLast</c>);
    /// everywhere else fp32 with contiguous tensors, which on a CPU without bf16 is at least as fast as the others
    /// (docs/benchmarks.md, "Vision learner").
    /// </summary>
    Auto,

    /// <summary>fp32, contiguous (NCHW) tensors: no change to the model.</summary>
    Fp32,

    /// <summary>fp32 with channels-last strides (<c>ToChannelsLast</c>).</summary>
    Fp32ChannelsLast,

    /// <summary>bf16 mixed precision with fp32 masters and channels-last strides (<c>ToChannelsLast</c>, <c>ToBf16</c>), whatever the CPU.</summary>
    Bf16ChannelsLast,
}
