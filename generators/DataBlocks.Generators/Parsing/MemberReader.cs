using System.Collections.Generic;
using System.Linq;
using DataBlocks.Generators.Diagnostics;
using Microsoft.CodeAnalysis;

namespace DataBlocks.Generators.Parsing;

/// <summary>A [GetX]/[GetY] method with its explicit index (<see cref="MemberReader.NoIndex"/> when it has none).</summary>
internal sealed record GetterEntry(IMethodSymbol Method, int Index, Location Location)
{
    public bool HasIndex => Index != MemberReader.NoIndex;
}

/// <summary>The class's members that carry a DataBlocks attribute, in declaration order, by attribute.</summary>
internal sealed class Members
{
    public List<IMethodSymbol> GetItems { get; } = new();

    public List<GetterEntry> GetX { get; } = new();

    public List<GetterEntry> GetY { get; } = new();

    public List<ISymbol> Splitters { get; } = new();

    public List<ISymbol> ItemTransforms { get; } = new();

    public List<ISymbol> BatchTransforms { get; } = new();
}

/// <summary>
/// Collects the members with [GetItems], [GetX], [GetY], [Splitter], [ItemTransforms] and [BatchTransforms] (read
/// inside the class's transform: they mean nothing without it), and reports such members in base classes (DB0207).
/// </summary>
internal static class MemberReader
{
    /// <summary>The index of a getter without one (any int can be written, so this one cannot mean "0").</summary>
    public const int NoIndex = int.MinValue;

    private static readonly string[] MemberAttributes =
    [
        KnownNames.GetItemsAttribute, KnownNames.GetXAttribute, KnownNames.GetYAttribute, KnownNames.SplitterAttribute,
        KnownNames.ItemTransformsAttribute, KnownNames.BatchTransformsAttribute,
    ];

    public static Members Read(ParseContext c)
    {
        var members = new Members();
        foreach (var member in c.Class.GetMembers())
        {
            c.CancellationToken.ThrowIfCancellationRequested();
            foreach (var attribute in member.GetAttributes())
            {
                switch (attribute.AttributeClass?.ToDisplayString())
                {
                    case KnownNames.GetItemsAttribute when member is IMethodSymbol m:
                        members.GetItems.Add(m);
                        break;
                    case KnownNames.GetXAttribute when member is IMethodSymbol m:
                        members.GetX.Add(new GetterEntry(m, IndexOf(attribute), c.AttributeLocation(attribute, member)));
                        break;
                    case KnownNames.GetYAttribute when member is IMethodSymbol m:
                        members.GetY.Add(new GetterEntry(m, IndexOf(attribute), c.AttributeLocation(attribute, member)));
                        break;
                    case KnownNames.SplitterAttribute:
                        members.Splitters.Add(member);
                        break;
                    case KnownNames.ItemTransformsAttribute:
                        members.ItemTransforms.Add(member);
                        break;
                    case KnownNames.BatchTransformsAttribute:
                        members.BatchTransforms.Add(member);
                        break;
                }
            }
        }
        CheckBaseClassMembers(c);
        return members;
    }

    /// <summary>Getter, splitter and transform attributes in base classes are not read: say so instead of ignoring them.</summary>
    private static void CheckBaseClassMembers(ParseContext c)
    {
        for (var type = c.Class.BaseType; type is not null && type.SpecialType != SpecialType.System_Object; type = type.BaseType)
        {
            foreach (var member in type.GetMembers())
            {
                var attribute = member.GetAttributes().FirstOrDefault(a => MemberAttributes.Contains(a.AttributeClass?.ToDisplayString()));
                if (attribute is null) continue;
                string shortName = attribute.AttributeClass!.Name.Replace("Attribute", "");
                c.Report(DiagnosticDescriptors.InheritedMember, c.ClassLocation, shortName, $"{type.Name}.{member.Name}", c.ClassName);
                return;
            }
        }
    }

    /// <summary>The explicit index (which may be invalid, e.g. negative), or <see cref="NoIndex"/>.</summary>
    private static int IndexOf(AttributeData attribute) =>
        attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int i ? i : NoIndex;
}
