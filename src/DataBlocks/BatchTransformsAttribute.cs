using System;

namespace DataBlocks;

/// <summary>
/// Marks a static property or parameterless static method returning the batch transforms of a DataBlock: one
/// <see cref="DataBlocks.Data.IBatchTransform"/> or a sequence of them (fastai: <c>batch_tfms</c>). They run on
/// whole batches on the loader's device, sorted by <see cref="DataBlocks.Data.IBatchTransform.Order"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class BatchTransformsAttribute : Attribute
{
}
