using System.Collections.Generic;
using DataBlocks.Generators.Diagnostics;
using DataBlocks.Generators.Model;
using Microsoft.CodeAnalysis;

namespace DataBlocks.Generators.Parsing;

/// <summary>Reads the [Splitter] member: an ISplitter property or method, or a predicate on the item (DB0300–DB0302).</summary>
internal static class SplitterReader
{
    public static SplitterSpec? Read(ParseContext c, List<ISymbol> splitters, ITypeSymbol? itemType)
    {
        if (splitters.Count == 0)
        {
            c.Report(DiagnosticDescriptors.NoSplitter, c.ClassLocation, c.ClassName);
            return null;
        }
        if (splitters.Count > 1)
            c.Report(DiagnosticDescriptors.DuplicateSplitter, c.Location(splitters[1]), c.ClassName, splitters[0].Name, splitters[1].Name);
        var member = splitters[0];

        if (member is IMethodSymbol { IsStatic: true, IsGenericMethod: false, Parameters.Length: 1 } predicate
            && predicate.ReturnType.SpecialType == SpecialType.System_Boolean && predicate.Parameters[0].RefKind == RefKind.None)
        {
            if (itemType is not null && !c.AcceptsItem(predicate.Parameters[0].Type, itemType))
            {
                c.Report(DiagnosticDescriptors.GetterItemMismatch, c.ParameterLocation(predicate), predicate.Name,
                    predicate.Parameters[0].Type.ToDisplayString(), itemType.ToDisplayString(), "");
                return null;
            }
            return new SplitterSpec(SplitterKind.Predicate, predicate.Name);
        }

        var (type, isMethod, problem) = SignatureRules.ValueMember(member);
        if (problem is null && c.IsConvertible(type!, c.Compilation.GetTypeByMetadataName(KnownNames.ISplitter)))
            return new SplitterSpec(isMethod ? SplitterKind.Method : SplitterKind.Property, member.Name);
        if (member is IMethodSymbol { IsStatic: true, IsGenericMethod: false, Parameters.Length: > 0 } method)
            problem = $"takes {ParseContext.Number(method.Parameters.Length)} parameter(s) and returns '{method.ReturnType.ToDisplayString()}'";
        problem ??= isMethod ? $"returns '{type!.ToDisplayString()}'" : $"is a '{type!.ToDisplayString()}'";
        c.Report(DiagnosticDescriptors.BadSplitter, c.Location(member), member.Name, problem);
        return null;
    }
}
