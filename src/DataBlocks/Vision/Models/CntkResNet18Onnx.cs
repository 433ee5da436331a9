using System;
using System.Linq;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;

namespace DataBlocks.Vision.Models;

/// <summary>
/// Loads <c>ResNet18.onnx</c> into a <see cref="CntkResNet18"/> by following its graph from the input: each node must be
/// the operator our module has at that point, with the same kernel, stride and pads, and its initializers become that
/// module's tensors (Conv: W; BatchNormalization: scale, B, mean, var). Initializer names and file order play no part.
/// Anything else — another operator, another shape, a bias, a branch too many, an initializer left over — is refused.
/// </summary>
internal static class CntkResNet18Onnx
{
    private static readonly string Expected = $"the {CntkResNet18.DisplayName} of the {CntkResNet18.PackageId} package (ResNet18.onnx)";

    /// <summary>Reads <paramref name="path"/> into <paramref name="model"/>.</summary>
    /// <exception cref="DataBlocksException">The file is not an ONNX model, or not this network.</exception>
    public static void Load(CntkResNet18 model, string path)
    {
        var g = OnnxGraph.Read(path, Expected);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();

        var inputs = g.DataInputs;
        if (inputs.Count != 1 || g.Graph.Output.Count != 1)
            throw g.NotExpected($"it has {inputs.Count} input(s) and {g.Graph.Output.Count} output(s), expected one of each");
        var dims = inputs[0].Type?.TensorType?.Shape?.Dim.Select(d => d.DimValue).ToArray() ?? [];
        if (dims.Length != 4 || dims[1] != 3)
            throw g.NotExpected($"its input '{inputs[0].Name}' is [{string.Join(", ", dims)}], expected [N, 3, H, W]");

        // The stem. The file's first kernel reads BGR; ours reads RGB: reverse its input channels.
        string x = Conv(g, g.Only(inputs[0].Name, "Conv", 2, "conv1"), model.Conv1, "conv1", bgrToRgb: true);
        x = BatchNorm(g, g.Only(x, "BatchNormalization", 5, "bn1"), model.Bn1, "bn1");
        x = g.Only(x, "Relu", 1, "relu").Output[0];
        x = MaxPool(g, g.Only(x, "MaxPool", 1, "maxpool"), model.MaxPool);

        var stages = model.Stages;
        for (int s = 0; s < stages.Count; s++)
            for (int b = 0; b < stages[s].Count; b++)
                x = Block(g, x, stages[s][b], $"layer{s + 1}.{b}");

        var pool = g.Only(x, "AveragePool", 1, "avgpool");
        long[] kernel = OnnxGraph.Ints(pool, "kernel_shape", []);
        bool global = dims[2] > 0 && dims[3] > 0 && kernel.SequenceEqual([dims[2] / 32, dims[3] / 32]);
        if (!global || OnnxGraph.Ints(pool, "pads", [0, 0, 0, 0]).Any(p => p != 0))
            throw g.NotExpected($"avgpool ({OnnxGraph.Describe([pool])}) should average the whole {dims[2] / 32}×{dims[3] / 32} map, found kernel [{string.Join(", ", kernel)}]");
        if (pool.Output[0] != g.Graph.Output[0].Name)
            throw g.NotExpected($"the average pool's output '{pool.Output[0]}' is not the graph's output '{g.Graph.Output[0].Name}'");
        string[] left = [.. g.Untaken];
        if (left.Length > 0)
            throw g.NotExpected($"{left.Length} initializer(s) belong to no layer of ours ({string.Join(", ", left.Take(5))})");
    }

    /// <summary>A basic block: from its input, the main path conv1 → bn1 → relu → conv2 → bn2 and the shortcut meet in an Add, then a Relu.</summary>
    private static string Block(OnnxGraph g, string input, CntkBasicBlock block, string where)
    {
        var readers = g.Consumers(input);
        var convs = readers.Where(n => n.OpType == "Conv").ToList();
        var downsample = block.Downsample;
        var expected = downsample is null ? "a 3×3 Conv and the residual Add" : "a 3×3 Conv and a 1×1 Conv";
        var main = convs.Where(n => OnnxGraph.Ints(n, "kernel_shape", []).SequenceEqual([3L, 3L])).ToList();
        var shortcutConv = convs.Where(n => OnnxGraph.Ints(n, "kernel_shape", []).SequenceEqual([1L, 1L])).ToList();
        if (readers.Count != 2 || main.Count != 1 || shortcutConv.Count != (downsample is null ? 0 : 1))
            throw g.NotExpected($"{where}'s input '{input}' should be read by {expected}, found {OnnxGraph.Describe(readers)}");

        g.Expect(main[0], "Conv", 2, $"{where}.conv1");
        string x = Conv(g, main[0], block.Conv1, $"{where}.conv1");
        x = BatchNorm(g, g.Only(x, "BatchNormalization", 5, $"{where}.bn1"), block.Bn1, $"{where}.bn1");
        x = g.Only(x, "Relu", 1, $"{where}.relu").Output[0];
        x = Conv(g, g.Only(x, "Conv", 2, $"{where}.conv2"), block.Conv2, $"{where}.conv2");
        x = BatchNorm(g, g.Only(x, "BatchNormalization", 5, $"{where}.bn2"), block.Bn2, $"{where}.bn2");
        var add = g.Only(x, "Add", 2, $"{where} (the residual sum)");

        string shortcut = input;
        if (downsample is { } ds)
        {
            g.Expect(shortcutConv[0], "Conv", 2, $"{where}.downsample.0");
            shortcut = Conv(g, shortcutConv[0], ds.Conv, $"{where}.downsample.0");
            shortcut = BatchNorm(g, g.Only(shortcut, "BatchNormalization", 5, $"{where}.downsample.1"), ds.Bn, $"{where}.downsample.1");
        }
        if (!add.Input.Contains(shortcut))
            throw g.NotExpected($"{where}'s residual sum ({OnnxGraph.Describe([add])}) adds [{string.Join(", ", add.Input)}], not the shortcut '{shortcut}'");
        return g.Only(add.Output[0], "Relu", 1, $"{where}.relu (after the sum)").Output[0];
    }

    private static string Conv(OnnxGraph g, NodeProto node, PaddedConv2d conv, string where, bool bgrToRgb = false)
    {
        CheckAttributes(g, node, where, conv.Kernel, conv.Stride, conv.Pads);
        if (OnnxGraph.Int(node, "group", 1) != 1 || !OnnxGraph.Ints(node, "dilations", [1, 1]).SequenceEqual([1L, 1L]))
            throw g.NotExpected($"{where} ({OnnxGraph.Describe([node])}) is grouped or dilated");
        var w = g.Initializer(node.Input[1], conv.Weight.shape, $"{where}.weight");
        conv.Weight.copy_(bgrToRgb ? w.flip(1) : w);
        return node.Output[0];
    }

    private static string MaxPool(OnnxGraph g, NodeProto node, PaddedMaxPool2d pool)
    {
        CheckAttributes(g, node, "maxpool", pool.Kernel, pool.Stride, pool.Pads);
        if (OnnxGraph.Int(node, "ceil_mode", 0) != 0 || !OnnxGraph.Ints(node, "dilations", [1, 1]).SequenceEqual([1L, 1L]))
            throw g.NotExpected($"maxpool ({OnnxGraph.Describe([node])}) rounds up or is dilated");
        return node.Output[0];
    }

    private static void CheckAttributes(OnnxGraph g, NodeProto node, string where, int kernel, int stride, ReadOnlySpan<long> pads)
    {
        long[] k = OnnxGraph.Ints(node, "kernel_shape", []), s = OnnxGraph.Ints(node, "strides", [1, 1]), p = OnnxGraph.Ints(node, "pads", [0, 0, 0, 0]);
        string autoPad = OnnxGraph.String(node, "auto_pad", "NOTSET");
        if (!k.SequenceEqual([kernel, kernel]) || !s.SequenceEqual([stride, stride]) || !p.AsSpan().SequenceEqual(pads) || autoPad != "NOTSET")
            throw g.NotExpected(
                $"{where} ({OnnxGraph.Describe([node])}) has kernel [{string.Join(", ", k)}], strides [{string.Join(", ", s)}], pads [{string.Join(", ", p)}], " +
                $"auto_pad {autoPad}; expected kernel [{kernel}, {kernel}], strides [{stride}, {stride}], pads [{string.Join(", ", pads.ToArray())}]");
    }

    private static string BatchNorm(OnnxGraph g, NodeProto node, BatchNorm2d bn, string where)
    {
        float eps = OnnxGraph.Float(node, "epsilon", 1e-5f);
        if (Math.Abs(eps - bn.eps) > 1e-9 || OnnxGraph.Int(node, "spatial", 1) != 1)
            throw g.NotExpected($"{where} ({OnnxGraph.Describe([node])}) has epsilon {eps} (expected {bn.eps}) or is not spatial");
        long[] shape = [bn.num_features];
        bn.weight!.copy_(g.Initializer(node.Input[1], shape, $"{where}.weight"));
        bn.bias!.copy_(g.Initializer(node.Input[2], shape, $"{where}.bias"));
        bn.running_mean!.copy_(g.Initializer(node.Input[3], shape, $"{where}.running_mean"));
        bn.running_var!.copy_(g.Initializer(node.Input[4], shape, $"{where}.running_var"));
        return node.Output[0];
    }
}
