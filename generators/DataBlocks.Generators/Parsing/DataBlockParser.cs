using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using DataBlocks.Generators.Diagnostics;
using DataBlocks.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DataBlocks.Generators.Parsing;

/// <summary>
/// Reads a [Block] class into a <see cref="DataBlockSpec"/> and the diagnostics found on the way. The parsing stage is
/// the only code that touches symbols and syntax; this class runs its readers (<c>*Reader.cs</c>: what the class
/// declares) and rules (<c>*Rules.cs</c>, <see cref="FieldBinder"/>: what must hold between them) in order. Never throws on
/// user mistakes: every problem becomes a diagnostic.
/// </summary>
internal static class DataBlockParser
{
    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var c = new ParseContext(context, ct);
        var spec = Run(c);
        return new ParseResult(spec, c.Diagnostics.ToEquatableArray());
    }

    /// <summary>
    /// The spec to emit, or null when nothing can be. A class with errors still gets its generated types (with members
    /// that throw) so that the user sees the one DBxxxx error, not a CS0117/CS0246 at every use of them.
    /// </summary>
    private static DataBlockSpec? Run(ParseContext c)
    {
        var version = ((CSharpParseOptions)c.Syntax.SyntaxTree.Options).LanguageVersion;
        if (version < LanguageVersion.CSharp9)
        {
            c.Report(DiagnosticDescriptors.LanguageVersionTooOld, c.ClassLocation, c.ClassName, version.ToDisplayString());
            return null;
        }
        if (c.Class.TypeKind != TypeKind.Class) return null;   // [Block] is class-only: the compiler reports CS0592

        DeclarationRules.Check(c);
        var access = new AccessibilityRules(c);
        var blocks = BlockListReader.Read(c);
        var members = MemberReader.Read(c);
        var (itemType, getItems) = ItemTypeReader.Read(c, members);

        var fields = new List<FieldSpec>();
        if (blocks is not null)
        {
            var inputs = GetterReader.Read(c, members.GetX, "GetX", blocks.NInputs, "input");
            var targets = GetterReader.Read(c, members.GetY, "GetY", blocks.NTargets, "target");
            if (itemType is not null) fields = FieldBinder.Bind(c, access, blocks, itemType, inputs, targets);
        }
        var splitter = SplitterReader.Read(c, members.Splitters, itemType);
        var itemTransforms = TransformsReader.ReadItemTransforms(c, members.ItemTransforms);
        var batchTransforms = TransformsReader.ReadBatchTransforms(c, members.BatchTransforms);

        if (itemType is not null && !access.Check(itemType, "the item type")) itemType = null;
        if (c.IsFatal) return null;

        return new DataBlockSpec(
            HintName(c.Class),
            c.Class.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            ContainingTypes(c.Class),
            c.ClassName,
            c.Class.IsRecord ? DeclarationKind.Record : DeclarationKind.Class,
            BlockCatalog.Name(c.Class),
            DeclaredAccessOf(c.Class),
            itemType is null ? "object" : BlockCatalog.Name(BlockCatalog.NotAnnotated(itemType)),
            ItemTypeKnown: itemType is not null,
            getItems,
            fields.ToEquatableArray(),
            blocks?.NInputs ?? 0,
            blocks?.NTargets ?? 0,
            splitter,
            itemTransforms,
            batchTransforms,
            IsPartial: c.Syntax.Modifiers.Any(SyntaxKind.PartialKeyword),
            Error: ErrorSummary(c));
    }

    /// <summary>What the generated members say when they are called although the class has errors; null when it has none.</summary>
    private static string? ErrorSummary(ParseContext c)
    {
        if (!c.HasErrors) return null;
        var first = c.Diagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        return first is null
            ? $"The [Block] attribute of '{c.ClassName}' does not compile; fix the compiler's error first."
            : $"'{c.ClassName}' has DataBlocks errors, the first being {first.Id}: {first.GetMessage(CultureInfo.InvariantCulture)}";
    }

    /// <summary><c>{Namespace}.{Outer}.{Type}.DataBlock.g.cs</c>: unique and stable.</summary>
    private static string HintName(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        if (type.ContainingNamespace is { IsGlobalNamespace: false } ns) parts.Add(ns.ToDisplayString());
        var chain = new Stack<string>();
        for (var t = type.ContainingType; t is not null; t = t.ContainingType) chain.Push(t.Name);
        parts.AddRange(chain);
        parts.Add(type.Name);
        return string.Join(".", parts) + ".DataBlock.g.cs";
    }

    private static EquatableArray<ContainingTypeSpec> ContainingTypes(INamedTypeSymbol type)
    {
        var chain = new List<ContainingTypeSpec>();
        for (var t = type.ContainingType; t is not null; t = t.ContainingType)
        {
            var kind = t.IsRecord
                ? t.TypeKind == TypeKind.Struct ? DeclarationKind.RecordStruct : DeclarationKind.Record
                : t.TypeKind switch { TypeKind.Struct => DeclarationKind.Struct, TypeKind.Interface => DeclarationKind.Interface, _ => DeclarationKind.Class };
            chain.Insert(0, new ContainingTypeSpec(kind, t.Name));
        }
        return chain.ToEquatableArray();
    }

    private static DeclaredAccess DeclaredAccessOf(INamedTypeSymbol type) => type.DeclaredAccessibility switch
    {
        Accessibility.Public => DeclaredAccess.Public,
        Accessibility.Internal => DeclaredAccess.Internal,
        Accessibility.Private => DeclaredAccess.Private,
        Accessibility.Protected => DeclaredAccess.Protected,
        Accessibility.ProtectedOrInternal => DeclaredAccess.ProtectedInternal,
        Accessibility.ProtectedAndInternal => DeclaredAccess.PrivateProtected,
        _ => type.ContainingType is null ? DeclaredAccess.Internal : DeclaredAccess.Private,
    };
}
