using System;

namespace DataBlocks;

/// <summary>
/// Marks a static property or parameterless static method returning the item transforms of a DataBlock: one
/// <see cref="DataBlocks.Data.IItemTransform"/> or a sequence of them (fastai: <c>item_tfms</c>). They run per
/// item on the loader's worker threads, sorted by <see cref="DataBlocks.Data.IItemTransform.Order"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ItemTransformsAttribute : Attribute
{
}
