using System.Collections.Generic;

namespace DataBlocks.Data;

/// <summary>
/// A block before setup: what kind of field it makes, and the transforms its field needs by default. See
/// <see cref="IBlock{TValue}"/>. fastai: <c>TransformBlock(item_tfms, batch_tfms)</c>.
/// </summary>
public interface IBlock
{
    /// <summary>A short name for messages, such as <c>CategoryBlock</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Item transforms the block's field needs (fastai: <c>TransformBlock.item_tfms</c>); none unless the block says so.
    /// The loaders merge them before the declared ones: a declared transform of the same type replaces the block's.
    /// </summary>
    IEnumerable<IItemTransform> ItemTransforms => [];

    /// <summary>
    /// Batch transforms the block's field needs (fastai: <c>TransformBlock.batch_tfms</c>); none unless the block says so.
    /// Merged like <see cref="ItemTransforms"/>.
    /// </summary>
    IEnumerable<IBatchTransform> BatchTransforms => [];
}

/// <summary>
/// A block that accepts getter values of type <typeparamref name="TValue"/>. Implement it (with a public parameterless
/// constructor) to plug a user-defined block into <c>[Block(typeof(MyBlock))]</c>. fastai: <c>TransformBlock</c>.
/// </summary>
/// <typeparam name="TValue">What the block's getter returns.</typeparam>
public interface IBlock<in TValue> : IBlock
{
    /// <summary>
    /// Builds the field's codec from the training split (fastai's transform <c>setup</c>): a vocabulary, the number of
    /// outputs. Values of the validation split are never seen here.
    /// </summary>
    /// <param name="field">The field's name and role.</param>
    /// <param name="trainValues">The getter's value for every training item, in split order.</param>
    IFieldCodec<TValue> Setup(FieldInfo field, IReadOnlyList<TValue> trainValues);
}

/// <summary>Describes one field of a DataBlock to its block at setup time.</summary>
/// <param name="Name">The member the generated types use for the field, e.g. <c>Kind</c>.</param>
/// <param name="Member">The getter as <c>Class.Member</c>, for messages.</param>
/// <param name="IsInput">Whether the field is an input (else a target).</param>
/// <param name="DataBlock">The name of the DataBlock class.</param>
public sealed record FieldInfo(string Name, string Member, bool IsInput, string DataBlock);
