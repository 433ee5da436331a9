using System.Collections.Generic;
using System.Linq;
using DataBlocks.Generators.Diagnostics;
using Microsoft.CodeAnalysis;

namespace DataBlocks.Generators.Parsing;

/// <summary>
/// The getter of each input (or each target) block, by position: null where there is none. <see cref="IsRefused"/>: a
/// getter was refused (and reported) for that position, or for one that could not be told, so a block left without a
/// getter there must not also be reported as missing (DB0203): the user sees one diagnostic per mistake. A refused getter
/// of the right shape still stands at its position (the class has an error, so it is never called).
/// </summary>
internal sealed class GetterSlots(IMethodSymbol?[] getters, bool[] refused, bool refusedUnplaced)
{
    public IMethodSymbol? Getter(int slot) => slot < getters.Length ? getters[slot] : null;

    public bool IsRefused(int slot) => refusedUnplaced || slot < refused.Length && refused[slot];
}

/// <summary>Places the [GetX] or [GetY] getters on their blocks, checking signatures and indices (DB0202, DB0204, DB0205).</summary>
internal static class GetterReader
{
    /// <param name="attribute">"GetX" or "GetY".</param>
    /// <param name="slots">How many input (or target) blocks there are.</param>
    /// <param name="role">"input" or "target", for the messages.</param>
    public static GetterSlots Read(ParseContext c, List<GetterEntry> entries, string attribute, int slots, string role)
    {
        slots = System.Math.Max(0, slots);
        var getters = new IMethodSymbol?[slots];
        var refused = new bool[slots];

        var valid = new HashSet<GetterEntry>();
        foreach (var g in entries)
        {
            string? problem = SignatureRules.OneParameterMethod(g.Method, byRefReturnAllowed: false);
            if (problem is not null) c.Report(DiagnosticDescriptors.BadGetter, c.Location(g.Method), attribute, g.Method.Name, problem);
            else if (g.HasIndex && g.Index < 0)
                c.Report(DiagnosticDescriptors.BadGetterIndex, g.Location, attribute, g.Method.Name, $"has index {g.Index}; indices start at 0");
            else valid.Add(g);
        }
        bool refusedUnplaced = entries.Any(g => !valid.Contains(g) && (!g.HasIndex || g.Index < 0 || g.Index >= slots));

        if (entries.Any(g => g.HasIndex) && entries.FirstOrDefault(g => !g.HasIndex && valid.Contains(g)) is { } unindexed)
        {
            c.Report(DiagnosticDescriptors.BadGetterIndex, unindexed.Location, attribute, unindexed.Method.Name,
                $"has no index while other [{attribute}] getters have one; give every {role} getter its index");
            return new GetterSlots(getters, refused, refusedUnplaced: true);
        }

        if (!entries.Any(g => g.HasIndex))
        {
            // In declaration order; a refused getter still holds its block's place.
            if (entries.Count > slots)
            {
                c.Report(DiagnosticDescriptors.GetterCountMismatch, c.Location(entries[slots].Method), c.ClassName, ParseContext.Number(entries.Count),
                    attribute, ParseContext.Number(slots), role);
                return new GetterSlots(getters, refused, refusedUnplaced: true);
            }
            for (int i = 0; i < entries.Count; i++)
            {
                if (valid.Contains(entries[i]) || Placeable(entries[i])) getters[i] = entries[i].Method;
                refused[i] = !valid.Contains(entries[i]);
            }
            return new GetterSlots(getters, refused, refusedUnplaced: false);
        }

        foreach (var g in entries)
        {
            if (!valid.Contains(g))
            {
                if (g.Index < 0 || g.Index >= slots) continue;
                refused[g.Index] = true;
                if (Placeable(g) && getters[g.Index] is null) getters[g.Index] = g.Method;
                continue;
            }
            if (g.Index >= slots)
            {
                string blocks = slots == 1 ? $"is 1 {role} block" : $"are {ParseContext.Number(slots)} {role} blocks";
                c.Report(DiagnosticDescriptors.BadGetterIndex, g.Location, attribute, g.Method.Name, $"has index {g.Index}, but there {blocks} (indices start at 0)");
                refusedUnplaced = true;
            }
            else if (getters[g.Index] is { } other)
                c.Report(DiagnosticDescriptors.BadGetterIndex, g.Location, attribute, g.Method.Name, $"has index {g.Index}, which '{other.Name}' already has");
            else getters[g.Index] = g.Method;
        }
        return new GetterSlots(getters, refused, refusedUnplaced);
    }

    /// <summary>
    /// A refused getter that still has the shape of one (one parameter, a value returned: only, say, <c>static</c> is
    /// missing) keeps its block's field, so that the generated members named after it exist while the error is fixed.
    /// </summary>
    private static bool Placeable(GetterEntry g) =>
        g.Method is { Parameters.Length: 1, ReturnsVoid: false, IsGenericMethod: false } && (!g.HasIndex || g.Index >= 0);
}
