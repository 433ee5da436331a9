using System;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using F = TorchSharp.torch.nn.functional;

namespace DataBlocks.Vision.Models;

/// <summary>
/// A bias-free 2-D convolution with ONNX's padding: four pads in ONNX's order (top, left, bottom, right), which may differ
/// (CNTK's "same" padding puts the odd pixel on top and left). Unequal pads are applied with an explicit zero pad before
/// an unpadded convolution; equal ones by the convolution itself. Its one parameter is <c>weight</c>
/// <c>[out, in, kernel, kernel]</c>, initialised as torchvision does (Kaiming normal, fan-out, ReLU).
/// </summary>
internal sealed class PaddedConv2d : torch.nn.Module<torch.Tensor, torch.Tensor>
{
    [ComponentName(Name = "weight")] private readonly Parameter _weight;
    private readonly long[] _pads;
    private readonly Action<torch.Tensor>? _checkInput;

    /// <summary>Creates the convolution.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernel">Kernel height and width.</param>
    /// <param name="stride">Stride in both directions.</param>
    /// <param name="pads">Pads in ONNX's order: top, left, bottom, right.</param>
    /// <param name="checkInput">Throws for inputs the network cannot take (the stem of a network checks its input here).</param>
    public PaddedConv2d(int inChannels, int outChannels, int kernel, int stride, long[] pads, Action<torch.Tensor>? checkInput = null)
        : base(nameof(PaddedConv2d))
    {
        if (pads.Length != 4) throw new ArgumentException("Give four pads: top, left, bottom, right.", nameof(pads));
        Kernel = kernel;
        Stride = stride;
        _pads = (long[])pads.Clone();
        _checkInput = checkInput;
        _weight = new Parameter(torch.empty(outChannels, inChannels, kernel, kernel));
        using (torch.no_grad()) torch.nn.init.kaiming_normal_(_weight, mode: torch.nn.init.FanInOut.FanOut, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
        RegisterComponents();
    }

    /// <summary>Kernel height and width.</summary>
    public int Kernel { get; }

    /// <summary>Stride in both directions.</summary>
    public int Stride { get; }

    /// <summary>Pads in ONNX's order: top, left, bottom, right.</summary>
    public ReadOnlySpan<long> Pads => _pads;

    /// <summary>The kernel <c>[out, in, kernel, kernel]</c> (the registered parameter itself).</summary>
    public Parameter Weight => _weight;

    /// <inheritdoc />
    public override torch.Tensor forward(torch.Tensor input)
    {
        _checkInput?.Invoke(input);
        if (_pads[0] == _pads[2] && _pads[1] == _pads[3])
            return F.conv2d(input, _weight, strides: [Stride, Stride], padding: [_pads[0], _pads[1]]);
        using var scope = torch.NewDisposeScope();
        // F.pad takes the last dimension first: left, right, top, bottom.
        var padded = F.pad(input, [_pads[1], _pads[3], _pads[0], _pads[2]]);
        return F.conv2d(padded, _weight, strides: [Stride, Stride]).MoveToOuterDisposeScope();
    }
}
