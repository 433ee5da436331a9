using System;
using System.Buffers;
using System.Runtime.InteropServices;
using TorchSharp;

namespace DataBlocks.Data;

/// <summary>
/// A batch array in managed memory, built on a worker thread and turned into a tensor on the training thread
/// (tensors are not created on workers: dispose scopes are per thread). The buffer is rented from
/// <see cref="ArrayPool{T}"/> and returned by <see cref="Dispose"/>.
/// </summary>
public sealed class HostTensor : IDisposable
{
    private Array? _buffer;

    private HostTensor(Array buffer, torch.ScalarType dtype, long[] shape, int length)
    {
        _buffer = buffer;
        DType = dtype;
        Shape = shape;
        Length = length;
    }

    /// <summary>The element type.</summary>
    public torch.ScalarType DType { get; }

    /// <summary>The shape, batch dimension first.</summary>
    public long[] Shape { get; }

    /// <summary>The number of elements.</summary>
    public int Length { get; }

    /// <summary>A pooled <c>uint8</c> array of the given shape (contents undefined).</summary>
    public static HostTensor Bytes(params long[] shape) => Rent<byte>(torch.ScalarType.Byte, shape);

    /// <summary>A pooled <c>float32</c> array of the given shape (contents undefined).</summary>
    public static HostTensor Floats(params long[] shape) => Rent<float>(torch.ScalarType.Float32, shape);

    /// <summary>A pooled <c>int64</c> array of the given shape (contents undefined).</summary>
    public static HostTensor Longs(params long[] shape) => Rent<long>(torch.ScalarType.Int64, shape);

    /// <summary>The elements, as a span of <typeparamref name="T"/> (which must match <see cref="DType"/>).</summary>
    public Span<T> Span<T>() where T : unmanaged =>
        ((T[])(_buffer ?? throw new ObjectDisposedException(nameof(HostTensor)))).AsSpan(0, Length);

    /// <summary>Copies the data into a new CPU tensor and moves it to <paramref name="device"/>.</summary>
    public torch.Tensor ToTensor(torch.Device device)
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(HostTensor));
        var cpu = torch.empty(Shape, DType);
        ReadOnlySpan<byte> src = buffer switch
        {
            byte[] b => b.AsSpan(0, Length),
            float[] f => MemoryMarshal.AsBytes(f.AsSpan(0, Length)),
            long[] l => MemoryMarshal.AsBytes(l.AsSpan(0, Length)),
            _ => throw new InvalidOperationException($"Unsupported host buffer {buffer.GetType()}."),
        };
        src.CopyTo(cpu.bytes);
        if (device.type == DeviceType.CPU) return cpu;
        using (cpu) return cpu.to(device, non_blocking: false);
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        switch (_buffer)
        {
            case byte[] b: ArrayPool<byte>.Shared.Return(b); break;
            case float[] f: ArrayPool<float>.Shared.Return(f); break;
            case long[] l: ArrayPool<long>.Shared.Return(l); break;
        }
        _buffer = null;
    }

    private static HostTensor Rent<T>(torch.ScalarType dtype, long[] shape)
    {
        long n = 1;
        foreach (long d in shape) n *= d;
        if (n > int.MaxValue) throw new ArgumentException($"A batch of {n} elements is too large for one array.");
        return new HostTensor(ArrayPool<T>.Shared.Rent((int)Math.Max(n, 1)), dtype, shape, (int)n);
    }
}
