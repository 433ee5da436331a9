using System;
using System.Collections.Generic;
using System.Globalization;
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
/// A trained collaborative-filtering model with its vocabularies, for inference and analysis: predictions, top-N
/// recommendations, item biases (liked beyond their ratings), nearest items by embedding, PCA of the item factors with a
/// labelled scatter plot; <see cref="Export"/> writes everything inference needs to one file, <see cref="Load"/> reads it
/// back without the data. Made from a learner with <see cref="From"/> (sharing its model) or loaded (owning it).
/// fastai: the lesson's analysis of <c>learn.model</c>, <c>learn.export</c> / <c>load_learner</c>.
/// </summary>
/// <typeparam name="TUser">The user key type (the first input's <c>CategoricalBlock</c>).</typeparam>
/// <typeparam name="TItem">The item key type (the second input's <c>CategoricalBlock</c>).</typeparam>
public sealed partial class CollabModel<TUser, TItem> : IDisposable where TUser : notnull where TItem : notnull
{
    private const string Magic = "DataBlocks.Collab/1";
    private readonly torch.nn.Module<torch.Tensor, torch.Tensor> _module;
    private readonly bool _owns;
    private readonly Learner? _learner;   // the model's learner (From), whose fp32 masters Export writes under mixed precision
    private readonly int[][] _seen;
    private readonly int[] _ratingCounts;

    private CollabModel(torch.nn.Module<torch.Tensor, torch.Tensor> module, bool owns, Vocab<TUser> users, Vocab<TItem> items,
        int[][] seen, int[] ratingCounts, torch.Device device, Learner? learner = null)
    {
        _module = module;
        _owns = owns;
        _learner = learner;
        Model = (ICollabModel)module;
        Users = users;
        Items = items;
        _seen = seen;
        _ratingCounts = ratingCounts;
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

    private int UserIndex(TUser user, UnknownKeys unknown) => Index(Users, user, unknown, "user");

    private int ItemIndex(TItem item, UnknownKeys unknown) => Index(Items, item, unknown, "item");

    private static int Index<T>(Vocab<T> vocab, T key, UnknownKeys unknown, string role) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(key);
        if (vocab.TryGetIndex(key, out int index)) return index;
        if (unknown == UnknownKeys.UseNa) return 0;
        throw new DataBlocksException(
            $"The {role} '{key}' was not in the training split, so the model has no embedding for it. Pass UnknownKeys.UseNa to use the #na# slot (a cold start).");
    }

    // ---- analysis ------------------------------------------------------------------------------------------------

    /// <summary>
    /// The items with the highest bias: liked more than their factors explain — good films even for people who do not
    /// usually like their kind. Needs the dot-product model. fastai: <c>learn.model.i_bias.weight.squeeze().argsort(descending=True)</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has no item biases (<see cref="EmbeddingNN"/>).</exception>
    public IReadOnlyList<ItemScore<TItem>> MostLiked(int n = 5) => ByBias(n, highest: true);

    /// <summary>The items with the lowest bias: disliked even by people their factors should suit. See <see cref="MostLiked"/>.</summary>
    /// <exception cref="InvalidOperationException">The model has no item biases (<see cref="EmbeddingNN"/>).</exception>
    public IReadOnlyList<ItemScore<TItem>> LeastLiked(int n = 5) => ByBias(n, highest: false);

    private IReadOnlyList<ItemScore<TItem>> ByBias(int n, bool highest)
    {
        if (_module is not EmbeddingDotBias)
            throw new InvalidOperationException($"{_module.GetType().Name} has no item biases; bias rankings need the dot-product model (EmbeddingDotBias).");
        float[] values;
        using (var scope = torch.NewDisposeScope()) values = Floats(Model.ItemBiases!);
        var order = Enumerable.Range(1, values.Length - 1);
        order = highest ? order.OrderByDescending(i => values[i]) : order.OrderBy(i => values[i]);
        return order.Take(n).Select(i => new ItemScore<TItem>(Items.Decode(i), values[i])).ToArray();
    }

    /// <summary>
    /// The <paramref name="n"/> items whose factors point the same way as <paramref name="item"/>'s (cosine similarity,
    /// highest first; the item itself and <c>#na#</c> left out). fastai: <c>nn.CosineSimilarity(dim=1)(movie_factors, movie_factors[idx][None])</c>.
    /// </summary>
    public IReadOnlyList<ItemScore<TItem>> Nearest(TItem item, int n = 5)
    {
        int index = ItemIndex(item, UnknownKeys.Error);
        float[] similarity;
        using (var scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            var factors = Model.ItemFactors.detach().to(torch.float32).cpu();
            var target = factors[index].unsqueeze(0);
            similarity = torch.nn.functional.cosine_similarity(factors, target, dim: 1).data<float>().ToArray();
        }
        return Enumerable.Range(1, similarity.Length - 1).Where(i => i != index).OrderByDescending(i => similarity[i]).Take(n)
            .Select(i => new ItemScore<TItem>(Items.Decode(i), similarity[i])).ToArray();
    }

    /// <summary>The <paramref name="n"/> most rated items in the data the model was made from.</summary>
    public IReadOnlyList<TItem> MostRated(int n) =>
        Enumerable.Range(1, _ratingCounts.Length - 1).Where(i => _ratingCounts[i] > 0).OrderByDescending(i => _ratingCounts[i]).ThenBy(i => i)
            .Take(n).Select(i => Items.Decode(i)).ToArray();

    /// <summary>How many ratings each item has in the data the model was made from.</summary>
    public int RatingCount(TItem item) => _ratingCounts[ItemIndex(item, UnknownKeys.Error)];

    /// <summary>
    /// The first <paramref name="components"/> principal components of the factors of <paramref name="items"/> (centred,
    /// projected on the left singular vectors, as fastai's <c>Tensor.pca(k)</c>): one row per item.
    /// </summary>
    public float[][] ItemPca(IReadOnlyList<TItem> items, int components = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(components, 1);
        if (items.Count < 2) throw new ArgumentException("PCA needs at least two items.", nameof(items));
        var rows = items.Select(i => (long)ItemIndex(i, UnknownKeys.Error)).ToArray();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = Model.ItemFactors.detach().cpu().to(torch.float64).index_select(0, torch.tensor(rows));
        long most = Math.Min(x.shape[0], x.shape[1]);
        if (components > most)
            throw new ArgumentOutOfRangeException(nameof(components), components,
                $"PCA of {x.shape[0]} items with {x.shape[1]}-dimensional factors has at most {most} components.");
        x = x - x.mean([0]);
        var (u, _, _) = torch.linalg.svd(x.t(), fullMatrices: false);
        return Predictions.Rows(x.mm(u.narrow(1, 0, components)));
    }

    /// <summary>
    /// The fastbook plot: PCA of the factors of the <paramref name="pool"/> most rated items, and a scatter of the first
    /// <paramref name="labelled"/> of them on components <paramref name="xComponent"/> and <paramref name="yComponent"/>,
    /// each point labelled with its item. Writes a PNG atomically; returns its path.
    /// </summary>
    public string PlotItemPca(string path, int pool = 1000, int labelled = 50, int xComponent = 0, int yComponent = 2)
    {
        var items = MostRated(pool);
        int components = Math.Max(xComponent, yComponent) + 1;
        if (items.Count < Math.Max(2, components))
            throw new InvalidOperationException(
                $"The plot needs at least {Math.Max(2, components)} rated items for component {components - 1}; there are {items.Count}.");
        var pca = ItemPca(items, components);
        int n = Math.Min(labelled, items.Count);
        var points = Enumerable.Range(0, n)
            .Select(i => new PlotMarker(Convert.ToString(items[i], CultureInfo.InvariantCulture) ?? "", pca[i][xComponent], pca[i][yComponent])).ToArray();
        return Plots.LabelledScatter(path, $"Item factors: PCA of the {items.Count} most rated items",
            $"component {xComponent}", $"component {yComponent}", points);
    }

    private static float[] Floats(torch.Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        return t.detach().to(torch.float32).cpu().reshape(-1).data<float>().ToArray();
    }

    // ---- export ----------------------------------------------------------------------------------------------------

    /// <summary>Disposes the model when it was loaded (a model made <see cref="From"/> a learner belongs to the learner).</summary>
    public void Dispose()
    {
        if (_owns) _module.Dispose();
    }
}
