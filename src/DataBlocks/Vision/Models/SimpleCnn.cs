using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch.nn;

namespace DataBlocks.Vision.Models;

/// <summary>
/// A small CNN for training from scratch: stages of 3×3 convolutions with batch norm and ReLU, each stage ending in a
/// stride-2 convolution, then global average pooling and a linear classifier. With one convolution per stage this is
/// fastai's <c>simple_cnn(actns, bn=True)</c> with a linear head; two per stage (a stride-1 convolution first) learns
/// faster on small images.
/// </summary>
public static class SimpleCnn
{
    /// <summary>Builds the model.</summary>
    /// <param name="outputs">Number of outputs (<see cref="Data.DataLoaders.C"/>).</param>
    /// <param name="channels">Channels of the input and after each stage; default <c>[3, 16, 32, 64, 128]</c>.</param>
    /// <param name="convsPerStage">Convolutions per stage (the last one has stride 2).</param>
    /// <param name="dropout">Dropout before the classifier (0 = none).</param>
    public static TorchSharp.Modules.Sequential Create(int outputs, IReadOnlyList<int>? channels = null, int convsPerStage = 1, double dropout = 0.0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(convsPerStage, 1);
        channels ??= [3, 16, 32, 64, 128];
        if (channels.Count < 2) throw new ArgumentException("Give the input channels and at least one stage.", nameof(channels));
        var layers = new List<(string, torch.nn.Module<torch.Tensor, torch.Tensor>)>();
        for (int stage = 1; stage < channels.Count; stage++)
        {
            for (int c = 0; c < convsPerStage; c++)
            {
                bool last = c == convsPerStage - 1;
                int input = c == 0 ? channels[stage - 1] : channels[stage];
                string suffix = convsPerStage == 1 ? $"{stage}" : $"{stage}_{c + 1}";
                layers.Add(($"conv{suffix}", Conv2d(input, channels[stage], kernel_size: 3, stride: last ? 2 : 1, padding: 1, bias: false)));
                layers.Add(($"bn{suffix}", BatchNorm2d(channels[stage])));
                layers.Add(($"relu{suffix}", ReLU(inplace: true)));
            }
        }
        layers.Add(("pool", AdaptiveAvgPool2d(1)));
        layers.Add(("flatten", Flatten()));
        if (dropout > 0) layers.Add(("dropout", Dropout(dropout)));
        layers.Add(("fc", Linear(channels[^1], outputs)));
        return Sequential(layers);
    }
}
