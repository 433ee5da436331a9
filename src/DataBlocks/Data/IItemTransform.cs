using System;

namespace DataBlocks.Data;

/// <summary>
/// A transform applied to one item on a loader worker thread, before collation (fastai: an <c>item_tfms</c> entry).
/// Transforms run in ascending <see cref="Order"/>; each acts on the fields it understands (by <see cref="FieldKind"/>)
/// and leaves the others alone.
/// </summary>
public interface IItemTransform
{
    /// <summary>Sort key (fastai: <c>Resize</c> is 1).</summary>
    int Order { get; }

    /// <summary>A short description for summaries.</summary>
    string Name { get; }

    /// <summary>Transforms <paramref name="sample"/> in place.</summary>
    void Apply(Sample sample, ItemContext context);
}

/// <summary>What an item transform knows about the current draw.</summary>
/// <param name="IsTraining">True on the training loader (random augmentation), false on validation and test loaders (fastai's <c>split_idx</c> 0 vs 1).</param>
/// <param name="Random">A generator seeded from the loader seed, the epoch and the item's position: the same seed gives the same augmentation, whatever the worker count.</param>
public sealed record ItemContext(bool IsTraining, Random Random);
