using System;

namespace DataBlocks;

/// <summary>
/// Marks how a DataBlock splits its items into training and validation sets (fastai: <c>splitter</c>). Either a
/// static property or parameterless static method returning <see cref="DataBlocks.Data.ISplitter"/>, or a static
/// method taking one item and returning <c>bool</c> (<c>true</c> = validation, fastai's <c>FuncSplitter</c>).
/// </summary>
/// <remarks>Without a splitter, 20% of the items chosen at random with no fixed seed are validation (fastai's default).</remarks>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SplitterAttribute : Attribute
{
}
