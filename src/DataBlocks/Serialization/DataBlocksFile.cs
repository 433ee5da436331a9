using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace DataBlocks.Serialization;

/// <summary>
/// The one file format of DataBlocks — saved weights, checkpoints, collaborative-filtering exports and the learner's
/// snapshots in memory. A header: the 16 bytes <c>"DataBlocks file\n"</c>, the format version (int32, <see cref="Version"/>)
/// and the file's kind (a string: <see cref="Weights"/>, <see cref="Checkpoint"/>, <see cref="CollabExport"/>,
/// <see cref="Snapshot"/>); then named sections, each its name (a string), its payload's length (int64) and the payload;
/// an empty name ends the file. Strings are <see cref="BinaryWriter"/>'s (length-prefixed UTF-8), numbers little-endian.
/// Reading checks the whole layout first, so a truncated, foreign or older file is named before any section is read.
/// </summary>
internal static class DataBlocksFile
{
    /// <summary>The format version this build writes and reads (the formats before it were version 2 of each file's own).</summary>
    public const int Version = 3;

    /// <summary>A learner's saved weights (<c>learn.Save</c>): sections <c>weights</c> and, with its state, <c>optimizer</c>.</summary>
    public const string Weights = "weights";

    /// <summary>A fit's checkpoint: <c>position</c>, <c>history</c>, <c>rng</c>, the callbacks' states, <c>weights</c>, <c>optimizer</c>.</summary>
    public const string Checkpoint = "checkpoint";

    /// <summary>An exported collaborative-filtering model: <c>keys</c>, <c>users</c>, <c>items</c>, <c>architecture</c>, <c>ratings</c>, <c>weights</c>.</summary>
    public const string CollabExport = "collab-export";

    /// <summary>A learner's state kept in memory (the lr finder's, the snapshot ensemble's).</summary>
    public const string Snapshot = "snapshot";

    private static ReadOnlySpan<byte> Magic => "DataBlocks file\n"u8;

    /// <summary>UTF-8 that refuses what it cannot encode or decode (a lone surrogate, invalid bytes) instead of replacing it.</summary>
    public static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes a file of <paramref name="kind"/> atomically: <paramref name="write"/> adds its sections.</summary>
    public static void Write(string path, string kind, Action<SectionWriter> write) => AtomicFile.Write(path, stream => Write(stream, kind, write));

    /// <summary>Writes a file of <paramref name="kind"/> to a seekable <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, string kind, Action<SectionWriter> write)
    {
        using var w = new BinaryWriter(stream, Utf8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Version);
        w.Write(kind);
        write(new SectionWriter(w));
        w.Write("");
    }

    /// <summary>
    /// Reads the file at <paramref name="path"/> and checks its layout and kind (see <see cref="Read(byte[], string, string)"/>).
    /// </summary>
    public static Sections Read(string path, string kind) => Read(File.ReadAllBytes(path), path, kind);

    /// <summary>
    /// Checks <paramref name="data"/>'s header and the layout of its sections; <paramref name="source"/> names it in messages.
    /// </summary>
    /// <exception cref="DataBlocksException">Not a DataBlocks file, a file of an older or newer format, a file of another
    /// kind, or a truncated or damaged one.</exception>
    public static Sections Read(byte[] data, string source, string kind)
    {
        if (!data.AsSpan().StartsWith(Magic))
        {
            if (Magic.StartsWith(data)) throw new DataBlocksException($"'{source}' is empty or truncated.");
            throw new DataBlocksException(OlderFormat(data) is { } old
                ? $"'{source}' was saved by an older version of DataBlocks ({old}); re-save it with this version."
                : $"'{source}' is not a DataBlocks file ({Describe(kind)} was expected).");
        }
        var r = new BinaryReader(new MemoryStream(data, writable: false), Utf8);
        r.BaseStream.Position = Magic.Length;
        int version = StateDictIO.Guard(r.ReadInt32, source);
        if (version != Version)
            throw new DataBlocksException(version > Version
                ? $"'{source}' was saved by a newer version of DataBlocks (format {version}); this one reads format {Version}."
                : $"'{source}' is damaged: it announces format {version}.");
        string found = StateDictIO.Guard(r.ReadString, source);
        var sections = new Dictionary<string, (int Offset, int Length)>(StringComparer.Ordinal);
        while (StateDictIO.Guard(r.ReadString, source) is { Length: > 0 } name)
        {
            long length = StateDictIO.Guard(r.ReadInt64, source);
            long offset = r.BaseStream.Position;
            if (length < 0 || length > data.Length - offset) throw new DataBlocksException($"'{source}' is empty or truncated.");
            if (!sections.TryAdd(name, ((int)offset, (int)length)))
                throw new DataBlocksException($"'{source}' is damaged: it holds two '{name}' sections.");
            r.BaseStream.Position = offset + length;
        }
        if (r.BaseStream.Position != data.Length)
            throw new DataBlocksException($"'{source}' is damaged: {data.Length - r.BaseStream.Position} bytes follow its last section.");
        if (found != kind) throw new DataBlocksException($"'{source}' holds {Describe(found)}, not {Describe(kind)}.");
        return new Sections(data, source, sections);
    }

    /// <summary>The format name an older DataBlocks wrote first (a length-prefixed <c>DataBlocks.…/n</c>), or null.</summary>
    private static string? OlderFormat(byte[] data)
    {
        if (data.Length < 2 || data[0] >= 128 || data.Length < 1 + data[0]) return null;
        string text = Encoding.ASCII.GetString(data, 1, data[0]);
        return text.StartsWith("DataBlocks.", StringComparison.Ordinal) && text.All(c => c is > ' ' and < (char)127) ? text : null;
    }

    private static string Describe(string kind) => kind switch
    {
        Weights => "a model's saved weights",
        Checkpoint => "a checkpoint",
        CollabExport => "an exported collaborative-filtering model",
        Snapshot => "a learner's snapshot",
        _ => $"a file of kind '{kind}'",
    };
}

/// <summary>Adds the named sections of a <see cref="DataBlocksFile"/>.</summary>
internal sealed class SectionWriter(BinaryWriter writer)
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Adds section <paramref name="name"/>, its payload written by <paramref name="write"/>.</summary>
    public void Add(string name, Action<BinaryWriter> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_names.Add(name)) throw new ArgumentException($"The section '{name}' is written twice.", nameof(name));
        var stream = writer.BaseStream;
        writer.Write(name);
        long at = stream.Position;
        writer.Write(0L);
        write(writer);
        writer.Flush();
        long end = stream.Position;
        stream.Position = at;
        writer.Write(end - at - sizeof(long));
        writer.Flush();
        stream.Position = end;
    }

    /// <summary>Adds section <paramref name="name"/> holding <paramref name="payload"/>.</summary>
    public void Add(string name, byte[] payload) => Add(name, w => w.Write(payload));
}

/// <summary>The sections of a checked <see cref="DataBlocksFile"/>, by name.</summary>
internal sealed class Sections(byte[] data, string source, IReadOnlyDictionary<string, (int Offset, int Length)> sections)
{
    /// <summary>The file (or what stands for it) named in messages.</summary>
    public string Source => source;

    /// <summary>The names of the sections, in file order.</summary>
    public IEnumerable<string> Names => sections.OrderBy(s => s.Value.Offset).Select(s => s.Key);

    /// <summary>Whether the file has section <paramref name="name"/>.</summary>
    public bool Has(string name) => sections.ContainsKey(name);

    /// <summary>The length in bytes of section <paramref name="name"/>.</summary>
    public long Length(string name) => Find(name).Length;

    /// <summary>A reader over section <paramref name="name"/>'s payload, for reads in several steps.</summary>
    /// <exception cref="DataBlocksException">The file has no such section.</exception>
    public BinaryReader Open(string name)
    {
        var (offset, length) = Find(name);
        return new BinaryReader(new MemoryStream(data, offset, length, writable: false), DataBlocksFile.Utf8);
    }

    /// <summary>The payload of section <paramref name="name"/>.</summary>
    public byte[] Bytes(string name)
    {
        var (offset, length) = Find(name);
        return data.AsSpan(offset, length).ToArray();
    }

    /// <summary>
    /// Reads section <paramref name="name"/> with <paramref name="read"/>, which must read all of it: a section that
    /// ends early, or holds more than was read, is named as damaged.
    /// </summary>
    public T Read<T>(string name, Func<BinaryReader, T> read)
    {
        using var r = Open(name);
        T value;
        try
        {
            value = read(r);
        }
        catch (EndOfStreamException e)
        {
            throw new DataBlocksException($"'{source}' is damaged: its '{name}' section ends early.", e);
        }
        catch (DecoderFallbackException e)
        {
            throw new DataBlocksException($"'{source}' is damaged: its '{name}' section holds text that is not valid UTF-8.", e);
        }
        if (r.BaseStream.Position != r.BaseStream.Length)
            throw new DataBlocksException($"'{source}' is damaged: its '{name}' section holds {r.BaseStream.Length - r.BaseStream.Position} bytes more than it should.");
        return value;
    }

    private (int Offset, int Length) Find(string name) =>
        sections.TryGetValue(name, out var s)
            ? s
            : throw new DataBlocksException($"'{source}' is damaged: it has no '{name}' section (it has {string.Join(", ", Names.Select(n => $"'{n}'"))}).");
}
