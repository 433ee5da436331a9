using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.BlockTypes;
using DataBlocks.Data;
using DataBlocks.Learning;
using TorchSharp;

namespace DataBlocks.Collab;

/// <summary>A recommended item and the rating the model predicts for it.</summary>
/// <param name="Item">The item.</param>
/// <param name="Rating">The predicted rating.</param>
public sealed record Recommendation<TItem>(TItem Item, float Rating);

/// <summary>An item with a score (a bias, a similarity).</summary>
/// <param name="Item">The item.</param>
/// <param name="Value">The score.</param>
public sealed record ItemScore<TItem>(TItem Item, double Value);

/// <summary>
/// A trained collaborative-filtering model with its vocabularies, for inference: predictions and top-N recommendations.
/// The analysis — item biases (liked beyond their ratings), nearest items by embedding, rating counts, PCA of the item
/// factors — is in <see cref="CollabAnalysis"/>, the labelled PCA scatter in <see cref="CollabPlots"/> (extension
/// methods, called as members); <see cref="Export"/> writes everything inference needs to one file, <see cref="Load"/>
/// reads it back without the data (<see cref="CollabExport"/>). Made from a learner with <see cref="From"/> (sharing its
/// model) or loaded (owning it). fastai: the lesson's analysis of <c>learn.model</c>, <c>learn.export</c> / <c>load_learner</c>.
/// </summary>
/// <typeparam name="TUser">The user key type (the first input's <c>CategoricalBlock</c>).</typeparam>
/// <typeparam name="TItem">The item key type (the second input's <c>CategoricalBlock</c>).</typeparam>
public sealed class CollabModel<TUser, TItem> : IDisposable where TUser : notnull where TItem : notnull
{
    private readonly torch.nn.Module<torch.Tensor, torch.Tensor> _module;
    private readonly bool _owns;
    private readonly int[][] _seen;

    internal CollabModel(torch.nn.Module<torch.Tensor, torch.Tensor> module, bool owns, Vocab<TUser> users, Vocab<TItem> items,
        int[][] seen, int[] ratingCounts, torch.Device device, Learner? learner = null)
    {
        _module = module;
        _owns = owns;
        Learner = learner;
        Model = (ICollabModel)module;
        Users = users;
        Items = items;
        _seen = seen;
        RatingCounts = ratingCounts;
        Device = device;
    }

    /// <summary>The user vocabulary (index 0 = <c>#na#</c>).</summary>
    public Vocab<TUser> Users { get; }

    /// <summary>The item vocabulary (index 0 = <c>#na#</c>).</summary>
    public Vocab<TItem> Items { get; }

    /// <summary>The model (<see cref="EmbeddingDotBias"/> or <see cref="EmbeddingNN"/>).</summary>
    public ICollabModel Model { get; }

    /// <summary>The model as a module.</summary>
    public torch.nn.Module<torch.Tensor, torch.Tensor> Module => _module;

    /// <summary>Where the model runs.</summary>
    public torch.Device Device { get; }

    /// <summary>The model's learner (made <see cref="From"/> one), whose fp32 masters an export writes under mixed precision.</summary>
    internal Learner? Learner { get; }

    /// <summary>What each user rated (item indices, sorted), by user index.</summary>
    internal IReadOnlyList<int[]> Seen => _seen;

    /// <summary>How many ratings each item has, by item index.</summary>
    internal int[] RatingCounts { get; }

    /// <summary>
    /// The model of <paramref name="learn"/> (shared, not copied) with the vocabularies of its loaders and the ratings of
    /// its datasets (both splits: what each user has rated, how often each item was rated).
    /// </summary>
    /// <exception cref="DataBlocksException">The learner's model is not a collab model, or its ids are not of types <typeparamref name="TUser"/> and <typeparamref name="TItem"/>.</exception>
    public static CollabModel<TUser, TItem> From(Learner learn)
    {
        ArgumentNullException.ThrowIfNull(learn);
        if (learn.Model is not ICollabModel)
            throw new DataBlocksException($"The learner's model is a {learn.Model.GetType().Name}, not a collaborative-filtering model (EmbeddingDotBias or EmbeddingNN).");
        var dls = learn.Dls;
        if (dls.NInputs != 2)
            throw new DataBlocksException(
                $"{dls.Datasets.Name} has {dls.NInputs} id inputs; CollabModel serves (user, item) models. A model over more ids trains with the Learner, and predicts with learn.GetPreds.");
        var users = Codec<TUser>(dls, 0, "user");
        var items = Codec<TItem>(dls, 1, "item");
        var data = dls.Datasets;
        var seen = new List<int>[users.Vocab.Count];
        var counts = new int[items.Vocab.Count];
        foreach (int i in data.TrainIndices.Concat(data.ValidIndices))
        {
            using var sample = data.CreateSample(i, 2);
            int u = (int)(long)sample.Fields[0], v = (int)(long)sample.Fields[1];
            if (u == 0 || v == 0) continue;   // a user or item only in validation is #na#: its ratings belong to no known key
            (seen[u] ??= []).Add(v);
            counts[v]++;
        }
        return new CollabModel<TUser, TItem>(learn.Model, owns: false, users.Vocab, items.Vocab,
            seen.Select(s => s is null ? [] : s.Distinct().Order().ToArray()).ToArray(), counts, dls.Device, learn);
    }

    private static CategoricalCodec<T> Codec<T>(DataLoaders dls, int index, string role) where T : notnull
    {
        if (dls.NInputs <= index)
            throw new DataBlocksException($"{dls.Datasets.Name} has {dls.NInputs} input(s); collaborative filtering needs the user first and the item second.");
        return dls.Codecs[index] as CategoricalCodec<T> ?? throw new DataBlocksException(
            $"{dls.Datasets.Name}'s input {index} ({dls.Codecs[index].Field.Member}, the {role}) is {Describe(dls.Codecs[index])}, not CategoricalBlock<{typeof(T).Name}>.");
    }

    private static string Describe(IFieldCodec codec)
    {
        var type = codec.GetType();
        return type.IsGenericType ? $"{type.Name[..type.Name.IndexOf('`')]}<{string.Join(", ", type.GetGenericArguments().Select(a => a.Name))}>" : type.Name;
    }

    // ---- predictions ---------------------------------------------------------------------------------------------

    /// <summary>The predicted rating of <paramref name="user"/> for <paramref name="item"/>.</summary>
    /// <exception cref="DataBlocksException">An unknown key, unless <paramref name="unknown"/> is <see cref="UnknownKeys.UseNa"/>.</exception>
    public float Predict(TUser user, TItem item, UnknownKeys unknown = UnknownKeys.Error) => Predict([(user, item)], unknown)[0];

    /// <summary>The predicted rating of each (user, item) pair, in one pass.</summary>
    /// <exception cref="DataBlocksException">An unknown key, unless <paramref name="unknown"/> is <see cref="UnknownKeys.UseNa"/>.</exception>
    public float[] Predict(IEnumerable<(TUser User, TItem Item)> pairs, UnknownKeys unknown = UnknownKeys.Error)
    {
        var list = pairs.ToArray();
        if (list.Length == 0) return [];
        var indices = new long[list.Length * 2];
        for (int i = 0; i < list.Length; i++)
        {
            indices[2 * i] = UserIndex(list[i].User, unknown);
            indices[2 * i + 1] = ItemIndex(list[i].Item, unknown);
        }
        return Run(indices, list.Length);
    }

    /// <summary>
    /// The <paramref name="n"/> items with the highest predicted rating for <paramref name="user"/>; with
    /// <paramref name="excludeSeen"/>, items the user has already rated are left out.
    /// </summary>
    public IReadOnlyList<Recommendation<TItem>> Recommend(TUser user, int n = 10, bool excludeSeen = true, UnknownKeys unknown = UnknownKeys.Error)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        int u = UserIndex(user, unknown);
        var seen = excludeSeen && u != 0 ? new HashSet<int>(_seen[u]) : [];
        var candidates = Enumerable.Range(1, Items.Count - 1).Where(i => !seen.Contains(i)).ToArray();
        if (candidates.Length == 0) return [];
        var indices = new long[candidates.Length * 2];
        for (int i = 0; i < candidates.Length; i++)
        {
            indices[2 * i] = u;
            indices[2 * i + 1] = candidates[i];
        }
        float[] ratings = Run(indices, candidates.Length);
        return Enumerable.Range(0, candidates.Length).OrderByDescending(i => ratings[i]).ThenBy(i => candidates[i]).Take(n)
            .Select(i => new Recommendation<TItem>(Items.Decode(candidates[i]), ratings[i])).ToArray();
    }

    private float[] Run(long[] indices, int rows)
    {
        bool training = _module.training;
        _module.eval();
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var input = torch.tensor(indices, [rows, 2], device: Device);
            return _module.call(input).to(torch.float32).cpu().data<float>().ToArray();
        }
        finally
        {
            if (training) _module.train();
        }
    }

    internal int UserIndex(TUser user, UnknownKeys unknown) => Index(Users, user, unknown, "user");

    internal int ItemIndex(TItem item, UnknownKeys unknown) => Index(Items, item, unknown, "item");

    private static int Index<T>(Vocab<T> vocab, T key, UnknownKeys unknown, string role) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(key);
        if (vocab.TryGetIndex(key, out int index)) return index;
        if (unknown == UnknownKeys.UseNa) return 0;
        throw new DataBlocksException(
            $"The {role} '{key}' was not in the training split, so the model has no embedding for it. Pass UnknownKeys.UseNa to use the #na# slot (a cold start).");
    }

    /// <summary>
    /// Writes everything inference needs — the architecture, the vocabularies, the weights, what each user has rated and
    /// the rating counts — to <paramref name="path"/>, atomically (<see cref="CollabExport"/>). Keys are written as
    /// invariant text (their <see cref="System.ComponentModel.TypeConverter"/>: numbers, strings, <see cref="Guid"/>s,
    /// enums…). Under mixed precision the learner's fp32 masters are written. Returns the path. fastai: <c>learn.export()</c>.
    /// </summary>
    /// <exception cref="DataBlocksException">A key type that cannot be written as text and read back, or a model that does not describe its architecture.</exception>
    public string Export(string path) => CollabExport.Write(this, path);

    /// <summary>
    /// Reads a model written by <see cref="Export"/>; it runs on <paramref name="device"/> (default:
    /// <see cref="Devices.Default"/>, CUDA when available). fastai: <c>load_learner</c>.
    /// </summary>
    /// <exception cref="DataBlocksException">A missing, truncated, damaged or foreign file, one saved by an older version of
    /// DataBlocks, a model of an unknown architecture, or keys of other types.</exception>
    public static CollabModel<TUser, TItem> Load(string path, torch.Device? device = null) => CollabExport.Read<TUser, TItem>(path, device);

    /// <summary>Disposes the model when it was loaded (a model made <see cref="From"/> a learner belongs to the learner).</summary>
    public void Dispose()
    {
        if (_owns) _module.Dispose();
    }
}
