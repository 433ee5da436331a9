using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.IO;
using System.Linq;
using System.Text;
using DataBlocks.Data;
using DataBlocks.Learning;
using DataBlocks.Serialization;
using TorchSharp;

namespace DataBlocks.Collab;

/// <summary>
/// The export of a <see cref="CollabModel{TUser, TItem}"/>: a <see cref="DataBlocksFile"/> of kind
/// <see cref="DataBlocksFile.CollabExport"/> with the sections <c>keys</c> (the key types), <c>users</c> and <c>items</c>
/// (the vocabularies as invariant text), <c>architecture</c> (the model's own descriptor, <see cref="IExportableModel"/>),
/// <c>ratings</c> (what each user rated, how often each item was rated) and <c>weights</c>.
/// </summary>
internal static class CollabExport
{
    /// <summary>The architectures an export may hold, by kind.</summary>
    private static readonly Dictionary<string, ModelArchitecture.Factory> Factories = new(StringComparer.Ordinal)
    {
        [nameof(EmbeddingDotBias)] = EmbeddingDotBias.ReadArchitecture,
        [nameof(EmbeddingNN)] = EmbeddingNN.ReadArchitecture,
    };

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/>, atomically; returns the path.</summary>
    public static string Write<TUser, TItem>(CollabModel<TUser, TItem> model, string path) where TUser : notnull where TItem : notnull
    {
        if (model.Module is not IExportableModel architecture)
            throw new DataBlocksException($"A {model.Module.GetType().Name} cannot be exported: it does not describe its architecture (EmbeddingDotBias and EmbeddingNN do).");
        var userText = Keys<TUser>.ToText(model.Users.Values);
        var itemText = Keys<TItem>.ToText(model.Items.Values);
        foreach (string key in userText.Concat(itemText))
        {
            try
            {
                DataBlocksFile.Utf8.GetByteCount(key);
            }
            catch (EncoderFallbackException e)
            {
                throw new DataBlocksException($"The key '{key}' holds a lone surrogate (invalid UTF-16), so it cannot be exported as text.", e);
            }
        }
        DataBlocksFile.Write(path, DataBlocksFile.CollabExport, file =>
        {
            file.Add("keys", w =>
            {
                w.Write(typeof(TUser).FullName!);
                w.Write(typeof(TItem).FullName!);
            });
            file.Add("users", w => WriteList(w, userText, w.Write));
            file.Add("items", w => WriteList(w, itemText, w.Write));
            file.Add("architecture", w => ModelArchitecture.Write(w, architecture));
            file.Add("ratings", w =>
            {
                WriteList(w, model.Seen, items => WriteInts(w, items));
                WriteInts(w, model.RatingCounts);
            });
            // Under mixed precision the learner's fp32 masters are the weights (as fastai exports fp32 weights).
            file.Add("weights", w => StateDictIO.Write(w, model.Learner?.StateTensors() ?? model.Module.state_dict()));
        });
        return path;
    }

    /// <summary>Reads what <see cref="Write"/> wrote, checking every section; the model runs on <paramref name="device"/>.</summary>
    public static CollabModel<TUser, TItem> Read<TUser, TItem>(string path, torch.Device? device) where TUser : notnull where TItem : notnull
    {
        if (!File.Exists(path)) throw new DataBlocksException($"There is no exported model '{path}'.");
        var file = DataBlocksFile.Read(path, DataBlocksFile.CollabExport);
        var (userType, itemType) = file.Read("keys", r => (r.ReadString(), r.ReadString()));
        if (userType != typeof(TUser).FullName || itemType != typeof(TItem).FullName)
            throw new DataBlocksException(
                $"'{path}' has users of type {userType} and items of type {itemType}; it cannot load as CollabModel<{typeof(TUser).Name}, {typeof(TItem).Name}>.");
        var users = Vocabulary<TUser>(file.Read("users", r => ReadList(r, path, 1, r.ReadString)), path);
        var items = Vocabulary<TItem>(file.Read("items", r => ReadList(r, path, 1, r.ReadString)), path);
        var (seen, counts) = file.Read("ratings", r => (ReadList(r, path, sizeof(int), () => ReadInts(r, path)), ReadInts(r, path)));
        if (seen.Length != users.Count || counts.Length != items.Count || seen.Any(list => list.Any(i => i < 1 || i >= items.Count)))
            throw new DataBlocksException($"'{path}' is damaged: its rating lists do not match its vocabularies.");
        // The descriptor's sizes must fit the weights that follow, so a damaged size is named before anything is allocated.
        long weightBytes = file.Length("weights");
        var module = file.Read("architecture", r => ModelArchitecture.Read(new ArchitectureReader(r, path, weightBytes), Factories));
        try
        {
            using (var scope = torch.NewDisposeScope())
            {
                var model = (ICollabModel)module;
                long nUsers = model.UserFactors.shape[0], nItems = model.ItemFactors.shape[0];
                if (nUsers != users.Count || nItems != items.Count)
                    throw new DataBlocksException(
                        $"'{path}' is damaged: its model's embeddings ({nUsers} users, {nItems} items) do not match its vocabularies ({users.Count} users, {items.Count} items).");
                var state = module.state_dict();
                StateDictIO.Commit(state, file.Read("weights", r => StateDictIO.Read(r, state, path)));
            }
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

    private static void WriteList<T>(BinaryWriter w, IReadOnlyCollection<T> values, Action<T> write)
    {
        w.Write(values.Count);
        foreach (var v in values) write(v);
    }

    /// <summary>A list written by <see cref="WriteList"/> of entries of at least <paramref name="bytesEach"/> bytes, its count checked against what the section holds.</summary>
    private static T[] ReadList<T>(BinaryReader r, string path, int bytesEach, Func<T> read)
    {
        int n = r.ReadInt32();
        long left = r.BaseStream.Length - r.BaseStream.Position;
        if (n < 0 || (long)n * bytesEach > left)
            throw new DataBlocksException($"'{path}' is damaged: it announces {n} entries where {left} bytes remain.");
        var values = new T[n];
        for (int i = 0; i < n; i++) values[i] = read();
        return values;
    }

    private static void WriteInts(BinaryWriter w, IReadOnlyCollection<int> values) => WriteList(w, values, w.Write);

    private static int[] ReadInts(BinaryReader r, string path) => ReadList(r, path, sizeof(int), r.ReadInt32);

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
