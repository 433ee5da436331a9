using System.Collections.Generic;
using System.Linq;
using DataBlocks.Generators.Diagnostics;
using DataBlocks.Generators.Model;
using Microsoft.CodeAnalysis;

namespace DataBlocks.Generators.Parsing;

/// <summary>
/// Binds each block to its getter (or to the item itself): the rules between a block, its getter and the item type
/// (DB0200, DB0201, DB0203, DB0206, DB0208), and the field names the generated types use.
/// </summary>
internal static class FieldBinder
{
    /// <summary>The fields of the blocks that bind, in block order; an error is reported for each block that does not.</summary>
    public static List<FieldSpec> Bind(ParseContext c, AccessibilityRules access, BlockList list, ITypeSymbol itemType, GetterSlots inputs,
        GetterSlots targets)
    {
        var fields = new List<FieldSpec>();
        var names = new HashSet<string>();
        bool ok = true;
        for (int b = 0; b < list.Blocks.Count; b++)
        {
            c.CancellationToken.ThrowIfCancellationRequested();
            var field = BindOne(c, access, list, b, itemType, inputs, targets, names);
            if (field is null) ok = false;
            else fields.Add(field);
        }

        if (ok && fields.Any(f => f.Kind == BlockKind.Point) && !fields.Any(f => f.IsInput && f.Kind == BlockKind.Image))
            c.Report(DiagnosticDescriptors.PointsWithoutImage, c.ClassLocation, c.ClassName);
        return fields;
    }

    private static FieldSpec? BindOne(ParseContext c, AccessibilityRules access, BlockList list, int b, ITypeSymbol itemType, GetterSlots inputs,
        GetterSlots targets, HashSet<string> names)
    {
        var block = list.Blocks[b];
        bool isInput = b < list.NInputs;
        int slot = isInput ? b : b - list.NInputs;
        var slots = isInput ? inputs : targets;
        var getter = slots.Getter(slot);
        string attribute = isInput ? "GetX" : "GetY";

        if (getter is not null && !c.AcceptsItem(getter.Parameters[0].Type, itemType))
        {
            bool hasGetItems = c.Class.GetMembers().OfType<IMethodSymbol>()
                .Any(m => m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.GetItemsAttribute));
            c.Report(DiagnosticDescriptors.GetterItemMismatch, c.ParameterLocation(getter), getter.Name, getter.Parameters[0].Type.ToDisplayString(),
                itemType.ToDisplayString(), hasGetItems ? " ([GetItems] returns them)" : "");
            return null;
        }

        if (!isInput && block.BuiltIn == KnownNames.CategoricalBlock)
        {
            // Named before the getter is bound: DB0203/DB0201 would otherwise ask for a key getter that cannot work.
            c.Report(DiagnosticDescriptors.CategoricalTarget, block.Location, c.ClassName, block.Display);
            return null;
        }
        var valueType = BlockCatalog.NotAnnotated(getter?.ReturnType ?? itemType);
        var binding = block.BuiltIn is { } builtIn
            ? BlockCatalog.Bind(builtIn, valueType)
            // Identity, reference or boxing only: the value is stored as the getter returned it and read back as such.
            : c.IsConvertible(valueType, block.CustomValueType as INamedTypeSymbol) || SymbolEqualityComparer.Default.Equals(valueType, block.CustomValueType)
                ? BlockCatalog.BindCustom(block.Custom!, block.CustomValueType!)
                : null;

        if (binding is null)
        {
            string accepts = block.BuiltIn is { } name ? BlockCatalog.Accepts(name) : $"'{block.CustomValueType!.ToDisplayString()}'";
            if (getter is not null)
                c.Report(DiagnosticDescriptors.GetterTypeNotAccepted, c.ReturnTypeLocation(getter), $"[{attribute}] '{getter.Name}'",
                    getter.ReturnType.ToDisplayString(), block.Display, accepts);
            else if (!slots.IsRefused(slot))   // a refused getter is the one diagnostic the user needs
                c.Report(DiagnosticDescriptors.MissingGetter, block.Location, isInput ? "Input" : "Target", ParseContext.Number(slot), block.Display,
                    c.ClassName, attribute, itemType.ToDisplayString(), accepts);
            return null;
        }
        if (!isInput && binding.Kind == BlockKind.Categorical)   // a custom block over CategoricalBlock<T>
        {
            c.Report(DiagnosticDescriptors.CategoricalTarget, block.Location, c.ClassName, block.Display);
            return null;
        }
        if (getter is not null && !access.Check(getter.ReturnType, $"the value of '{getter.Name}'")) return null;

        string fieldName = UniqueName(c, getter?.Name ?? BlockCatalog.DefaultFieldName(block), names);
        return new FieldSpec(b, fieldName, getter?.Name, isInput, binding.Kind, block.Display, BlockCatalog.Name(valueType),
            BlockCatalog.SequenceElement(valueType) is not null, binding.ElementType, binding.Custom);
    }

    /// <summary>A field name free in every generated type: a clash gets <see cref="GeneratedNames.ClashSuffix"/>, a repeat a number.</summary>
    private static string UniqueName(ParseContext c, string name, HashSet<string> used)
    {
        // A generated type cannot have a member named like itself (CS0542), nor one named like its own members.
        bool clashesWithType = GeneratedNames.TypeSuffixes.Any(s => name == c.ClassName + s);
        if (GeneratedNames.ReservedFieldNames.Contains(name) || clashesWithType) name += GeneratedNames.ClashSuffix;
        string candidate = name;
        for (int i = 2; !used.Add(candidate); i++) candidate = name + ParseContext.Number(i);
        return candidate;
    }
}
