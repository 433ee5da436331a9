using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch.nn;

namespace DataBlocks.Vision.Models;

/// <summary>
/// A small CNN for training from scratch: stride-2 3×3 convolutions, each followed by batch norm and ReLU, then global
/// average pooling and a linear classifier. fastai: <c>simple_cnn(actns, bn=True)</c> with a linear head.
/// </summary>
public static class SimpleCnn
{
    /// <summary>Builds the model.</summary>
    /// <param name="outputs">Number of outputs (<see cref="Data.DataLoaders.C"/>).</param>
    /// <param name="channels">Channels of the input and after each convolution; default <c>[3, 16, 32, 64, 128]</c>.</param>
    /// <param name="dropout">Dropout before the classifier (0 = none).</param>
    public static TorchSharp.Modules.Sequential Create(int outputs, IReadOnlyList<int>? channels = null, double dropout = 0.0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        channels ??= [3, 16, 32, 64, 128];
        if (channels.Count < 2) throw new ArgumentException("Give the input channels and at least one convolution.", nameof(channels));
        var layers = new List<(string, torch.nn.Module<torch.Tensor, torch.Tensor>)>();
        for (int i = 1; i < channels.Count; i++)
        {
            layers.Add(($"conv{i}", Conv2d(channels[i - 1], channels[i], kernel_size: 3, stride: 2, padding: 1, bias: false)));
            layers.Add(($"bn{i}", BatchNorm2d(channels[i])));
            layers.Add(($"relu{i}", ReLU(inplace: true)));
        }
        layers.Add(("pool", AdaptiveAvgPool2d(1)));
        layers.Add(("flatten", Flatten()));
        if (dropout > 0) layers.Add(("dropout", Dropout(dropout)));
        layers.Add(("fc", Linear(channels[^1], outputs)));
        return Sequential(layers);
    }
}
