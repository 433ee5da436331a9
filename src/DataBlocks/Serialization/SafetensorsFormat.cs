using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace DataBlocks.Serialization;

/// <summary>
/// The .safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (<c>{"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …}</c>, offsets
/// relative to the end of the header), then the tensors' bytes, row-major, little-endian.
/// </summary>
internal static class SafetensorsFormat
{
    /// <summary>The largest header read (the safetensors library's own limit).</summary>
    private const long MaxHeaderBytes = 100_000_000;

    private sealed record Entry(string Name, torch.ScalarType DType, long[] Shape, long Begin, long End);

    /// <summary>Reads every tensor of the file into new CPU tensors, in the header's order, after checking the whole header.</summary>
    /// <exception cref="DataBlocksException">The header is malformed, an entry's offsets fall outside the data, overlap another's or do not match its dtype and shape, or the file is truncated.</exception>
    public static OrderedDictionary<string, torch.Tensor> Read(string path, Stream stream)
    {
        long fileLength = stream.Length;
        Span<byte> prefix = stackalloc byte[8];
        if (stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
            throw new DataBlocksException($"'{path}' is truncated: a .safetensors file starts with an 8-byte header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
            throw new DataBlocksException($"'{path}': its .safetensors header claims {headerLength} bytes, more than the {MaxHeaderBytes} allowed: the file is damaged.");
        if ((long)headerLength > fileLength - 8)
            throw new DataBlocksException($"'{path}' is truncated: its .safetensors header claims {headerLength} bytes, but only {fileLength - 8} follow.");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength, dataLength = fileLength - dataStart;
        var entries = Parse(path, header);
        Check(path, entries, dataLength);

        var result = new OrderedDictionary<string, torch.Tensor>(entries.Count, StringComparer.Ordinal);
        try
        {
            foreach (var e in entries)
            {
                var t = torch.empty(e.Shape, e.DType);
                result.Add(e.Name, t);
                stream.Position = dataStart + e.Begin;
                TensorBytes.ReadInto(stream, t);
            }
        }
        catch (EndOfStreamException ex)
        {
            foreach (var t in result.Values) t.Dispose();
            throw new DataBlocksException($"'{path}' is truncated: it ends inside its tensors' data.", ex);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> (any device, any layout; copied to contiguous CPU memory one at a time) with
    /// <paramref name="metadata"/> as <c>__metadata__</c>, atomically. The data starts 8-byte aligned, as the safetensors
    /// library writes it.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty or <c>__metadata__</c>, or a tensor has a type safetensors files here cannot hold.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var items = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<Entry>(items.Count);
        long offset = 0;
        foreach (var (name, t) in items)
        {
            if (string.IsNullOrEmpty(name) || name == "__metadata__")
                throw new ArgumentException($"A tensor cannot be named '{name}' in a .safetensors file.", nameof(tensors));
            if (!names.Add(name)) throw new ArgumentException($"Tensor '{name}' is given twice.", nameof(tensors));
            if (TorchDtypes.SafetensorsName(t.dtype) is null)
                throw new ArgumentException($"Tensor '{name}' is {t.dtype}, which DataBlocks does not write to .safetensors (it writes {string.Join(", ", TorchDtypes.SafetensorsTypes.Select(s => TorchDtypes.Name(s.DType)))}).", nameof(tensors));
            long bytes = t.numel() * TorchDtypes.Size(t.dtype);
            entries.Add(new Entry(name, t.dtype, t.shape, offset, offset + bytes));
            offset += bytes;
        }
        byte[] header = Header(entries, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            for (int i = 0; i < items.Count; i++)
            {
                using var scope = torch.NewDisposeScope();
                var t = items[i].Value.detach().cpu().contiguous();
                TensorBytes.Write(stream, t);
            }
        });
    }

    private static byte[] Header(List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            foreach (var e in entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", TorchDtypes.SafetensorsName(e.DType));
                w.WriteStartArray("shape");
                foreach (long d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(e.Begin);
                w.WriteNumberValue(e.End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        while (buffer.Length % 8 != 0) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static List<Entry> Parse(string path, byte[] header)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new DataBlocksException($"'{path}': its .safetensors header is not valid JSON ({e.Message}).", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new DataBlocksException($"'{path}': its .safetensors header is a JSON {doc.RootElement.ValueKind}, not an object.");
            var entries = new List<Entry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(p.Name)) throw new DataBlocksException($"'{path}': its .safetensors header names '{p.Name}' twice.");
                if (p.Name == "__metadata__")
                {
                    if (p.Value.ValueKind != JsonValueKind.Object || p.Value.EnumerateObject().Any(m => m.Value.ValueKind != JsonValueKind.String))
                        throw new DataBlocksException($"'{path}': its .safetensors __metadata__ is not an object of strings.");
                    continue;
                }
                entries.Add(ParseEntry(path, p));
            }
            return entries;
        }
    }

    private static Entry ParseEntry(string path, JsonProperty p)
    {
        string where = $"'{path}': tensor '{p.Name}'";
        if (p.Value.ValueKind != JsonValueKind.Object) throw new DataBlocksException($"{where} is described by a JSON {p.Value.ValueKind}, not an object.");
        if (!p.Value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
            throw new DataBlocksException($"{where} has no dtype.");
        string dtypeName = dtype.GetString()!;
        var type = TorchDtypes.SafetensorsTypes.Where(t => t.Name == dtypeName).Select(t => (torch.ScalarType?)t.DType).FirstOrDefault()
            ?? throw new DataBlocksException($"{where} is of dtype {dtypeName}, which DataBlocks does not read (it reads {string.Join(", ", TorchDtypes.SafetensorsTypes.Select(t => t.Name))}).");
        long[] shape = Longs(where, p.Value, "shape", null);
        long[] offsets = Longs(where, p.Value, "data_offsets", 2);
        return new Entry(p.Name, type, shape, offsets[0], offsets[1]);
    }

    private static long[] Longs(string where, JsonElement e, string name, int? count)
    {
        if (!e.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new DataBlocksException($"{where} has no {name} array.");
        var values = new List<long>();
        foreach (var v in array.EnumerateArray())
            values.Add(v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l) && l >= 0
                ? l
                : throw new DataBlocksException($"{where} has a {name} entry that is not a non-negative integer: {v.GetRawText()}."));
        if (count is int c && values.Count != c) throw new DataBlocksException($"{where} has {values.Count} {name}, not {c}.");
        return [.. values];
    }

    // Every entry within the data, as long as its dtype and shape say, and no two overlapping.
    private static void Check(string path, List<Entry> entries, long dataLength)
    {
        foreach (var e in entries)
        {
            string where = $"'{path}': tensor '{e.Name}'";
            if (e.End < e.Begin) throw new DataBlocksException($"{where} has data offsets [{e.Begin}, {e.End}] that end before they begin.");
            long bytes;
            try
            {
                bytes = checked(e.Shape.Aggregate(1L, (a, d) => checked(a * d)) * TorchDtypes.Size(e.DType));
            }
            catch (OverflowException)
            {
                throw new DataBlocksException($"{where} has a shape [{string.Join(", ", e.Shape)}] too large to exist.");
            }
            if (e.End - e.Begin != bytes)
                throw new DataBlocksException(
                    $"{where} is {TorchDtypes.Name(e.DType)} [{string.Join(", ", e.Shape)}], {bytes} bytes, but its data offsets [{e.Begin}, {e.End}] span {e.End - e.Begin}.");
            if (e.End > dataLength)
                throw new DataBlocksException($"{where} has data offsets [{e.Begin}, {e.End}] past the end of the data ({dataLength} bytes): the file is truncated or damaged.");
        }
        Entry? previous = null;
        foreach (var e in entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin))
        {
            if (previous is not null && e.Begin < previous.End)
                throw new DataBlocksException($"'{path}': tensors '{previous.Name}' [{previous.Begin}, {previous.End}] and '{e.Name}' [{e.Begin}, {e.End}] overlap.");
            previous = e;
        }
    }
}
