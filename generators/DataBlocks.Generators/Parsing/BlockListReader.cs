using System.Collections.Generic;
using System.Linq;
using DataBlocks.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DataBlocks.Generators.Parsing;

/// <summary>One entry of [Block(...)]: a built-in block name, or a user-defined block type with its IBlock's TValue.</summary>
internal sealed record BlockEntry(string? BuiltIn, INamedTypeSymbol? Custom, ITypeSymbol? CustomValueType, Location Location)
{
    public string Display => BuiltIn ?? Custom!.Name;
}

/// <summary>The blocks of [Block(...)] and how many are inputs (DB0003, DB0004, DB0005).</summary>
internal sealed record BlockList(IReadOnlyList<BlockEntry> Blocks, int NInputs)
{
    public int NTargets => Blocks.Count - NInputs;
}

/// <summary>Reads the [Block(...)] attribute: its blocks, in order, and <c>NInputs</c>.</summary>
internal static class BlockListReader
{
    private const string NInputsArgument = "NInputs";

    /// <summary>The block list, or null when it is wrong (reported) or does not compile (the compiler reports it).</summary>
    public static BlockList? Read(ParseContext c)
    {
        var attribute = c.BlockAttribute;
        var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(c.CancellationToken) as AttributeSyntax;
        var attributeLocation = attributeSyntax?.GetLocation() ?? c.ClassLocation;
        var args = attributeSyntax?.ArgumentList?.Arguments.Where(a => a.NameEquals is null).ToArray() ?? [];

        // When an argument does not bind (an ambiguous or unknown name), the compiler reports it; say nothing more.
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error)
            || attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Array && !a.IsNull && a.Values.Any(v => v.Kind == TypedConstantKind.Error)))
        {
            c.CompilerError = true;
            return null;
        }

        // [Block] on two partial declarations: the compiler reports the duplicate (CS0579), and each declaration would
        // emit a file of the same name: generate nothing.
        if (c.Class.GetAttributes().Count(a => a.AttributeClass?.ToDisplayString() == KnownNames.BlockAttribute) > 1)
        {
            c.CompilerError = true;
            c.GiveUp();
            return null;
        }

        var values = new List<TypedConstant>();
        foreach (var arg in attribute.ConstructorArguments)
        {
            if (arg.Kind == TypedConstantKind.Array && !arg.IsNull) values.AddRange(arg.Values);
            else values.Add(arg);
        }

        var blocks = new List<BlockEntry>();
        bool ok = true;
        for (int i = 0; i < values.Count; i++)
        {
            c.CancellationToken.ThrowIfCancellationRequested();
            var location = args.Length == values.Count ? args[i].GetLocation() : attributeLocation;
            var entry = Entry(c, values[i], location);
            if (entry is null) ok = false;
            else blocks.Add(entry);
        }

        int declared = 0;
        foreach (var named in attribute.NamedArguments)
            if (named.Key == NInputsArgument && named.Value.Value is int n) declared = n;

        if (!ok) return null;
        if (blocks.Count < 2)
        {
            c.Report(DiagnosticDescriptors.TooFewBlocks, attributeLocation, c.ClassName, ParseContext.Number(blocks.Count));
            return null;
        }
        if (declared != 0 && (declared < 1 || declared > blocks.Count - 1))
        {
            var nSyntax = attributeSyntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.Text == NInputsArgument);
            c.Report(DiagnosticDescriptors.BadNInputs, nSyntax?.GetLocation() ?? attributeLocation, ParseContext.Number(declared), c.ClassName,
                ParseContext.Number(blocks.Count), ParseContext.Number(blocks.Count - 1));
            return null;
        }
        return new BlockList(blocks, declared != 0 ? declared : blocks.Count - 1);
    }

    /// <summary>One argument of [Block(...)]; DB0003 and null when it is not a block.</summary>
    private static BlockEntry? Entry(ParseContext c, TypedConstant value, Location location)
    {
        if (value.Kind == TypedConstantKind.Primitive && value.Value is string name)
        {
            if (IsBuiltIn(name)) return new BlockEntry(name, null, null, location);
            c.Report(DiagnosticDescriptors.UnknownBlock, location, $"\"{name}\"", "");
            return null;
        }
        if (value.Kind == TypedConstantKind.Type && value.Value is INamedTypeSymbol type)
        {
            var (valueType, why) = CustomBlockValueType(type);
            if (valueType is not null) return new BlockEntry(null, type, valueType, location);
            c.Report(DiagnosticDescriptors.UnknownBlock, location, $"typeof({type.Name})", $" ({why})");
            return null;
        }
        c.Report(DiagnosticDescriptors.UnknownBlock, location, value.IsNull ? "null" : value.ToCSharpString(), "");
        return null;
    }

    private static bool IsBuiltIn(string name) => name is KnownNames.ImageBlock or KnownNames.CategoryBlock
        or KnownNames.MultiCategoryBlock or KnownNames.RegressionBlock or KnownNames.PointBlock or KnownNames.CategoricalBlock;

    /// <summary>The TValue of a user-defined block's <c>IBlock&lt;TValue&gt;</c>, or null and why it is not a usable block.</summary>
    private static (ITypeSymbol? ValueType, string Why) CustomBlockValueType(INamedTypeSymbol type)
    {
        if (type.TypeKind != TypeKind.Class) return (null, "it is not a class");
        if (type.IsAbstract) return (null, "it is abstract");
        if (type.IsUnboundGenericType || type.TypeParameters.Length > 0 && type.TypeArguments.Any(a => a is ITypeParameterSymbol))
            return (null, "it is an open generic type");
        var blockInterfaces = type.AllInterfaces.Where(i => BlockCatalog.MetadataName(i.OriginalDefinition) == KnownNames.IBlockOfT).ToArray();
        if (blockInterfaces.Length == 0) return (null, "it does not implement DataBlocks.Data.IBlock<TValue>");
        if (blockInterfaces.Length > 1) return (null, "it implements IBlock<TValue> more than once");
        if (!type.InstanceConstructors.Any(ctor => ctor.Parameters.Length == 0 && ctor.DeclaredAccessibility == Accessibility.Public))
            return (null, "it has no public parameterless constructor");
        return (blockInterfaces[0].TypeArguments[0], "");
    }
}
