using System;

namespace DataBlocks;

/// <summary>
/// Marks the static method that lists the items of a DataBlock: one parameter (the source, e.g. a folder) and a
/// return type implementing <c>IEnumerable&lt;TItem&gt;</c>. fastai: <c>get_items</c>.
/// </summary>
/// <remarks>Without a <c>[GetItems]</c> member the generated factories take the items themselves.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class GetItemsAttribute : Attribute
{
}
