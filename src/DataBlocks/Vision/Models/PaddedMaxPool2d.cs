using System;
using TorchSharp;
using F = TorchSharp.torch.nn.functional;

namespace DataBlocks.Vision.Models;

/// <summary>
/// 2-D max pooling with ONNX's padding: four pads in ONNX's order (top, left, bottom, right), filled with −∞ as ONNX's
/// MaxPool does (a padded pixel never wins), then an unpadded pool.
/// </summary>
internal sealed class PaddedMaxPool2d : torch.nn.Module<torch.Tensor, torch.Tensor>
{
    private readonly long[] _pads;

    /// <summary>Creates the pool.</summary>
    /// <param name="kernel">Window height and width.</param>
    /// <param name="stride">Stride in both directions.</param>
    /// <param name="pads">Pads in ONNX's order: top, left, bottom, right.</param>
    public PaddedMaxPool2d(int kernel, int stride, long[] pads) : base(nameof(PaddedMaxPool2d))
    {
        if (pads.Length != 4) throw new ArgumentException("Give four pads: top, left, bottom, right.", nameof(pads));
        Kernel = kernel;
        Stride = stride;
        _pads = (long[])pads.Clone();
    }

    /// <summary>Window height and width.</summary>
    public int Kernel { get; }

    /// <summary>Stride in both directions.</summary>
    public int Stride { get; }

    /// <summary>Pads in ONNX's order: top, left, bottom, right.</summary>
    public ReadOnlySpan<long> Pads => _pads;

    /// <inheritdoc />
    public override torch.Tensor forward(torch.Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var padded = F.pad(input, [_pads[1], _pads[3], _pads[0], _pads[2]], value: double.NegativeInfinity);
        return F.max_pool2d(padded, [Kernel, Kernel], strides: [Stride, Stride]).MoveToOuterDisposeScope();
    }
}
