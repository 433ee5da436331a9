using System;
using System.Collections.Generic;
using System.Linq;

namespace DataBlocks.Data;

/// <summary>
/// Item transforms composed the fastai way: the declared ones first, then the extra ones; a later transform of the same
/// type replaces an earlier one; then a stable sort by <see cref="IItemTransform.Order"/>. Nested pipelines are flattened.
/// </summary>
public sealed class ItemPipeline : IItemTransform
{
    /// <summary>Composes <paramref name="transforms"/>.</summary>
    public ItemPipeline(IEnumerable<IItemTransform?> transforms) => Transforms = Merge(transforms);

    /// <summary>The transforms in the order they run.</summary>
    public IReadOnlyList<IItemTransform> Transforms { get; }

    /// <inheritdoc />
    public int Order => Transforms.Count == 0 ? 0 : Transforms[0].Order;

    /// <inheritdoc />
    public string Name => string.Join(" → ", Transforms.Select(t => t.Name));

    /// <inheritdoc />
    public void Apply(Sample sample, ItemContext context)
    {
        foreach (var t in Transforms) t.Apply(sample, context);
    }

    internal static IReadOnlyList<IItemTransform> Merge(IEnumerable<IItemTransform?> transforms) =>
        PipelineMerge.Merge(transforms, t => t is ItemPipeline p ? p.Transforms : null, t => t.Order);
}

/// <summary>Batch transforms composed like <see cref="ItemPipeline"/>.</summary>
public sealed class BatchPipeline : IBatchTransform
{
    /// <summary>Composes <paramref name="transforms"/>.</summary>
    public BatchPipeline(IEnumerable<IBatchTransform?> transforms) => Transforms = Merge(transforms);

    /// <summary>The transforms in the order they run.</summary>
    public IReadOnlyList<IBatchTransform> Transforms { get; }

    /// <inheritdoc />
    public int Order => Transforms.Count == 0 ? 0 : Transforms[0].Order;

    /// <inheritdoc />
    public string Name => string.Join(" → ", Transforms.Select(t => t.Name));

    /// <inheritdoc />
    public void Encode(Batch batch, bool isTraining)
    {
        foreach (var t in Transforms) t.Encode(batch, isTraining);
    }

    /// <inheritdoc />
    public void Decode(Batch batch)
    {
        for (int i = Transforms.Count - 1; i >= 0; i--) Transforms[i].Decode(batch);
    }

    internal static IReadOnlyList<IBatchTransform> Merge(IEnumerable<IBatchTransform?> transforms) =>
        PipelineMerge.Merge(transforms, t => t is BatchPipeline p ? p.Transforms : null, t => t.Order);
}

internal static class PipelineMerge
{
    public static IReadOnlyList<T> Merge<T>(IEnumerable<T?> transforms, Func<T, IReadOnlyList<T>?> children, Func<T, int> order) where T : class
    {
        var flat = new List<T>();
        void Add(T? t)
        {
            if (t is null) return;
            if (children(t) is { } inner) { foreach (var c in inner) Add(c); return; }
            // fastai merges by class: the last instance of a type wins, at the position of the first.
            int existing = flat.FindIndex(x => x.GetType() == t.GetType());
            if (existing >= 0) flat[existing] = t;
            else flat.Add(t);
        }
        foreach (var t in transforms) Add(t);
        return flat.Select((t, i) => (t, i)).OrderBy(p => order(p.t)).ThenBy(p => p.i).Select(p => p.t).ToArray();
    }
}
