using System;
using System.Collections.Generic;

namespace DataBlocks;

/// <summary>
/// Declares a DataBlock: the blocks of each sample, inputs first, targets last. The class must be <c>partial</c>;
/// the DataBlocks source generator adds typed <c>Datasets(...)</c> and <c>DataLoaders(...)</c> factories to it.
/// </summary>
/// <remarks>
/// <para>Built-in blocks are the constants of <see cref="DataBlocks.Blocks"/> (bring them in with
/// <c>using static DataBlocks.Blocks;</c>): <c>[Block(ImageBlock, CategoryBlock)]</c>. A user-defined block is a
/// type implementing <see cref="DataBlocks.Data.IBlock{TValue}"/> with a public parameterless constructor:
/// <c>[Block(ImageBlock, typeof(MyBlock))]</c>.</para>
/// <para>fastai: <c>DataBlock(blocks=..., n_inp=...)</c>.</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class BlockAttribute : Attribute
{
    /// <summary>Declares the blocks, inputs first.</summary>
    /// <param name="blocks">Constants of <see cref="DataBlocks.Blocks"/> or <c>typeof</c> a user-defined block.</param>
    public BlockAttribute(params object[] blocks) => Blocks = blocks;

    /// <summary>The blocks as written in the attribute.</summary>
    public IReadOnlyList<object> Blocks { get; }

    /// <summary>
    /// How many of the blocks are inputs (fastai's <c>n_inp</c>). Zero (the default) means every block but the
    /// last, and at least one: <c>max(1, blocks - 1)</c>.
    /// </summary>
    public int NInputs { get; set; }
}
