using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using TorchSharp;

namespace DataBlocks.Serialization;

/// <summary>
/// Reads a state_dict from what <c>torch.save(model.state_dict(), f)</c> writes: a zip archive whose
/// <c>&lt;folder&gt;/data.pkl</c> is a pickle (read by <see cref="RestrictedUnpickler"/>) that names its storages by
/// persistent id <c>('storage', torch.FloatStorage, key, location, numel)</c>, each storage's bytes in
/// <c>&lt;folder&gt;/data/&lt;key&gt;</c>, little-endian.
/// </summary>
internal static class PthReader
{
    /// <summary>The most bytes a data.pkl may have; a state_dict's is a few hundred bytes per tensor.</summary>
    private const long MaxPickleBytes = 1L << 30;

    /// <summary>
    /// Reads every tensor of the state_dict in <paramref name="stream"/> (a zip archive) into new contiguous CPU tensors,
    /// in the pickle's order. Tensors that shared a storage in the file are separate copies with the same values.
    /// </summary>
    /// <exception cref="DataBlocksException">The archive is damaged or not a state_dict, or names something a state_dict does not need.</exception>
    public static OrderedDictionary<string, torch.Tensor> Read(string path, Stream stream)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new DataBlocksException($"'{path}' is truncated or damaged: it starts like a zip archive (a .pth file) but its directory cannot be read ({e.Message}).", e);
        }
        using (zip)
        {
            string prefix = Folder(path, zip);
            CheckByteOrder(path, zip, prefix);
            var pickleEntry = zip.GetEntry(prefix + "data.pkl")!;
            byte[] pickle = ReadEntry(path, pickleEntry, MaxPickleBytes);
            var storages = new Dictionary<string, PyStorage>(StringComparer.Ordinal);
            object root = RestrictedUnpickler.Load(pickle, $"'{path}'", pid => Storage(pid, storages));
            var tensors = Tensors(path, root);
            CheckExtents(path, zip, prefix, tensors);
            return Materialise(path, zip, prefix, tensors);
        }
    }

    // torch.save puts every entry in one folder (the file's stem in PyTorch 1.x, "archive" in 2.x).
    private static string Folder(string path, ZipArchive zip)
    {
        var pickles = zip.Entries.Where(e => e.FullName == "data.pkl" || (e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)).ToList();
        if (pickles.Count == 1) return pickles[0].FullName[..^"data.pkl".Length];
        if (pickles.Count > 1)
            throw new DataBlocksException($"'{path}' holds {pickles.Count} pickles ({string.Join(", ", pickles.Select(p => p.FullName))}); a file torch.save wrote holds one.");
        if (zip.Entries.Any(e => e.FullName.EndsWith("constants.pkl", StringComparison.Ordinal) || e.FullName.Contains("/code/", StringComparison.Ordinal)))
            throw new DataBlocksException($"'{path}' is a TorchScript archive (torch.jit.save), not a state_dict: save the model's state_dict with torch.save(model.state_dict(), f) and load that.");
        throw new DataBlocksException($"'{path}' is a zip archive but not a PyTorch weights file: it has no data.pkl.");
    }

    // PyTorch ≥ 2.1 records the byte order of the machine that saved; older files are little-endian (x86, ARM).
    private static void CheckByteOrder(string path, ZipArchive zip, string prefix)
    {
        var entry = zip.GetEntry(prefix + "byteorder");
        if (entry is null) return;
        string order = Encoding.ASCII.GetString(ReadEntry(path, entry, 64)).Trim();
        if (order == "little") return;
        throw new DataBlocksException(order == "big"
            ? $"'{path}' was saved on a big-endian machine (its byteorder entry says 'big'); DataBlocks reads little-endian files only. " +
              "Re-save it on a little-endian machine: torch.save(torch.load(f), f2)."
            : $"'{path}' has a byteorder entry of '{order}', neither 'little' nor 'big'.");
    }

    // Persistent ids: ('storage', storage type, key, location, numel). One key is one storage, however many tensors view it.
    private static object Storage(PyTuple pid, Dictionary<string, PyStorage> storages)
    {
        if (pid.Count != 5 || pid[0] is not "storage")
            throw new DataBlocksException($"a persistent id is not ('storage', type, key, location, numel) but a tuple of {pid.Count} starting with a {PyKeyComparer.TypeName(pid.Count > 0 ? pid[0] : null)}");
        if (pid[1] is not PyGlobal { Kind: PyGlobalKind.Storage } type)
            throw new DataBlocksException($"a storage's type is {PyKeyComparer.TypeName(pid[1])}, not a torch storage type");
        if (pid[2] is not string key || pid[3] is not string location || pid[4] is not long numel || numel < 0)
            throw new DataBlocksException("a storage's key, location or size is not a string, a string and a non-negative int");
        if (storages.TryGetValue(key, out var seen))
        {
            if (seen.DType != type.DType || seen.Numel != numel)
                throw new DataBlocksException($"storage '{key}' is named as {TorchDtypes.Name(seen.DType)} × {seen.Numel} and as {TorchDtypes.Name(type.DType)} × {numel}");
            return seen;
        }
        return storages[key] = new PyStorage(key, type.DType, numel, location);
    }

    private static List<(string Name, PyTensor Tensor)> Tensors(string path, object root)
    {
        if (root is PyTensor)
            throw new DataBlocksException($"'{path}' holds a single tensor (torch.save(tensor)), not a state_dict; save a dict of named tensors: torch.save(model.state_dict(), f).");
        if (root is not PyDict dict)
            throw new DataBlocksException($"'{path}' holds a {PyKeyComparer.TypeName(root)}, not a state_dict (a dict of named tensors, as torch.save(model.state_dict(), f) writes).");
        var tensors = new List<(string, PyTensor)>(dict.Count);
        foreach (var (key, value) in dict.Entries)
        {
            if (key is not string name)
                throw new DataBlocksException($"'{path}' has a key that is a {PyKeyComparer.TypeName(key)}, not a str: a state_dict names its tensors with strings.");
            tensors.Add((name, value switch
            {
                PyTensor t => t,
                PyDict => throw new DataBlocksException(
                    $"'{path}': entry '{name}' is a dict, not a tensor: the file looks like a checkpoint that holds a state_dict among other things. " +
                    $"Save that state_dict on its own: torch.save(checkpoint['{name}'], f)."),
                _ => throw new DataBlocksException($"'{path}': entry '{name}' is a {PyKeyComparer.TypeName(value)}, not a tensor; a state_dict holds only tensors."),
            }));
        }
        return tensors;
    }

    // Every check on sizes before one byte of tensor data is read: each view within its storage, each storage in the archive.
    private static void CheckExtents(string path, ZipArchive zip, string prefix, List<(string Name, PyTensor Tensor)> tensors)
    {
        foreach (var (name, t) in tensors)
        {
            if (t.Size.Length != t.Stride.Length)
                throw new DataBlocksException($"'{path}': tensor '{name}' has {t.Size.Length} sizes but {t.Stride.Length} strides.");
            if (t.Offset < 0 || t.Size.Any(s => s < 0) || t.Stride.Any(s => s < 0))
                throw new DataBlocksException($"'{path}': tensor '{name}' has a negative size, stride or storage offset.");
            long needed = Extent(t);
            if (needed > t.Storage.Numel)
                throw new DataBlocksException(
                    $"'{path}': tensor '{name}' [{string.Join(", ", t.Size)}] at storage offset {t.Offset} needs {needed} elements of storage " +
                    $"'{t.Storage.Key}', which holds {t.Storage.Numel}: the file is damaged.");
        }
        foreach (var storage in tensors.Select(t => t.Tensor.Storage).Distinct())
        {
            string names = string.Join(", ", tensors.Where(t => t.Tensor.Storage == storage).Select(t => $"'{t.Name}'").Take(3));
            var entry = zip.GetEntry(prefix + "data/" + storage.Key)
                ?? throw new DataBlocksException($"'{path}' lacks the data of storage '{storage.Key}' (entry {prefix}data/{storage.Key}), which tensor {names} views: the file is damaged.");
            long bytes = checked(storage.Numel * TorchDtypes.Size(storage.DType));
            if (entry.Length < bytes)
                throw new DataBlocksException(
                    $"'{path}': storage '{storage.Key}' of tensor {names} holds {entry.Length} bytes, but its {storage.Numel} {TorchDtypes.Name(storage.DType)} " +
                    $"elements take {bytes}: the file is truncated or damaged.");
        }
    }

    /// <summary>How many elements of its storage a view reaches: offset + Σ (size − 1) · stride + 1, or 0 when it is empty.</summary>
    internal static long Extent(PyTensor t)
    {
        if (t.Size.Any(s => s == 0)) return 0;
        long last = t.Offset;
        for (int i = 0; i < t.Size.Length; i++) last = checked(last + (t.Size[i] - 1) * t.Stride[i]);
        return checked(last + 1);
    }

    private static OrderedDictionary<string, torch.Tensor> Materialise(string path, ZipArchive zip, string prefix, List<(string Name, PyTensor Tensor)> tensors)
    {
        var result = new torch.Tensor?[tensors.Count];
        try
        {
            foreach (var storage in tensors.Select(t => t.Tensor.Storage).Distinct())
            {
                using var scope = torch.NewDisposeScope();
                var data = torch.empty(storage.Numel, storage.DType);
                var entry = zip.GetEntry(prefix + "data/" + storage.Key)!;
                try
                {
                    using var s = entry.Open();
                    TensorBytes.ReadInto(s, data);
                }
                catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
                {
                    throw new DataBlocksException($"'{path}': the data of storage '{storage.Key}' is truncated or damaged ({e.Message}).", e);
                }
                for (int i = 0; i < tensors.Count; i++)
                {
                    var t = tensors[i].Tensor;
                    if (t.Storage != storage) continue;
                    var copy = torch.empty(t.Size, storage.DType);
                    if (copy.numel() > 0) copy.copy_(data.as_strided(t.Size, t.Stride, t.Offset));
                    result[i] = copy.MoveToOuterDisposeScope();
                }
            }
        }
        catch
        {
            foreach (var t in result) t?.Dispose();
            throw;
        }
        var dict = new OrderedDictionary<string, torch.Tensor>(tensors.Count, StringComparer.Ordinal);
        for (int i = 0; i < tensors.Count; i++) dict.Add(tensors[i].Name, result[i]!);    // the pickle's dict keys are unique
        return dict;
    }

    private static byte[] ReadEntry(string path, ZipArchiveEntry entry, long max)
    {
        if (entry.Length > max)
            throw new DataBlocksException($"'{path}': entry {entry.FullName} is {entry.Length} bytes, more than the {max} DataBlocks reads.");
        var bytes = new byte[entry.Length];
        try
        {
            using var s = entry.Open();
            s.ReadExactly(bytes);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
        {
            throw new DataBlocksException($"'{path}': entry {entry.FullName} is truncated or damaged ({e.Message}).", e);
        }
        return bytes;
    }
}
