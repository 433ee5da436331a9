using System.Linq;
using DataBlocks.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DataBlocks.Generators.Parsing;

/// <summary>The rules on the [Block] class's declaration: partial, not generic, not file-local, its generated names free.</summary>
internal static class DeclarationRules
{
    public static void Check(ParseContext c)
    {
        CheckDeclaration(c);
        CheckReservedNames(c);
    }

    /// <summary>DB0001 (the class part is not generated); DB0002, DB0006, DB0009 (nothing is).</summary>
    private static void CheckDeclaration(ParseContext c)
    {
        if (!c.Syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            c.Report(DiagnosticDescriptors.ClassMustBePartial, c.ClassLocation, c.ClassName);
        if (c.Class.TypeParameters.Length > 0)
            c.Fatal(DiagnosticDescriptors.ClassIsGeneric, c.ClassLocation, c.ClassName, "it is generic");
        if (c.Class.IsFileLocal)
            c.Fatal(DiagnosticDescriptors.ClassIsFileLocal, c.ClassLocation, c.ClassName);
        for (var outer = c.Class.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.TypeParameters.Length > 0)
                c.Fatal(DiagnosticDescriptors.ClassIsGeneric, c.ClassLocation, c.ClassName, $"it is nested in the generic type '{outer.Name}'");
            bool partial = outer.DeclaringSyntaxReferences.All(r =>
                r.GetSyntax(c.CancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial)
                c.Fatal(DiagnosticDescriptors.ContainingTypeNotPartial, c.ClassLocation, c.ClassName, outer.Name);
            if (outer.IsFileLocal)   // only a top-level type carries 'file': a class nested in one is as local
                c.Fatal(DiagnosticDescriptors.ClassIsFileLocal, c.ClassLocation, c.ClassName);
        }
    }

    /// <summary>DB0008: the members the generator adds to the class and the types it adds next to it must be free.</summary>
    private static void CheckReservedNames(ParseContext c)
    {
        foreach (string member in GeneratedNames.ClassMembers)
        {
            var existing = c.Class.GetMembers(member).FirstOrDefault(m => !m.IsImplicitlyDeclared);
            if (existing is not null)
                c.Fatal(DiagnosticDescriptors.NameTaken, c.Location(existing), "Member", member, $"the member '{c.ClassName}.{member}'");
        }
        foreach (string suffix in GeneratedNames.TypeSuffixes)
        {
            string name = c.ClassName + suffix;
            var siblings = c.Class.ContainingType is { } outer ? outer.GetTypeMembers(name) : c.Class.ContainingNamespace.GetTypeMembers(name);
            var clash = siblings.FirstOrDefault(t => t.Arity == 0 && t.DeclaringSyntaxReferences.Length > 0);
            if (clash is not null)
                c.Fatal(DiagnosticDescriptors.NameTaken, c.Location(clash), "Type", name, $"the type '{name}' next to '{c.ClassName}'");
        }
    }
}
