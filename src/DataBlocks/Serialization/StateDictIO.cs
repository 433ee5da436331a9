using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;

namespace DataBlocks.Serialization;

/// <summary>
/// Writes and reads a module's parameters and buffers by name (TorchSharp's tensor format per entry), half-precision
/// tensors widened to fp32; reading makes new tensors and checks them against the module before anything is copied.
/// </summary>
internal static class StateDictIO
{
    /// <summary>Writes <paramref name="state"/>.</summary>
    public static void Write(BinaryWriter w, IReadOnlyDictionary<string, torch.Tensor> state)
    {
        w.Write(state.Count);
        foreach (var (name, tensor) in state)
        {
            w.Write(name);
            using var scope = torch.NewDisposeScope();
            var t = tensor.detach().cpu().contiguous();
            if (t.dtype is torch.ScalarType.BFloat16 or torch.ScalarType.Float16) t = t.to(torch.float32);
            t.Save(w);
        }
    }

    /// <summary>
    /// Reads what <see cref="Write"/> wrote into new CPU tensors (in the current dispose scope) and checks every name and
    /// shape against <paramref name="target"/>, changing nothing.
    /// </summary>
    /// <exception cref="DataBlocksException">The file is truncated, or its tensors do not fit the target (missing, unexpected or differently shaped names).</exception>
    public static Dictionary<string, torch.Tensor> Read(BinaryReader r, IReadOnlyDictionary<string, torch.Tensor> target, string path)
    {
        int count = Guard(r.ReadInt32, path);
        var loaded = new Dictionary<string, torch.Tensor>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string name = Guard(r.ReadString, path);
            loaded[name] = Guard(() => TensorExtensionMethods.Load(r), path);
        }
        var problems = new List<string>();
        var missing = target.Keys.Where(k => !loaded.ContainsKey(k)).ToArray();
        if (missing.Length > 0) problems.Add($"the file lacks {Names(missing)}");
        var unexpected = loaded.Keys.Where(k => !target.ContainsKey(k)).ToArray();
        if (unexpected.Length > 0) problems.Add($"the model has no {Names(unexpected)}");
        foreach (var (name, t) in target)
            if (loaded.TryGetValue(name, out var l) && !l.shape.SequenceEqual(t.shape))
                problems.Add($"'{name}' is [{string.Join(", ", l.shape)}] in the file but [{string.Join(", ", t.shape)}] in the model");
        if (problems.Count > 0)
            throw new DataBlocksException($"The weights in '{path}' do not fit this model: {string.Join("; ", problems.Take(5))}{(problems.Count > 5 ? "; …" : "")}.");
        return loaded;

        static string Names(string[] names) =>
            string.Join(", ", names.Take(5).Select(n => $"'{n}'")) + (names.Length > 5 ? $" and {names.Length - 5} more" : "");
    }

    /// <summary>Copies checked tensors into <paramref name="target"/>.</summary>
    public static void Commit(IReadOnlyDictionary<string, torch.Tensor> target, Dictionary<string, torch.Tensor> loaded)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, t) in target) t.copy_(loaded[name]);
    }

    /// <summary>Runs a read, turning a premature end of file into a message naming the file.</summary>
    public static T Guard<T>(Func<T> read, string path)
    {
        try
        {
            return read();
        }
        catch (EndOfStreamException e)
        {
            throw new DataBlocksException($"'{path}' is empty or truncated.", e);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new DataBlocksException($"'{path}' is damaged: it holds text that is not valid UTF-8.", e);
        }
    }
}
