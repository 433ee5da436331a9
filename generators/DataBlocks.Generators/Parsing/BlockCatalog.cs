using System.Collections.Generic;
using System.Linq;
using DataBlocks.Generators.Model;
using Microsoft.CodeAnalysis;

namespace DataBlocks.Generators.Parsing;

/// <summary>
/// What each built-in block accepts from its getter, and the kind and element type it binds to (the emitter turns a kind
/// into the runtime block and codec). The only place that knows the block rules; the runtime's blocks must agree
/// (integration tests check that they do).
/// </summary>
internal static class BlockCatalog
{
    /// <summary>The accepted types of each built-in block, as shown in DB0201/DB0203.</summary>
    public static string Accepts(string block) => block switch
    {
        KnownNames.ImageBlock => "a file path (string)",
        KnownNames.CategoryBlock => "a label: string, bool, char, an enum or an integer type",
        KnownNames.MultiCategoryBlock => "a sequence of labels: IEnumerable<T> of string, bool, char, an enum or an integer type",
        KnownNames.RegressionBlock => "a number (float, double, decimal, an integer type) or a sequence of numbers",
        KnownNames.PointBlock => "a sequence of points: IEnumerable<T> of System.Numerics.Vector2, System.Drawing.PointF, System.Drawing.Point, SkiaSharp.SKPoint, (float, float), (double, double) or (int, int)",
        KnownNames.CategoricalBlock => "a key: string, an enum, an integer type, Guid, char, bool, or a type with an order (IComparable<T> or IComparable) and value equality (a struct, a record, or a class that overrides Equals)",
        _ => "its IBlock<TValue> value type",
    };

    /// <summary>
    /// Binds a built-in block to a getter's return type: the block's kind (a number block over a sequence is a regression
    /// vector) and its element type; null when the block does not accept the type.
    /// </summary>
    public static Binding? Bind(string block, ITypeSymbol type)
    {
        type = NotAnnotated(type);
        switch (block)
        {
            case KnownNames.ImageBlock:
                return type.SpecialType == SpecialType.System_String ? new Binding(BlockKind.Image, null) : null;
            case KnownNames.CategoryBlock:
                return IsLabel(type) ? new Binding(BlockKind.Category, Name(type)) : null;
            case KnownNames.MultiCategoryBlock:
                return ElementOf(type, IsLabel) is { } labels ? new Binding(BlockKind.MultiCategory, labels) : null;
            case KnownNames.RegressionBlock:
                if (IsNumber(type)) return new Binding(BlockKind.Regression, Name(type));
                return ElementOf(type, IsNumber) is { } numbers ? new Binding(BlockKind.RegressionVector, numbers) : null;
            case KnownNames.PointBlock:
                return ElementOf(type, IsPoint) is { } points ? new Binding(BlockKind.Point, points) : null;
            case KnownNames.CategoricalBlock:
                return IsKey(type) ? new Binding(BlockKind.Categorical, Name(type)) : null;
            default:
                return null;
        }
    }

    /// <summary>The name of the sequence's element type when the type is a sequence of what <paramref name="accepts"/>.</summary>
    private static string? ElementOf(ITypeSymbol type, System.Func<ITypeSymbol, bool> accepts) =>
        SequenceElement(type) is { } element && accepts(element) ? Name(NotAnnotated(element)) : null;

    /// <summary>The built-in block classes a user-defined block may derive from and keep the kind of.</summary>
    private static readonly (string MetadataName, BlockKind Kind)[] KindedBases =
    [
        (KnownNames.CategoryBlockClass, BlockKind.Category),
        (KnownNames.MultiCategoryBlockClass, BlockKind.MultiCategory),
        (KnownNames.CategoricalBlockClass, BlockKind.Categorical),
    ];

    /// <summary>
    /// Binds a user-defined block. One that derives from a built-in block class (say a <c>CategoryBlock&lt;string&gt;</c> with
    /// a fixed vocabulary) keeps that block's kind, so its vocabulary and predictions are typed too.
    /// </summary>
    public static Binding BindCustom(INamedTypeSymbol block, ITypeSymbol valueType)
    {
        var custom = new CustomBlockSpec(Name(block), Name(NotAnnotated(valueType)));
        for (var t = block.BaseType; t is not null; t = t.BaseType)
        {
            if (t.TypeArguments.Length != 1) continue;
            string metadataName = MetadataName(t.OriginalDefinition);
            foreach (var (baseName, kind) in KindedBases)
                if (metadataName == baseName) return new Binding(kind, Name(NotAnnotated(t.TypeArguments[0])), custom);
        }
        return new Binding(BlockKind.Custom, null, custom);
    }

    /// <summary>A type's metadata name with its namespace (<c>DataBlocks.Data.IBlock`1</c>), as <see cref="KnownNames"/> spells them.</summary>
    public static string MetadataName(INamedTypeSymbol type) =>
        type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + type.MetadataName : type.MetadataName;

    /// <summary>The field name of a block without a getter: after its kind, or a user-defined block's name less "Block".</summary>
    public static string DefaultFieldName(BlockEntry block) => block.BuiltIn switch
    {
        KnownNames.ImageBlock => "Image",
        KnownNames.CategoryBlock => "Label",
        KnownNames.MultiCategoryBlock => "Labels",
        KnownNames.RegressionBlock => "Target",
        KnownNames.PointBlock => "Points",
        KnownNames.CategoricalBlock => "Key",
        _ => block.Custom!.Name.EndsWith("Block", System.StringComparison.Ordinal) && block.Custom.Name.Length > 5
            ? block.Custom.Name.Substring(0, block.Custom.Name.Length - 5)
            : block.Custom.Name,
    };

    /// <summary>The type without a nullable reference annotation (<c>string?</c> → <c>string</c>); value types unchanged.</summary>
    public static ITypeSymbol NotAnnotated(ITypeSymbol type) =>
        type.IsReferenceType ? type.WithNullableAnnotation(NullableAnnotation.NotAnnotated) : type;

    /// <summary>The fully qualified name with <c>global::</c> and nullable annotations kept.</summary>
    public static string Name(ITypeSymbol type) => type.ToDisplayString(FullyQualified);

    /// <summary>Fully qualified, <c>global::</c>, with nullable reference annotations.</summary>
    public static readonly SymbolDisplayFormat FullyQualified = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>The T of the single <c>IEnumerable&lt;T&gt;</c> the type is or implements (string excluded).</summary>
    public static ITypeSymbol? SequenceElement(ITypeSymbol type)
    {
        if (type.SpecialType == SpecialType.System_String) return null;
        if (type is IArrayTypeSymbol { Rank: 1 } array) return array.ElementType;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Collections_Generic_IEnumerable_T } named)
            return named.TypeArguments[0];
        var candidates = type.AllInterfaces
            .Where(i => i.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T)
            .Select(i => i.TypeArguments[0])
            .ToArray();
        return candidates.Length == 1 ? candidates[0] : null;
    }

    private static bool IsInteger(ITypeSymbol t) => t.SpecialType is SpecialType.System_SByte or SpecialType.System_Byte
        or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32
        or SpecialType.System_Int64 or SpecialType.System_UInt64;

    private static bool IsLabel(ITypeSymbol t) =>
        t.SpecialType is SpecialType.System_String or SpecialType.System_Boolean or SpecialType.System_Char
        || t.TypeKind == TypeKind.Enum || IsInteger(t);

    private static bool IsNumber(ITypeSymbol t) =>
        IsInteger(t) || t.SpecialType is SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal
        || t.ToDisplayString() == "System.Half";

    private static bool IsKey(ITypeSymbol t)
    {
        if (IsLabel(t)) return true;
        if (t.ToDisplayString() == "System.Guid") return true;
        if (t.TypeKind is TypeKind.Interface or TypeKind.TypeParameter or TypeKind.Error) return false;
        return IsOrdered(t) && (t.IsValueType || HasValueEquality(t));
    }

    /// <summary>
    /// What the runtime's vocabulary sorts by: the non-generic <c>IComparable</c>, or <c>IComparable&lt;T&gt;</c> of the
    /// type itself or, for a reference type (the interface is contravariant), of a base class or an interface it implements.
    /// </summary>
    private static bool IsOrdered(ITypeSymbol t)
    {
        ITypeSymbol[] comparableAs = t.IsReferenceType ? SelfAndBases(t).Concat(t.AllInterfaces).ToArray() : [t];
        return t.AllInterfaces.Any(i =>
            i.ToDisplayString() == "System.IComparable"
            || i.OriginalDefinition.ToDisplayString() == "System.IComparable<T>" && comparableAs.Any(b => SymbolEqualityComparer.Default.Equals(i.TypeArguments[0], b)));
    }

    /// <summary>
    /// Keys are found in a hash table: a class needs equality of its own (<c>IEquatable&lt;T&gt;</c> of itself, or an
    /// <c>Equals(object)</c> override, as records have), or each row's instance would be a key of its own.
    /// </summary>
    private static bool HasValueEquality(ITypeSymbol t) =>
        t.AllInterfaces.Any(i => i.OriginalDefinition.ToDisplayString() == "System.IEquatable<T>" && SymbolEqualityComparer.Default.Equals(i.TypeArguments[0], t))
        || SelfAndBases(t).TakeWhile(b => b.SpecialType != SpecialType.System_Object).Any(b => b.GetMembers("Equals").OfType<IMethodSymbol>()
            .Any(m => m.IsOverride && m.Parameters.Length == 1 && m.Parameters[0].Type.SpecialType == SpecialType.System_Object));

    private static IEnumerable<ITypeSymbol> SelfAndBases(ITypeSymbol t)
    {
        for (ITypeSymbol? b = t; b is not null; b = b.BaseType) yield return b;
    }

    private static bool IsPoint(ITypeSymbol t)
    {
        string name = t.ToDisplayString();
        if (name is "System.Numerics.Vector2" or "System.Drawing.PointF" or "System.Drawing.Point" or "SkiaSharp.SKPoint") return true;
        if (t is INamedTypeSymbol { IsTupleType: true } tuple && tuple.TupleElements.Length == 2)
        {
            var a = tuple.TupleElements[0].Type.SpecialType;
            var b = tuple.TupleElements[1].Type.SpecialType;
            return a == b && a is SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Int32;
        }
        return false;
    }

    /// <summary>A block bound to a type: its kind, element type, and for a user-defined block its type.</summary>
    public sealed record Binding(BlockKind Kind, string? ElementType, CustomBlockSpec? Custom = null);
}
