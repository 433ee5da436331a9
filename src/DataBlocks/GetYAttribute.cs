using System;

namespace DataBlocks;

/// <summary>
/// Marks a static method that turns an item into the value of a target block (fastai: <c>get_y</c>). It takes one
/// parameter of the item type. With several targets, give each getter its target index: <c>[GetY(0)]</c>,
/// <c>[GetY(1)]</c>. The generated batch, item and prediction types name their members after the method.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class GetYAttribute : Attribute
{
    /// <summary>The getter of the only target, or of the targets in declaration order.</summary>
    public GetYAttribute() => Index = -1;

    /// <summary>The getter of target number <paramref name="index"/> (0-based).</summary>
    public GetYAttribute(int index) => Index = index;

    /// <summary>The 0-based target index, or -1 when not given.</summary>
    public int Index { get; }
}
