using System;

namespace DataBlocks;

/// <summary>
/// Marks a static method that turns an item into the value of an input block (fastai: <c>get_x</c>). It takes one
/// parameter of the item type. With several inputs, give each getter its input index: <c>[GetX(0)]</c>,
/// <c>[GetX(1)]</c>. The generated batch and item types name their members after the method.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class GetXAttribute : Attribute
{
    /// <summary>The getter of the only input, or of the inputs in declaration order.</summary>
    public GetXAttribute() => Index = -1;

    /// <summary>The getter of input number <paramref name="index"/> (0-based).</summary>
    public GetXAttribute(int index) => Index = index;

    /// <summary>The 0-based input index, or -1 when not given.</summary>
    public int Index { get; }
}
