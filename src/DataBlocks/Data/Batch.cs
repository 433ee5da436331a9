using System;
using System.Collections.Generic;
using TorchSharp;

namespace DataBlocks.Data;

/// <summary>
/// One batch on the device: a tensor per field in block order, inputs first. A batch owns its tensors (they are in no
/// dispose scope); a loader disposes each batch when it moves to the next one, and a batch returned by
/// <c>OneBatch()</c> belongs to the caller.
/// </summary>
public sealed class Batch : IDisposable
{
    private readonly torch.Tensor[] _fields;

    internal Batch(torch.Tensor[] fields, int nInputs, IReadOnlyList<IFieldCodec> codecs, int[] indices, string[] items)
    {
        _fields = fields;
        NInputs = nInputs;
        Codecs = codecs;
        Indices = indices;
        Items = items;
    }

    /// <summary>The field tensors, block order.</summary>
    public IReadOnlyList<torch.Tensor> Fields => _fields;

    /// <summary>How many leading fields are inputs.</summary>
    public int NInputs { get; }

    /// <summary>The codec of each field (kind, vocabulary, decoding).</summary>
    public IReadOnlyList<IFieldCodec> Codecs { get; }

    /// <summary>The dataset index of each row.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <summary>A description of each row's item (its path or text).</summary>
    public IReadOnlyList<string> Items { get; }

    /// <summary>Whether the input is a body's precomputed activations rather than the loader's input (the learner runs only the head on it).</summary>
    internal bool HoldsActivations { get; init; }

    /// <summary>The number of rows.</summary>
    public int Size => Indices.Count;

    /// <summary>The input tensors.</summary>
    public ReadOnlySpan<torch.Tensor> Inputs => _fields.AsSpan(0, NInputs);

    /// <summary>The target tensors (empty for a test loader without labels).</summary>
    public ReadOnlySpan<torch.Tensor> Targets => _fields.AsSpan(NInputs);

    /// <summary>Field <paramref name="index"/>; generated batch types name their fields with this.</summary>
    /// <exception cref="InvalidOperationException">The batch has no such field (a test loader without labels has only inputs).</exception>
    public torch.Tensor Field(int index, string name) => index < _fields.Length
        ? _fields[index]
        : throw new InvalidOperationException($"This batch has no '{name}': it comes from a loader without targets (a test loader made without labels).");

    /// <summary>Replaces field <paramref name="index"/> with <paramref name="tensor"/>, disposing the old tensor; the batch takes ownership.</summary>
    public void Replace(int index, torch.Tensor tensor)
    {
        var old = _fields[index];
        _fields[index] = tensor.DetachFromDisposeScope();
        if (!ReferenceEquals(old, tensor)) old.Dispose();
    }

    /// <summary>A copy of the batch with cloned tensors (for display code that decodes in place).</summary>
    public Batch Clone()
    {
        var copies = new torch.Tensor[_fields.Length];
        for (int i = 0; i < copies.Length; i++) copies[i] = _fields[i].clone().DetachFromDisposeScope();
        return new Batch(copies, NInputs, Codecs, (int[])((int[])Indices).Clone(), (string[])((string[])Items).Clone());
    }

    /// <summary>Disposes every field tensor.</summary>
    public void Dispose()
    {
        foreach (var t in _fields) t.Dispose();
    }
}
