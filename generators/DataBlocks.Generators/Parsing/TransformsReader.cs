using System.Collections.Generic;
using DataBlocks.Generators.Diagnostics;
using DataBlocks.Generators.Model;
using Microsoft.CodeAnalysis;

namespace DataBlocks.Generators.Parsing;

/// <summary>Reads an [ItemTransforms] or [BatchTransforms] member: one transform of its kind or a sequence of them (DB0400–DB0402).</summary>
internal static class TransformsReader
{
    private const string Item = "ItemTransforms";
    private const string Batch = "BatchTransforms";

    public static TransformMemberSpec? ReadItemTransforms(ParseContext c, List<ISymbol> members) =>
        Read(c, members, Item, KnownNames.IItemTransform, KnownNames.IBatchTransform, Batch);

    public static TransformMemberSpec? ReadBatchTransforms(ParseContext c, List<ISymbol> members) =>
        Read(c, members, Batch, KnownNames.IBatchTransform, KnownNames.IItemTransform, Item);

    private static TransformMemberSpec? Read(ParseContext c, List<ISymbol> members, string attribute, string kindInterface, string otherInterface,
        string otherAttribute)
    {
        if (members.Count == 0) return null;
        if (members.Count > 1)
            c.Report(DiagnosticDescriptors.DuplicateTransforms, c.Location(members[1]), c.ClassName, attribute, members[0].Name, members[1].Name);
        var member = members[0];
        var (type, isMethod, problem) = SignatureRules.ValueMember(member);
        if (problem is not null || type is null)
        {
            c.Report(DiagnosticDescriptors.BadTransformMember, c.Location(member), attribute, member.Name, problem ?? "has no getter");
            return null;
        }

        var wanted = c.Compilation.GetTypeByMetadataName(kindInterface);
        var other = c.Compilation.GetTypeByMetadataName(otherInterface);
        if (c.IsConvertible(type, wanted)) return new TransformMemberSpec(member.Name, isMethod, IsSequence: false);
        var element = BlockCatalog.SequenceElement(type);
        if (element is not null && c.IsConvertible(element, wanted)) return new TransformMemberSpec(member.Name, isMethod, IsSequence: true);

        string kind = kindInterface == KnownNames.IItemTransform ? "an item transform (IItemTransform)" : "a batch transform (IBatchTransform)";
        string why = c.IsConvertible(type, other) || element is not null && c.IsConvertible(element, other)
            ? $"which is a {(otherAttribute == Batch ? "batch" : "item")} transform; return it from a [{otherAttribute}] member instead"
            : $"which is not {kind} or a sequence of them";
        c.Report(DiagnosticDescriptors.WrongTransformKind, c.Location(member), attribute, member.Name, type.ToDisplayString(), why);
        return null;
    }
}
