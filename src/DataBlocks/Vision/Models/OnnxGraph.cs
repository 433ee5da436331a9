using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using TorchSharp;

namespace DataBlocks.Vision.Models;

/// <summary>
/// An ONNX graph read with OnnxSharp (onnx.proto's generated classes), walked by following tensors from producer to
/// consumers, with the initializers a walk takes counted so that a file with more in it than expected can be refused.
/// Every problem is a <see cref="DataBlocksException"/> that says the file is not <c>expected</c>, and why.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly Dictionary<string, List<NodeProto>> _consumers = [];
    private readonly HashSet<string> _taken = [];
    private readonly string _expected;

    private OnnxGraph(string source, string expected, GraphProto graph)
    {
        Source = source;
        _expected = expected;
        Graph = graph;
        _initializers = graph.Initializer.GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.First());
        foreach (var node in graph.Node)
            foreach (var input in node.Input)
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = [];
                list.Add(node);
            }
    }

    /// <summary>The file.</summary>
    public string Source { get; }

    /// <summary>The graph.</summary>
    public GraphProto Graph { get; }

    /// <summary>The graph's inputs that are not initializers (ONNX before IR 4 lists initializers as inputs too).</summary>
    public IReadOnlyList<ValueInfoProto> DataInputs => [.. Graph.Input.Where(i => !_initializers.ContainsKey(i.Name))];

    /// <summary>The initializers no walk has taken.</summary>
    public IEnumerable<string> Untaken => _initializers.Keys.Where(k => !_taken.Contains(k));

    /// <summary>Reads <paramref name="path"/> as an ONNX model.</summary>
    /// <param name="path">The file.</param>
    /// <param name="expected">What the file should be, for messages (<c>"the ResNet-18 of package X"</c>).</param>
    public static OnnxGraph Read(string path, string expected)
    {
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new DataBlocksException($"'{path}' is not {expected}: it is not an ONNX model ({e.Message}).", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw new DataBlocksException($"'{path}' is not {expected}: it holds no ONNX graph.");
        return new OnnxGraph(path, expected, model.Graph);
    }

    /// <summary>A <see cref="DataBlocksException"/> saying the file is not what was expected, because of <paramref name="problem"/>.</summary>
    public DataBlocksException NotExpected(string problem) => new($"'{Source}' is not {_expected}: {problem}.");

    /// <summary>The nodes that read <paramref name="tensor"/>.</summary>
    public IReadOnlyList<NodeProto> Consumers(string tensor) => _consumers.TryGetValue(tensor, out var list) ? list : [];

    /// <summary>The one node that reads <paramref name="tensor"/>, which must be a <paramref name="opType"/> with <paramref name="inputs"/> inputs.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="opType">The operator expected (<c>"Conv"</c>).</param>
    /// <param name="inputs">How many inputs the node must have.</param>
    /// <param name="where">Which of our modules it should become, for messages (<c>"layer2.0.bn1"</c>).</param>
    public NodeProto Only(string tensor, string opType, int inputs, string where)
    {
        var consumers = Consumers(tensor);
        if (consumers.Count != 1)
            throw NotExpected($"{where} should be the only reader of '{tensor}', which {consumers.Count} node(s) read ({Describe(consumers)})");
        Expect(consumers[0], opType, inputs, where);
        return consumers[0];
    }

    /// <summary>Checks that <paramref name="node"/> is a <paramref name="opType"/> with <paramref name="inputs"/> inputs and one output.</summary>
    public void Expect(NodeProto node, string opType, int inputs, string where)
    {
        if (node.OpType != opType)
            throw NotExpected($"{where} should be a {opType}, found {Describe([node])}");
        if (node.Input.Count != inputs || node.Output.Count != 1)
            throw NotExpected($"{where} ({Describe([node])}) should have {inputs} input(s) and 1 output, found {node.Input.Count} and {node.Output.Count}");
    }

    /// <summary>
    /// The float initializer <paramref name="name"/> of shape <paramref name="shape"/>, as a new CPU tensor; it counts
    /// as taken. Values may be stored as <c>float_data</c> or as little-endian <c>raw_data</c>.
    /// </summary>
    public torch.Tensor Initializer(string name, ReadOnlySpan<long> shape, string where)
    {
        if (!_initializers.TryGetValue(name, out var t))
            throw NotExpected($"{where} reads '{name}', which is not an initializer");
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
            throw NotExpected($"{where}: initializer '{name}' is of ONNX data type {t.DataType}, not float");
        if (!t.Dims.SequenceEqual(shape.ToArray()))
            throw NotExpected($"{where}: initializer '{name}' is [{string.Join(", ", t.Dims)}], expected [{string.Join(", ", shape.ToArray())}]");
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw NotExpected($"{where}: initializer '{name}' is stored in an external file");
        long count = 1;
        foreach (long d in shape) count *= d;
        var values = new float[count];
        if (t.FloatData.Count == count) t.FloatData.CopyTo(values, 0);
        else if (t.RawData.Length == count * sizeof(float) && BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(t.RawData.Span).CopyTo(values);
        else throw NotExpected($"{where}: initializer '{name}' holds {t.FloatData.Count} floats and {t.RawData.Length} raw bytes for {count} values");
        if (!_taken.Add(name)) throw NotExpected($"{where}: initializer '{name}' is used twice");
        return torch.tensor(values, shape.ToArray());
    }

    /// <summary>The integer list attribute <paramref name="name"/>, or <paramref name="absent"/> if the node has none.</summary>
    public static long[] Ints(NodeProto node, string name, long[] absent) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? [.. a.Ints] : absent;

    /// <summary>The integer attribute <paramref name="name"/>, or <paramref name="absent"/>.</summary>
    public static long Int(NodeProto node, string name, long absent) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : absent;

    /// <summary>The float attribute <paramref name="name"/>, or <paramref name="absent"/>.</summary>
    public static float Float(NodeProto node, string name, float absent) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : absent;

    /// <summary>The string attribute <paramref name="name"/>, or <paramref name="absent"/>.</summary>
    public static string String(NodeProto node, string name, string absent) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.S.ToStringUtf8() : absent;

    /// <summary>Nodes as "Op 'name'" (or "Op" for a node without a name) for messages.</summary>
    public static string Describe(IEnumerable<NodeProto> nodes) =>
        string.Join(", ", nodes.Select(n => n.Name.Length > 0 ? $"{n.OpType} '{n.Name}'" : n.OpType));
}
