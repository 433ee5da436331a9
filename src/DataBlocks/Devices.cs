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
}
