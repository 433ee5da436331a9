using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;

namespace DataBlocks.Serialization;

/// <summary>
/// PyTorch weight files: reads a state_dict from a <c>.pth</c> file (what <c>torch.save(model.state_dict(), f)</c> writes)
/// or a <c>.safetensors</c> file, loads one into a module with every name, shape and type checked first, and writes
/// <c>.safetensors</c>. A <c>.pth</c> file is a pickle, which in Python can run any code: it is read by a restricted
/// unpickler that only rebuilds tensors and their dicts and refuses, before anything is constructed, every Python global a
/// state_dict does not need (<c>os.system</c>, <c>builtins.eval</c>, a model's class, …).
/// </summary>
public static class TorchWeights
{
    /// <summary>
    /// Reads the tensors of a weights file, in the file's order, as new contiguous CPU tensors. The format is told from
    /// the content: a zip archive is a <c>.pth</c> file, an 8-byte length followed by JSON is a <c>.safetensors</c> file.
    /// Tensors that shared a storage in a <c>.pth</c> file (views, slices) come back as separate tensors with the values
    /// the views had.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <returns>The tensors by name; the caller owns them (dispose them, or read inside a <c>torch.NewDisposeScope()</c>).</returns>
    /// <exception cref="DataBlocksException">
    /// The file is missing, truncated or damaged; it is in PyTorch's legacy non-zip format (re-save it with a current
    /// PyTorch), a whole pickled model or something else that is not a state_dict; or its pickle names a global a
    /// state_dict does not need (the message names it; nothing was constructed or run).
    /// </exception>
    public static IReadOnlyDictionary<string, torch.Tensor> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new DataBlocksException($"There is no weights file at '{path}'.");
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[9];
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        head = head[..n];
        if (head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8)) return PthReader.Read(path, stream);
        if (n == 0) throw new DataBlocksException($"'{path}' is empty.");
        if (n == 9 && head[8] == (byte)'{') return SafetensorsFormat.Read(path, stream);   // a header length, then JSON
        if (head[0] == 0x80)                                                               // pickle's PROTO opcode
            throw new DataBlocksException(
                $"'{path}' is in PyTorch's legacy format (a bare pickle: torch.save before PyTorch 1.6, or with " +
                "_use_new_zipfile_serialization=False), which DataBlocks does not read. Re-save it with a current PyTorch: " +
                "torch.save(torch.load(f), f2), and load f2.");
        if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) throw new DataBlocksException($"'{path}' is gzip-compressed: decompress it first.");
        throw new DataBlocksException($"'{path}' is neither a PyTorch .pth file (a zip archive) nor a .safetensors file.");
    }

    /// <summary>
    /// Loads a weights file (<see cref="Read"/>) into <paramref name="module"/>'s parameters and buffers, matched by
    /// state-dict name (<c>conv1.weight</c>, <c>layer1.0.bn1.running_mean</c>, …). Everything is checked before anything is
    /// copied, so on an error the module is unchanged: names the module has and the file lacks, names the file has and the
    /// module lacks (both allowed when <paramref name="strict"/> is false), and for every shared name the shape and the
    /// type. Floating-point values convert between float16, bfloat16, float32 and float64 (a half-precision file loads
    /// into a float32 model); integer and bool tensors load only into their own type, and never into a floating-point one
    /// or back. <c>num_batches_tracked</c> (the batch norms' counters) may be missing on either side, whatever
    /// <paramref name="strict"/>, and loads into any integer type.
    /// </summary>
    /// <param name="module">The model; its tensors may be on any device.</param>
    /// <param name="path">A <c>.pth</c> or <c>.safetensors</c> file.</param>
    /// <param name="strict">Whether every name must be on both sides (PyTorch's <c>load_state_dict(strict=True)</c>).</param>
    /// <returns>Which names were loaded, which the file lacked and which the module lacked.</returns>
    /// <exception cref="DataBlocksException">The file cannot be read (see <see cref="Read"/>) or does not fit the module; the message names the file and the tensors.</exception>
    public static WeightsLoadReport Load(torch.nn.Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = torch.NewDisposeScope();
        var file = Read(path);
        var target = module.state_dict();
        var missing = target.Keys.Where(k => !file.ContainsKey(k)).ToList();
        var unexpected = file.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var problems = new List<string>();
        var missingRequired = missing.Where(k => strict && !IsCounter(k)).ToArray();
        var unexpectedRequired = unexpected.Where(k => strict && !IsCounter(k)).ToArray();
        if (missingRequired.Length > 0) problems.Add($"the file lacks {Names(missingRequired)}");
        if (unexpectedRequired.Length > 0) problems.Add($"the model has no {Names(unexpectedRequired)}");
        var loaded = target.Keys.Where(file.ContainsKey).ToList();
        foreach (var name in loaded)
        {
            torch.Tensor f = file[name], m = target[name];
            if (!f.shape.SequenceEqual(m.shape))
                problems.Add($"'{name}' is [{string.Join(", ", f.shape)}] in the file but [{string.Join(", ", m.shape)}] in the model");
            else if (!Converts(name, f.dtype, m.dtype))
                problems.Add($"'{name}' is {TorchDtypes.Name(f.dtype)} in the file but {TorchDtypes.Name(m.dtype)} in the model, " +
                    (TorchDtypes.IsFloat(f.dtype) != TorchDtypes.IsFloat(m.dtype)
                        ? "and integer or bool values do not convert to or from floating-point ones"
                        : "and integer and bool tensors load only into their own type"));
        }
        if (problems.Count > 0)
        {
            string hint = loaded.Count == 0 && file.Count > 0 && target.Count > 0
                ? $" None of the file's {file.Count} names is the model's (the file's first is '{file.Keys.First()}', the model's '{target.Keys.First()}')."
                : "";
            throw new DataBlocksException($"The weights in '{path}' do not fit this model: {string.Join("; ", problems.Take(5))}{(problems.Count > 5 ? $"; and {problems.Count - 5} more problems" : "")}.{hint}");
        }
        using (torch.no_grad())
            foreach (var name in loaded) target[name].copy_(file[name]);
        return new WeightsLoadReport(loaded, missing, unexpected);
    }

    /// <summary>
    /// Writes <paramref name="module"/>'s parameters and buffers (its state_dict) to a <c>.safetensors</c> file,
    /// atomically: a reader sees the old file or the new one, never half of one.
    /// </summary>
    /// <param name="module">The model; its tensors may be on any device.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="metadata">Strings to store as the file's <c>__metadata__</c> (none when null).</param>
    /// <exception cref="ArgumentException">A tensor has a type .safetensors files here cannot hold (complex numbers, …).</exception>
    public static void SaveSafetensors(torch.nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        SaveSafetensors(module.state_dict(), path, metadata);
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> to a <c>.safetensors</c> file in their order, atomically. Each tensor is stored
    /// as its values (row-major, little-endian) whatever its strides or device. Types: float32, float64, float16, bfloat16,
    /// int64, int32, int16, int8, uint8, bool.
    /// </summary>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="metadata">Strings to store as the file's <c>__metadata__</c> (none when null).</param>
    /// <exception cref="ArgumentException">A name is empty or <c>__metadata__</c>, or a tensor has a type .safetensors files here cannot hold.</exception>
    public static void SaveSafetensors(IReadOnlyDictionary<string, torch.Tensor> tensors, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafetensorsFormat.Write(path, tensors, metadata);
    }

    private static bool IsCounter(string name) => name == "num_batches_tracked" || name.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    private static bool Converts(string name, torch.ScalarType file, torch.ScalarType model) =>
        file == model
        || (TorchDtypes.IsFloat(file) && TorchDtypes.IsFloat(model))
        || (IsCounter(name) && !TorchDtypes.IsFloat(file) && file != torch.ScalarType.Bool && !TorchDtypes.IsFloat(model) && model != torch.ScalarType.Bool);

    private static string Names(string[] names) =>
        string.Join(", ", names.Take(5).Select(n => $"'{n}'")) + (names.Length > 5 ? $" and {names.Length - 5} more" : "");
}
