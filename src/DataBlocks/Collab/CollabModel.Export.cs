using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.IO;
using System.Linq;
using System.Text;
using DataBlocks.Data;
using TorchSharp;

namespace DataBlocks.Collab;

/// <summary>Export and load: one file with the architecture, the vocabularies, the weights and the rating history.</summary>
public sealed partial class CollabModel<TUser, TItem>
{
    /// <summary>
    /// Writes everything inference needs — the architecture, the vocabularies, the weights, what each user has rated and
    /// the rating counts — to <paramref name="path"/>, atomically. Keys are written as invariant text (their
    /// <see cref="TypeConverter"/>: numbers, strings, <see cref="Guid"/>s, enums…). fastai: <c>learn.export()</c>.
    /// </summary>
    /// <exception cref="DataBlocksException">A key type that cannot be written as text and read back.</exception>
    public string Export(string path)
    {
        var userText = Keys<TUser>.ToText(Users.Values);
        var itemText = Keys<TItem>.ToText(Items.Values);
        foreach (string key in userText.Concat(itemText))
        {
            try
            {
                StrictUtf8.GetByteCount(key);
            }
            catch (EncoderFallbackException e)
            {
                throw new DataBlocksException($"The key '{key}' holds a lone surrogate (invalid UTF-16), so it cannot be exported as text.", e);
            }
        }
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, StrictUtf8, leaveOpen: true);
            w.Write(Magic);
            w.Write(typeof(TUser).FullName!);
            w.Write(typeof(TItem).FullName!);
            WriteStrings(w, userText);
            WriteStrings(w, itemText);
            w.Write(Model.YRange is not null);
            w.Write(Model.YRange?.Low ?? 0);
            w.Write(Model.YRange?.High ?? 0);
            switch (_module)
            {
                case EmbeddingDotBias dot:
                    w.Write("dot");
                    w.Write(dot.NFactors);
                    break;
                case EmbeddingNN nn:
                    w.Write("nn");
                    w.Write(nn.EmbeddingSizes.Count);
                    foreach (var (count, size) in nn.EmbeddingSizes)
                    {
                        w.Write(count);
                        w.Write(size);
                    }
                    w.Write(nn.Layers.Count);
                    foreach (int l in nn.Layers) w.Write(l);
                    break;
                default:
                    throw new DataBlocksException($"A {_module.GetType().Name} cannot be exported; export EmbeddingDotBias or EmbeddingNN models.");
            }
            w.Write(_seen.Length);
            foreach (var items in _seen)
            {
                w.Write(items.Length);
                foreach (int i in items) w.Write(i);
            }
            w.Write(_ratingCounts.Length);
            foreach (int c in _ratingCounts) w.Write(c);
            // Under mixed precision the learner's fp32 masters are the weights (as fastai exports fp32 weights).
            if (_learner is not null) _learner.WriteModelState(w);
            else StateDictIO.Write(w, _module.state_dict());
        });
        return path;
    }

    /// <summary>UTF-8 that refuses text it cannot encode (a lone surrogate) instead of replacing it.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads a model written by <see cref="Export"/>; it runs on <paramref name="device"/> (default: <see cref="Devices.Default"/>, CUDA when available). fastai: <c>load_learner</c>.</summary>
    /// <exception cref="DataBlocksException">A missing or damaged file, another format, or keys of other types.</exception>
    public static CollabModel<TUser, TItem> Load(string path, torch.Device? device = null)
    {
        if (!File.Exists(path)) throw new DataBlocksException($"There is no exported model '{path}'.");
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, StrictUtf8);
        T Read<T>(Func<T> read) => StateDictIO.Guard(read, path);
        int Count(int bytesEach)
        {
            int n = Read(r.ReadInt32);
            if (n < 0 || (long)n * bytesEach > stream.Length - stream.Position)
                throw new DataBlocksException($"'{path}' is damaged: it announces {n} entries where {stream.Length - stream.Position} bytes remain.");
            return n;
        }
        string magic = Read(r.ReadString);
        if (magic != Magic) throw new DataBlocksException($"'{path}' is not an exported DataBlocks collaborative-filtering model (found '{magic}').");
        string userType = Read(r.ReadString), itemType = Read(r.ReadString);
        if (userType != typeof(TUser).FullName || itemType != typeof(TItem).FullName)
            throw new DataBlocksException(
                $"'{path}' has users of type {userType} and items of type {itemType}; it cannot load as CollabModel<{typeof(TUser).Name}, {typeof(TItem).Name}>.");
        var users = Vocabulary<TUser>(Read(() => ReadStrings(r, Count(1))), path);
        var items = Vocabulary<TItem>(Read(() => ReadStrings(r, Count(1))), path);
        bool hasRange = Read(r.ReadBoolean);
        double low = Read(r.ReadDouble), high = Read(r.ReadDouble);
        (double, double)? range = hasRange ? (low, high) : null;
        string kind = Read(r.ReadString);

        // The sizes read must fit the weights that follow, so a damaged size is named before anything is allocated.
        // Sizes are multiplied as doubles: damaged sizes must not wrap around a long into a small, passing number.
        void Fits(double floats)
        {
            if (floats * sizeof(float) > stream.Length - stream.Position)
                throw new DataBlocksException($"'{path}' is damaged: its model needs {floats:N0} weights where {stream.Length - stream.Position:N0} bytes remain.");
        }
        EmbeddingDotBias ReadDot()
        {
            int factors = Count(0);
            Fits((users.Count + (double)items.Count) * (factors + 1.0));
            return new EmbeddingDotBias(factors, users.Count, items.Count, range);
        }
        EmbeddingNN ReadNn()
        {
            var sizes = ReadSizes(Count);
            var layers = ReadLayers(Count);
            if (sizes.Length != 2 || sizes[0].Item1 != users.Count || sizes[1].Item1 != items.Count)
                throw new DataBlocksException(
                    $"'{path}' is damaged: its embeddings ({string.Join(", ", sizes.Select(e => $"{e.Item1}×{e.Item2}"))}) do not match its vocabularies ({users.Count} users, {items.Count} items).");
            double weights = sizes.Sum(e => (double)e.Item1 * e.Item2), width = sizes.Sum(e => (double)e.Item2);
            foreach (int l in layers)
            {
                weights += width * l;
                width = l;
            }
            Fits(weights + width);
            return new EmbeddingNN(sizes, layers, range);
        }

        torch.nn.Module<torch.Tensor, torch.Tensor> module;
        try
        {
            module = kind switch
            {
                "dot" => ReadDot(),
                "nn" => ReadNn(),
                _ => throw new DataBlocksException($"'{path}' holds an unknown model kind '{kind}'."),
            };
        }
        catch (ArgumentException e)
        {
            throw new DataBlocksException($"'{path}' is damaged: {e.Message}", e);
        }
        try
        {
            var seen = new int[Count(4)][];
            for (int u = 0; u < seen.Length; u++)
            {
                seen[u] = new int[Count(4)];
                for (int i = 0; i < seen[u].Length; i++) seen[u][i] = Read(r.ReadInt32);
            }
            var counts = new int[Count(4)];
            for (int i = 0; i < counts.Length; i++) counts[i] = Read(r.ReadInt32);
            if (seen.Length != users.Count || counts.Length != items.Count
                || seen.Any(list => list.Any(i => i < 1 || i >= items.Count)))
                throw new DataBlocksException($"'{path}' is damaged: its rating lists do not match its vocabularies.");
            using (var scope = torch.NewDisposeScope())
            {
                var state = module.state_dict();
                StateDictIO.Commit(state, StateDictIO.Read(r, state, path));
            }
            if (stream.Position != stream.Length)
                throw new DataBlocksException($"'{path}' is damaged: {stream.Length - stream.Position} bytes follow the weights.");
            var target = device ?? Devices.Default;
            module.to(target);
            module.eval();
            return new CollabModel<TUser, TItem>(module, owns: true, users, items, seen, counts, target);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    private static (int, int)[] ReadSizes(Func<int, int> count)
    {
        var sizes = new (int, int)[count(8)];
        for (int i = 0; i < sizes.Length; i++) sizes[i] = (count(0), count(0));
        return sizes;
    }

    private static int[] ReadLayers(Func<int, int> count)
    {
        var layers = new int[count(4)];
        for (int i = 0; i < layers.Length; i++) layers[i] = count(0);
        return layers;
    }

    private static Vocab<T> Vocabulary<T>(string[] text, string path) where T : notnull
    {
        try
        {
            return new Vocab<T>(Keys<T>.FromText(text, path), hasNaSlot: true);
        }
        catch (ArgumentException e)
        {
            throw new DataBlocksException($"'{path}' is damaged: {e.Message}", e);
        }
    }

    private static void WriteStrings(BinaryWriter w, IReadOnlyList<string> values)
    {
        w.Write(values.Count);
        foreach (string v in values) w.Write(v);
    }

    private static string[] ReadStrings(BinaryReader r, int count)
    {
        var values = new string[count];
        for (int i = 0; i < values.Length; i++) values[i] = r.ReadString();
        return values;
    }

    /// <summary>Keys as invariant text and back, through their type converter.</summary>
    private static class Keys<T> where T : notnull
    {
        private static readonly TypeConverter Converter = TypeDescriptor.GetConverter(typeof(T));

        public static string[] ToText(IReadOnlyList<T> keys)
        {
            if (!Converter.CanConvertFrom(typeof(string)) && typeof(T) != typeof(string))
                throw new DataBlocksException($"Keys of type {typeof(T).Name} cannot be exported: the type has no TypeConverter from text.");
            var text = new string[keys.Count];
            for (int i = 0; i < keys.Count; i++)
            {
                text[i] = typeof(T) == typeof(string) ? (string)(object)keys[i] : Converter.ConvertToInvariantString(keys[i]) ?? "";
                if (!Equals(Parse(text[i]), keys[i]))
                    throw new DataBlocksException($"The key '{keys[i]}' of type {typeof(T).Name} does not survive a round trip through text ('{text[i]}'), so it cannot be exported.");
            }
            return text;
        }

        public static T[] FromText(string[] text, string path)
        {
            try
            {
                return text.Select(Parse).ToArray();
            }
            catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException)
            {
                throw new DataBlocksException($"'{path}' holds keys that do not read as {typeof(T).Name}: {e.Message}", e);
            }
        }

        private static T Parse(string text) =>
            typeof(T) == typeof(string) ? (T)(object)text : (T)Converter.ConvertFromInvariantString(text)!;
    }
}
