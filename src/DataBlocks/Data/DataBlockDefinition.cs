using System;
using System.Collections.Generic;
using System.Linq;

namespace DataBlocks.Data;

/// <summary>
/// The runtime description of a DataBlock: how to list items, the fields (getter + block, inputs first), the splitter
/// and the transforms. The source generator builds one per <c>[Block]</c> class; it can also be built by hand.
/// fastai: <c>DataBlock(blocks, get_items, get_x, get_y, splitter, item_tfms, batch_tfms, n_inp)</c>.
/// </summary>
/// <typeparam name="TItem">The item type.</typeparam>
public sealed class DataBlockDefinition<TItem>
{
    /// <summary>Creates and checks a definition.</summary>
    /// <exception cref="ArgumentException">No fields, no input, or an input after a target.</exception>
    public DataBlockDefinition(string name, IReadOnlyList<FieldDefinition<TItem>> fields, ISplitter? splitter = null,
        IEnumerable<IItemTransform?>? itemTransforms = null, IEnumerable<IBatchTransform?>? batchTransforms = null)
    {
        Name = name;
        Fields = fields.ToArray();
        if (Fields.Count == 0) throw new ArgumentException($"DataBlock {name} has no fields.", nameof(fields));
        NInputs = Fields.TakeWhile(f => f.IsInput).Count();
        if (NInputs == 0) throw new ArgumentException($"DataBlock {name} has no input field.", nameof(fields));
        if (Fields.Skip(NInputs).Any(f => f.IsInput))
            throw new ArgumentException($"DataBlock {name}: inputs must come before targets.", nameof(fields));
        Splitter = splitter;
        ItemTransforms = ItemPipeline.Merge(itemTransforms ?? []);
        BatchTransforms = BatchPipeline.Merge(batchTransforms ?? []);
    }

    /// <summary>The DataBlock's name (the class name), for messages.</summary>
    public string Name { get; }

    /// <summary>Fields in block order, inputs first.</summary>
    public IReadOnlyList<FieldDefinition<TItem>> Fields { get; }

    /// <summary>How many fields are inputs (fastai's <c>n_inp</c>).</summary>
    public int NInputs { get; }

    /// <summary>The splitter; null = a random 20% with no seed (fastai's default).</summary>
    public ISplitter? Splitter { get; }

    /// <summary>The declared item transforms, merged and sorted.</summary>
    public IReadOnlyList<IItemTransform> ItemTransforms { get; }

    /// <summary>The declared batch transforms, merged and sorted.</summary>
    public IReadOnlyList<IBatchTransform> BatchTransforms { get; }
}
