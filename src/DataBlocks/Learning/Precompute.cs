using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Hashing;
using System.Linq;
using System.Text;
using DataBlocks.Data;
using TorchSharp;
using TorchSharp.Modules;
using DataLoader = DataBlocks.Data.DataLoader;

namespace DataBlocks.Learning;

/// <summary>Where <see cref="Precompute.SetPrecompute"/> keeps the body's activations.</summary>
public sealed record PrecomputeOptions
{
    /// <summary>
    /// A folder for the activations on disk, one file per key (body weights, items, transforms), found again by a later
    /// learner or process with the same key; null (the default) keeps them in memory only. The file is written atomically;
    /// one that cannot be read is computed again and replaced.
    /// </summary>
    public string? Directory { get; init; }
}

/// <summary>
/// fastai 0.7's <c>precompute</c>: with the body of a <c>Sequential(body, head…)</c> model frozen, its activations are
/// computed once per item, and the fits that follow train the head on them — no image is decoded and the body does not
/// run. fastai: <c>learn.precompute = True</c> / <c>False</c> (<c>ConvLearner.pretrained(arch, data, precompute=True)</c>).
/// </summary>
public static class Precompute
{
    /// <summary>
    /// Turns precompute on or off. On: the body (the model's first child) runs once, in evaluation mode without gradients,
    /// over every training and validation item with the <b>validation</b> loader's transforms (no augmentation, as in the
    /// course: the same cached activation serves every epoch); its outputs and the targets are kept on the loaders'
    /// device, and every later fit, <c>LrFind</c> and validation over <see cref="Learner.Dls"/> reads its batches from
    /// them: the same items in the same order as the loaders would give (same seed, same epoch), only the inputs are the
    /// body's activations and the model's later children are the whole forward pass. Off: the loaders and the whole
    /// model again, with the head as trained. The activations are keyed by the body's weights and buffers, the items of
    /// both splits and the validation transforms: turning it on again with the same key reuses them (in memory, or from
    /// <see cref="PrecomputeOptions.Directory"/>).
    /// </summary>
    /// <remarks>
    /// The body's normalisation layers do not train while precomputing (fastai's <c>train_bn</c> cannot apply to a body
    /// that does not run); their running statistics are the ones the activations were computed with. Memory: items ×
    /// the body's output size × 4 bytes (ResNet-18 at 224 px: 100 KB per item). Loaders made by <c>TestDataLoader</c>, and
    /// any other loader, still run the whole model.
    /// </remarks>
    /// <param name="learn">The learner; its model is <c>Sequential(body, head…)</c> (what <c>VisionLearner.Create</c> makes).</param>
    /// <param name="on">Whether to precompute.</param>
    /// <param name="options">Where the activations are kept; null = in memory.</param>
    /// <exception cref="DataBlocksException">The model is not a body followed by a head, or the body is not frozen (a parameter other than a normalisation layer's trains).</exception>
    public static void SetPrecompute(this Learner learn, bool on, PrecomputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(learn);
        if (!on)
        {
            learn.Precomputed?.Dispose();
            learn.Precomputed = null;
            return;
        }
        var (body, head) = Parts(learn.Model);
        CheckFrozen(body);
        string key = Key(learn.Dls, body);
        if (learn.Precomputed is { } current && current.Key == key && ReferenceEquals(current.Dls, learn.Dls)) return;
        var computed = PrecomputedActivations.LoadOrCompute(learn, body, head, key, options ?? new PrecomputeOptions());
        learn.Precomputed?.Dispose();
        learn.Precomputed = computed;
    }

    /// <summary>Whether <see cref="SetPrecompute"/> is on. fastai: <c>learn.precompute</c>.</summary>
    public static bool IsPrecomputing(this Learner learn) => learn.Precomputed is not null;

    /// <summary>The body (first child) and the head (every later child) of <paramref name="model"/>.</summary>
    internal static (torch.nn.Module<torch.Tensor, torch.Tensor> Body, torch.nn.Module<torch.Tensor, torch.Tensor>[] Head) Parts(torch.nn.Module model)
    {
        var children = model.named_children().Select(c => c.module).ToArray();
        if (model is not Sequential || children.Length < 2 || children.Any(c => c is not torch.nn.Module<torch.Tensor, torch.Tensor>))
            throw new DataBlocksException(
                $"Precompute caches what a model's body puts out and trains its head on it: the model must be Sequential(body, head…), " +
                $"as VisionLearner.Create makes; this one is a {model.GetType().Name} with {children.Length} child(ren).");
        var typed = children.Cast<torch.nn.Module<torch.Tensor, torch.Tensor>>().ToArray();
        return (typed[0], typed[1..]);
    }

    /// <summary>
    /// Refuses a body whose parameters train (but for normalisation layers, which <c>train_bn</c> leaves trainable), naming
    /// the first by its key in the model (the body is child "0").
    /// </summary>
    internal static void CheckFrozen(torch.nn.Module body)
    {
        var norm = ModelParameters.Norm(body);
        var training = body.named_parameters().Where(p => p.parameter.requires_grad && !norm.Contains(p.parameter)).Select(p => "0." + p.name).ToArray();
        if (training.Length > 0)
            throw new DataBlocksException(
                $"Precompute needs a frozen body, but {training.Length} of its parameters train ('{training[0]}'…): call Freeze() first, " +
                "or turn precompute off (SetPrecompute(false)) before Unfreeze().");
    }

    /// <summary>
    /// The key of the activations: the body's parameters and buffers (names, shapes, dtypes and bytes), every item of both
    /// splits in order and the validation loader's transforms, hashed (XxHash128, hex).
    /// </summary>
    internal static string Key(DataLoaders dls, torch.nn.Module body)
    {
        var hash = new XxHash128();
        void Add(string s) => hash.Append(Encoding.UTF8.GetBytes(s + "\n"));
        foreach (var (name, t) in body.state_dict())
        {
            Add($"{name} {t.dtype} [{string.Join(",", t.shape)}]");
            using var scope = torch.NewDisposeScope();
            hash.Append(t.detach().cpu().contiguous().bytes);
        }
        foreach (var split in new[] { dls.Datasets.TrainIndices, dls.Datasets.ValidIndices })
        {
            Add($"split {split.Count}");
            foreach (int i in split) Add(dls.Datasets.ItemName(i));
        }
        foreach (var t in dls.Valid.ItemTransforms) Add($"item {t.Name}");
        foreach (var t in dls.Valid.BatchTransforms) Add($"batch {t.Name}");
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}

/// <summary>
/// The body's activations of both splits with their targets, and the batches a fit reads from them
/// (see <see cref="Precompute.SetPrecompute"/>).
/// </summary>
internal sealed class PrecomputedActivations : IDisposable
{
    private const string Magic = "DataBlocks precomputed activations 1";
    private readonly torch.nn.Module<torch.Tensor, torch.Tensor>[] _head;
    private readonly Split _train;
    private readonly Split _valid;

    private PrecomputedActivations(string key, DataLoaders dls, torch.nn.Module<torch.Tensor, torch.Tensor>[] head, Split train, Split valid)
    {
        Key = key;
        Dls = dls;
        _head = head;
        _train = train;
        _valid = valid;
    }

    /// <summary>What the activations were computed from (<see cref="Precompute.Key"/>).</summary>
    public string Key { get; }

    /// <summary>The loaders whose batches are replaced.</summary>
    public DataLoaders Dls { get; }

    /// <summary>The activations of the training items, in training-index order (for tests and benchmarks).</summary>
    internal torch.Tensor TrainActivations => _train.Activations;

    /// <summary>Computes the activations, or reads them from the options' folder when a file of this key is there.</summary>
    public static PrecomputedActivations LoadOrCompute(Learner learn, torch.nn.Module<torch.Tensor, torch.Tensor> body,
        torch.nn.Module<torch.Tensor, torch.Tensor>[] head, string key, PrecomputeOptions options)
    {
        var dls = learn.Dls;
        string? file = options.Directory is { } dir ? Path.Combine(dir, $"{key}.activations") : null;
        if (file is not null && File.Exists(file))
        {
            try
            {
                using var stream = File.OpenRead(file);
                using var r = new BinaryReader(stream);
                if (r.ReadString() != Magic || r.ReadString() != key) throw new InvalidDataException("not an activation file of this key");
                var train = Split.Read(r, dls.Device);
                try
                {
                    var valid = Split.Read(r, dls.Device);
                    learn.Options.Output?.WriteLine($"Precompute: read the activations of {train.Count + valid.Count} items from '{file}'.");
                    return new PrecomputedActivations(key, dls, head, train, valid);
                }
                catch
                {
                    train.Dispose();
                    throw;
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or ArgumentException or FormatException)
            {
                learn.Options.Output?.WriteLine($"Precompute: '{file}' could not be read ({e.Message}); computing the activations again.");
            }
        }

        var trainSplit = Split.Compute(body, dls, dls.Datasets.TrainIndices);
        Split validSplit;
        try
        {
            validSplit = Split.Compute(body, dls, dls.Datasets.ValidIndices);
        }
        catch
        {
            trainSplit.Dispose();
            throw;
        }
        var result = new PrecomputedActivations(key, dls, head, trainSplit, validSplit);
        if (file is not null)
            AtomicFile.Write(file, stream =>
            {
                using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
                w.Write(Magic);
                w.Write(key);
                trainSplit.Write(w);
                validSplit.Write(w);
            });
        return result;
    }

    /// <summary>
    /// The batches of one epoch of <paramref name="loader"/> read from the activations, advancing the loader's epoch as
    /// iterating it would; null when <paramref name="loader"/> is not one of <see cref="Dls"/>'s two.
    /// </summary>
    public IEnumerator<Batch>? Batches(DataLoader loader)
    {
        var split = ReferenceEquals(loader, Dls.Train) ? _train : ReferenceEquals(loader, Dls.Valid) ? _valid : null;
        if (split is null) return null;
        int epoch = loader.Epoch;
        var batches = loader.Batches(epoch);
        loader.SetEpoch(epoch + 1);
        return Iterate(split, batches, loader.Datasets).GetEnumerator();
    }

    /// <summary>The head's forward pass on a batch of activations.</summary>
    public torch.Tensor Forward(torch.Tensor activations)
    {
        var x = activations;
        foreach (var m in _head) x = m.call(x);
        return x;
    }

    public void Dispose()
    {
        _train.Dispose();
        _valid.Dispose();
    }

    private static IEnumerable<Batch> Iterate(Split split, int[][] batches, IDatasets datasets)
    {
        foreach (var indices in batches)
        {
            Batch batch;
            using (var scope = torch.NewDisposeScope())
            {
                var rows = new long[indices.Length];
                for (int i = 0; i < rows.Length; i++) rows[i] = split.Row(indices[i]);
                var index = torch.tensor(rows, device: split.Activations.device);
                var fields = new torch.Tensor[1 + split.Targets.Length];
                fields[0] = split.Activations.index_select(0, index).DetachFromDisposeScope();
                for (int f = 0; f < split.Targets.Length; f++) fields[f + 1] = split.Targets[f].index_select(0, index).DetachFromDisposeScope();
                var items = new string[indices.Length];
                for (int i = 0; i < items.Length; i++) items[i] = datasets.ItemName(indices[i]);
                batch = new Batch(fields, 1, datasets.Codecs, (int[])indices.Clone(), items) { HoldsActivations = true };
            }
            try
            {
                yield return batch;
            }
            finally
            {
                batch.Dispose();
            }
        }
    }

    /// <summary>One split's activations and targets, row <c>k</c> for the split's <c>k</c>-th dataset index.</summary>
    private sealed class Split : IDisposable
    {
        private readonly Dictionary<int, int> _rows;

        private Split(int[] indices, torch.Tensor activations, torch.Tensor[] targets)
        {
            Indices = indices;
            Activations = activations;
            Targets = targets;
            _rows = new Dictionary<int, int>(indices.Length);
            for (int k = 0; k < indices.Length; k++) _rows[indices[k]] = k;
        }

        public int[] Indices { get; }
        public torch.Tensor Activations { get; }
        public torch.Tensor[] Targets { get; }
        public int Count => Indices.Length;

        public int Row(int datasetIndex) => _rows[datasetIndex];

        /// <summary>Runs the body over <paramref name="indices"/> with the validation loader's settings, unshuffled.</summary>
        public static Split Compute(torch.nn.Module<torch.Tensor, torch.Tensor> body, DataLoaders dls, IReadOnlyList<int> indices)
        {
            var settings = dls.Valid.Settings;
            var loader = new DataLoader(dls.Datasets, indices, settings with { Shuffle = false, DropLast = false });
            var acts = new List<torch.Tensor>();
            var targets = new List<torch.Tensor>[Math.Max(0, dls.Codecs.Count - dls.NInputs)];
            for (int f = 0; f < targets.Length; f++) targets[f] = [];
            var order = new List<int>(indices.Count);
            bool training = body.training;
            var dtype = body.parameters().FirstOrDefault()?.dtype ?? torch.float32;
            try
            {
                body.eval();
                using var noGrad = torch.no_grad();
                foreach (var batch in loader)
                {
                    using var scope = torch.NewDisposeScope();
                    if (batch.NInputs != 1)
                        throw new DataBlocksException($"Precompute runs the body on one input; {dls.Datasets.Name} has {batch.NInputs}.");
                    var x = batch.Inputs[0];
                    if (x.is_floating_point() && x.dtype != dtype) x = x.to(dtype);
                    acts.Add(body.call(x).to(torch.float32).DetachFromDisposeScope());
                    for (int f = 0; f < targets.Length; f++) targets[f].Add(batch.Targets[f].clone().DetachFromDisposeScope());
                    order.AddRange(batch.Indices);
                }
                if (acts.Count == 0)
                    throw new DataBlocksException($"Precompute: {dls.Datasets.Name} has a split with no items.");
                return new Split([.. order], torch.cat(acts, 0), [.. targets.Select(t => torch.cat(t, 0))]);
            }
            finally
            {
                body.train(training);
                foreach (var t in acts) t.Dispose();
                foreach (var list in targets) foreach (var t in list) t.Dispose();
                loader.Dispose();
            }
        }

        public void Write(BinaryWriter w)
        {
            w.Write(Indices.Length);
            foreach (int i in Indices) w.Write(i);
            using var scope = torch.NewDisposeScope();
            Activations.cpu().contiguous().Save(w);   // a channels-last body puts out channels-last activations
            w.Write(Targets.Length);
            foreach (var t in Targets) t.cpu().contiguous().Save(w);
        }

        public static Split Read(BinaryReader r, torch.Device device)
        {
            int n = r.ReadInt32();
            if (n < 0) throw new InvalidDataException("negative item count");
            var indices = new int[n];
            for (int i = 0; i < n; i++) indices[i] = r.ReadInt32();
            var loaded = new List<torch.Tensor>();
            try
            {
                using (var scope = torch.NewDisposeScope())
                    loaded.Add(TensorExtensionMethods.Load(r).to(device).DetachFromDisposeScope());
                int nTargets = r.ReadInt32();
                for (int f = 0; f < nTargets; f++)
                    using (var scope = torch.NewDisposeScope())
                        loaded.Add(TensorExtensionMethods.Load(r).to(device).DetachFromDisposeScope());
                if (loaded.Any(t => t.shape.Length == 0 || t.shape[0] != n)) throw new InvalidDataException("the tensors do not have a row per item");
                return new Split(indices, loaded[0], [.. loaded.Skip(1)]);
            }
            catch
            {
                foreach (var t in loaded) t.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Activations.Dispose();
            foreach (var t in Targets) t.Dispose();
        }
    }
}
