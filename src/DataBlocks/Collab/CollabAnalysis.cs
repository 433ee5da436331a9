using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.Data;
using TorchSharp;

namespace DataBlocks.Collab;

/// <summary>
/// What a collaborative-filtering model learned: item biases ranked (liked beyond their factors), the nearest items by
/// their factors, rating counts, and PCA of the item factors. Extension methods of <see cref="CollabModel{TUser, TItem}"/>,
/// called as its members (<c>films.MostLiked(5)</c>). fastai: the lesson's analysis of <c>learn.model</c>.
/// </summary>
public static class CollabAnalysis
{
    /// <summary>
    /// The items with the highest bias: liked more than their factors explain — good films even for people who do not
    /// usually like their kind. Needs a model with item biases (the dot-product one). fastai:
    /// <c>learn.model.i_bias.weight.squeeze().argsort(descending=True)</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has no item biases (<see cref="EmbeddingNN"/>).</exception>
    public static IReadOnlyList<ItemScore<TItem>> MostLiked<TUser, TItem>(this CollabModel<TUser, TItem> model, int n = 5)
        where TUser : notnull where TItem : notnull => ByBias(model, n, highest: true);

    /// <summary>The items with the lowest bias: disliked even by people their factors should suit. See <see cref="MostLiked"/>.</summary>
    /// <exception cref="InvalidOperationException">The model has no item biases (<see cref="EmbeddingNN"/>).</exception>
    public static IReadOnlyList<ItemScore<TItem>> LeastLiked<TUser, TItem>(this CollabModel<TUser, TItem> model, int n = 5)
        where TUser : notnull where TItem : notnull => ByBias(model, n, highest: false);

    private static IReadOnlyList<ItemScore<TItem>> ByBias<TUser, TItem>(CollabModel<TUser, TItem> model, int n, bool highest)
        where TUser : notnull where TItem : notnull
    {
        float[] values;
        using (var scope = torch.NewDisposeScope())
        {
            var biases = model.Model.ItemBiases ?? throw new InvalidOperationException(
                $"{model.Module.GetType().Name} has no item biases; bias rankings need the dot-product model (EmbeddingDotBias).");
            values = biases.detach().to(torch.float32).cpu().reshape(-1).data<float>().ToArray();
        }
        var order = Enumerable.Range(1, values.Length - 1);
        order = highest ? order.OrderByDescending(i => values[i]) : order.OrderBy(i => values[i]);
        return order.Take(n).Select(i => new ItemScore<TItem>(model.Items.Decode(i), values[i])).ToArray();
    }

    /// <summary>
    /// The <paramref name="n"/> items whose factors point the same way as <paramref name="item"/>'s (cosine similarity,
    /// highest first; the item itself and <c>#na#</c> left out). fastai: <c>nn.CosineSimilarity(dim=1)(movie_factors, movie_factors[idx][None])</c>.
    /// </summary>
    /// <exception cref="DataBlocksException">An unknown item.</exception>
    public static IReadOnlyList<ItemScore<TItem>> Nearest<TUser, TItem>(this CollabModel<TUser, TItem> model, TItem item, int n = 5)
        where TUser : notnull where TItem : notnull
    {
        int index = model.ItemIndex(item, UnknownKeys.Error);
        float[] similarity;
        using (var scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            var factors = model.Model.ItemFactors.detach().to(torch.float32).cpu();
            var target = factors[index].unsqueeze(0);
            similarity = torch.nn.functional.cosine_similarity(factors, target, dim: 1).data<float>().ToArray();
        }
        return Enumerable.Range(1, similarity.Length - 1).Where(i => i != index).OrderByDescending(i => similarity[i]).Take(n)
            .Select(i => new ItemScore<TItem>(model.Items.Decode(i), similarity[i])).ToArray();
    }

    /// <summary>The <paramref name="n"/> most rated items in the data the model was made from.</summary>
    public static IReadOnlyList<TItem> MostRated<TUser, TItem>(this CollabModel<TUser, TItem> model, int n)
        where TUser : notnull where TItem : notnull
    {
        var counts = model.RatingCounts;
        return Enumerable.Range(1, counts.Length - 1).Where(i => counts[i] > 0).OrderByDescending(i => counts[i]).ThenBy(i => i)
            .Take(n).Select(i => model.Items.Decode(i)).ToArray();
    }

    /// <summary>How many ratings <paramref name="item"/> has in the data the model was made from.</summary>
    /// <exception cref="DataBlocksException">An unknown item.</exception>
    public static int RatingCount<TUser, TItem>(this CollabModel<TUser, TItem> model, TItem item)
        where TUser : notnull where TItem : notnull => model.RatingCounts[model.ItemIndex(item, UnknownKeys.Error)];

    /// <summary>
    /// The first <paramref name="components"/> principal components of the factors of <paramref name="items"/> (centred,
    /// projected on the left singular vectors, as fastai's <c>Tensor.pca(k)</c>): one row per item.
    /// </summary>
    /// <exception cref="DataBlocksException">An unknown item.</exception>
    public static float[][] ItemPca<TUser, TItem>(this CollabModel<TUser, TItem> model, IReadOnlyList<TItem> items, int components = 3)
        where TUser : notnull where TItem : notnull
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(components, 1);
        if (items.Count < 2) throw new ArgumentException("PCA needs at least two items.", nameof(items));
        var rows = items.Select(i => (long)model.ItemIndex(i, UnknownKeys.Error)).ToArray();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = model.Model.ItemFactors.detach().cpu().to(torch.float64).index_select(0, torch.tensor(rows));
        long most = Math.Min(x.shape[0], x.shape[1]);
        if (components > most)
            throw new ArgumentOutOfRangeException(nameof(components), components,
                $"PCA of {x.shape[0]} items with {x.shape[1]}-dimensional factors has at most {most} components.");
        x = x - x.mean([0]);
        var (u, _, _) = torch.linalg.svd(x.t(), fullMatrices: false);
        return Predictions.Rows(x.mm(u.narrow(1, 0, components)));
    }
}
