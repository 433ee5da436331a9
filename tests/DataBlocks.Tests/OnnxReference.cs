using System;
using System.IO;
using System.Linq;
using DataBlocks.Vision.Models;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using TorchSharp;

namespace DataBlocks.Tests;

/// <summary>
/// ONNX Runtime running one of the package's ONNX files: the reference our TorchSharp port is checked against. It takes
/// and returns plain float arrays, one image at a time (the files declare a batch of 1).
/// </summary>
internal sealed class OnnxReference : IDisposable
{
    private readonly InferenceSession _session;

    private OnnxReference(InferenceSession session) => _session = session;

    /// <summary>Where the package copies its files in the test output.</summary>
    public static string ModelsFolder => Path.Combine(AppContext.BaseDirectory, "DnnImageModels");

    /// <summary><c>ResNet18.onnx</c>, as the package ships it.</summary>
    public static string ResNet18Path => Path.Combine(ModelsFolder, "ResNet18Onnx", "ResNet18.onnx");

    /// <summary><c>ResNetPreprocess.onnx</c>: RGB (0–255) → BGR minus the 224×224 mean image.</summary>
    public static string PreprocessPath => Path.Combine(ModelsFolder, "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>Runs an ONNX file unchanged.</summary>
    public static OnnxReference Open(string path) => new(new InferenceSession(File.ReadAllBytes(path), Options()));

    /// <summary>
    /// <c>ResNet18.onnx</c> declared for <paramref name="height"/>×<paramref name="width"/> inputs, its final average pool
    /// widened to the whole last map (7×7 at 224). Nothing else changes: every convolution, pad and weight is the file's.
    /// </summary>
    public static OnnxReference ResNet18At(int height, int width)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(ResNet18Path));
        var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim;
        model.Graph.ValueInfo.Clear();               // the intermediate shapes recorded for 224×224
        dims[2].DimValue = height;
        dims[3].DimValue = width;
        var kernel = model.Graph.Node.Single(n => n.OpType == "AveragePool").Attribute.Single(a => a.Name == "kernel_shape");
        kernel.Ints.Clear();
        kernel.Ints.Add([height / 32, width / 32]);
        return new OnnxReference(new InferenceSession(model.ToByteArray(), Options()));
    }

    /// <summary>Runs the graph on one input <c>[1, C, H, W]</c> and returns its (only) output, flattened.</summary>
    public float[] Run(float[] input, long[] shape)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var options = new RunOptions();
        using var outputs = _session.Run(options, [_session.InputNames[0]], [value], [_session.OutputNames[0]]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// Runs each image of a batch that our port takes (RGB, normalised with <see cref="CntkResNet18.Stats"/>): the file
    /// reads BGR with the same per-channel means subtracted, so its input is our input with the channels reversed.
    /// </summary>
    public float[][] RunBatch(torch.Tensor normalisedRgb)
    {
        using var scope = torch.NewDisposeScope();
        var bgr = normalisedRgb.flip(1).contiguous().cpu();
        long[] shape = [1, .. bgr.shape.Skip(1)];
        return [.. Enumerable.Range(0, (int)bgr.shape[0]).Select(i => Run(bgr[i].contiguous().data<float>().ToArray(), shape))];
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();

    private static SessionOptions Options() => new() { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
}
