using System;
using System.IO;
using TorchSharp;

namespace DataBlocks.Serialization;

/// <summary>Moves the bytes of contiguous CPU tensors to and from streams, straight from and into the tensors' memory.</summary>
internal static class TensorBytes
{
    /// <summary>The most bytes one span covers (a span's length is an int).</summary>
    private const long Chunk = 1L << 30;

    /// <summary>Fills <paramref name="tensor"/> (contiguous, on the CPU) from the next bytes of <paramref name="stream"/>.</summary>
    /// <exception cref="EndOfStreamException">The stream ends first.</exception>
    public static void ReadInto(Stream stream, torch.Tensor tensor)
    {
        foreach (var (flat, start, count) in Chunks(tensor))
        {
            using var chunk = flat.narrow(0, start, count);
            stream.ReadExactly(chunk.bytes);
        }
    }

    /// <summary>Writes the bytes of <paramref name="tensor"/> (contiguous, on the CPU) to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, torch.Tensor tensor)
    {
        foreach (var (flat, start, count) in Chunks(tensor))
        {
            using var chunk = flat.narrow(0, start, count);
            stream.Write(chunk.bytes);
        }
    }

    private static System.Collections.Generic.IEnumerable<(torch.Tensor Flat, long Start, long Count)> Chunks(torch.Tensor tensor)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("PyTorch weight files are little-endian; DataBlocks reads and writes them on little-endian machines only.");
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException("The tensor must be a contiguous CPU tensor.", nameof(tensor));
        long n = tensor.numel();
        if (n == 0) yield break;
        long perChunk = Chunk / TorchDtypes.Size(tensor.dtype);
        using var flat = tensor.view(-1);
        for (long start = 0; start < n; start += perChunk) yield return (flat, start, Math.Min(perChunk, n - start));
    }
}
