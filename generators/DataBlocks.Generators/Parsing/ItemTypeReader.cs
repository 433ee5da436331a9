using System.Linq;
using DataBlocks.Generators.Diagnostics;
using DataBlocks.Generators.Model;
using Microsoft.CodeAnalysis;

namespace DataBlocks.Generators.Parsing;

/// <summary>
/// Reads the item type: what [GetItems] returns a sequence of, or else the parameter type of the first getter (then the
/// factories take the items themselves, DB0103). DB0100–DB0102.
/// </summary>
internal static class ItemTypeReader
{
    /// <summary>The item type (null when unknown: reported) and the [GetItems] method the factories call.</summary>
    public static (ITypeSymbol? ItemType, GetItemsSpec? GetItems) Read(ParseContext c, Members members)
    {
        if (members.GetItems.Count > 1)
            c.Report(DiagnosticDescriptors.DuplicateGetItems, c.Location(members.GetItems[1]), c.ClassName, members.GetItems[0].Name, members.GetItems[1].Name);
        if (members.GetItems.Count >= 1)
        {
            var m = members.GetItems[0];
            string? problem = SignatureRules.OneParameterMethod(m, byRefReturnAllowed: true);
            ITypeSymbol? element = problem is null ? BlockCatalog.SequenceElement(m.ReturnType) : null;
            if (problem is null && element is null)
                problem = $"returns '{m.ReturnType.ToDisplayString()}', which is not an IEnumerable<TItem>";
            // The factories take [GetItems]'s parameter even when the method is wrong, so that calls of them still bind.
            var spec = m.Parameters.Length == 1
                ? new GetItemsSpec(m.Name, BlockCatalog.Name(m.Parameters[0].Type), SourceParameterName(m.Parameters[0].Name))
                : null;
            if (problem is not null) c.Report(DiagnosticDescriptors.BadGetItems, c.Location(m), m.Name, problem);
            return (element, spec);
        }

        var firstGetter = members.GetX.Concat(members.GetY).Select(g => g.Method).FirstOrDefault(g => g.Parameters.Length == 1);
        if (firstGetter is null)
        {
            c.Report(DiagnosticDescriptors.NoItemType, c.ClassLocation, c.ClassName);
            return (null, null);
        }
        var inferred = firstGetter.Parameters[0].Type;
        c.Report(DiagnosticDescriptors.FactoriesTakeItems, c.ClassLocation, c.ClassName, inferred.ToDisplayString());
        return (inferred, null);
    }

    /// <summary>[GetItems]'s parameter name, unless another parameter of the factories has it.</summary>
    private static string SourceParameterName(string name) =>
        GeneratedNames.FactoryParameters.Contains(name) ? GeneratedNames.SourceParameter : name;
}
