using System;
using System.Collections.Generic;
using System.IO;
using TorchSharp;

namespace DataBlocks.Serialization;

/// <summary>
/// A model that writes its own architecture descriptor — what its constructor needs (sizes, range) — so a file can
/// rebuild it before loading its weights: a <see cref="ModelArchitecture.Factory"/> registered under
/// <see cref="ArchitectureKind"/> reads the descriptor back.
/// </summary>
internal interface IExportableModel
{
    /// <summary>The name the descriptor is filed under, and its factory found by.</summary>
    string ArchitectureKind { get; }

    /// <summary>Writes the descriptor (after the kind, which the file writes).</summary>
    void WriteArchitecture(BinaryWriter writer);
}

/// <summary>Writes a model's architecture descriptor, and rebuilds a model from one with the factories of the kinds a file may hold.</summary>
internal static class ModelArchitecture
{
    /// <summary>Rebuilds a module from its descriptor (an untrained module of that shape, ready for the weights).</summary>
    public delegate torch.nn.Module<torch.Tensor, torch.Tensor> Factory(ArchitectureReader reader);

    /// <summary>Writes the kind of <paramref name="model"/>, then its descriptor.</summary>
    public static void Write(BinaryWriter w, IExportableModel model)
    {
        w.Write(model.ArchitectureKind);
        model.WriteArchitecture(w);
    }

    /// <summary>Reads what <see cref="Write"/> wrote and rebuilds the module with the factory of its kind.</summary>
    /// <exception cref="DataBlocksException">A kind none of <paramref name="factories"/> builds, or a damaged descriptor.</exception>
    public static torch.nn.Module<torch.Tensor, torch.Tensor> Read(ArchitectureReader reader, IReadOnlyDictionary<string, Factory> factories)
    {
        string kind = reader.Reader.ReadString();
        if (!factories.TryGetValue(kind, out var factory))
            throw new DataBlocksException(
                $"'{reader.Source}' holds a model of an unknown architecture '{kind}'; this version of DataBlocks rebuilds " +
                $"'{string.Join("', '", factories.Keys)}'.");
        try
        {
            return factory(reader);
        }
        catch (ArgumentException e)
        {
            throw new DataBlocksException($"'{reader.Source}' is damaged: {e.Message}", e);
        }
    }
}

/// <summary>
/// Reads an architecture descriptor, with the checks that keep a damaged one from allocating more than the file holds.
/// </summary>
/// <param name="reader">The descriptor's section.</param>
/// <param name="source">The file, for messages.</param>
/// <param name="weightBytes">The size of the weights the model will be loaded with.</param>
internal sealed class ArchitectureReader(BinaryReader reader, string source, long weightBytes)
{
    /// <summary>The descriptor's section.</summary>
    public BinaryReader Reader => reader;

    /// <summary>The file, for messages.</summary>
    public string Source => source;

    /// <summary>A size or count: not negative.</summary>
    public int Count()
    {
        int n = reader.ReadInt32();
        if (n < 0) throw new DataBlocksException($"'{source}' is damaged: its architecture holds a size of {n}.");
        return n;
    }

    /// <summary>A list of <paramref name="read"/>s, after its count (at most one entry per remaining byte).</summary>
    public T[] List<T>(Func<T> read)
    {
        int n = Count();
        if (n > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new DataBlocksException($"'{source}' is damaged: its architecture announces {n} entries where {reader.BaseStream.Length - reader.BaseStream.Position} bytes remain.");
        var values = new T[n];
        for (int i = 0; i < n; i++) values[i] = read();
        return values;
    }

    /// <summary>
    /// Checks that a model of <paramref name="floats"/> weights fits the file's weights before it is allocated. Sizes are
    /// multiplied as doubles: damaged sizes must not wrap around a long into a small, passing number.
    /// </summary>
    public void Allocates(double floats)
    {
        if (floats * sizeof(float) > weightBytes)
            throw new DataBlocksException($"'{source}' is damaged: its model needs {floats:N0} weights where its weights section holds {weightBytes:N0} bytes.");
    }

    /// <summary>A prediction range written by <see cref="WriteRange"/>.</summary>
    public (double Low, double High)? Range()
    {
        bool has = reader.ReadBoolean();
        double low = reader.ReadDouble(), high = reader.ReadDouble();
        return has ? (low, high) : null;
    }

    /// <summary>Writes a prediction range (or its absence) for <see cref="Range"/>.</summary>
    public static void WriteRange(BinaryWriter w, (double Low, double High)? range)
    {
        w.Write(range is not null);
        w.Write(range?.Low ?? 0);
        w.Write(range?.High ?? 0);
    }
}
