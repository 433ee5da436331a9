using System.Collections.Generic;
using System.Linq;
using DataBlocks.Generators.Diagnostics;
using Microsoft.CodeAnalysis;

namespace DataBlocks.Generators.Parsing;

/// <summary>
/// DB0007: the generated types sit next to the [Block] class with its accessibility, so every type they use (the item
/// type, each getter's value type) must be visible there and at least as accessible as the class.
/// </summary>
internal sealed class AccessibilityRules
{
    private readonly ParseContext _c;
    private readonly (int Level, bool InAssembly, bool InHierarchy) _classAccess;

    public AccessibilityRules(ParseContext c)
    {
        _c = c;
        _classAccess = Access(Types(c.Class).ToArray());
    }

    /// <summary>Whether the generated types may use <paramref name="type"/>; DB0007 when they may not.</summary>
    public bool Check(ITypeSymbol type, string role)
    {
        ISymbol within = (ISymbol?)_c.Class.ContainingType ?? _c.Class.ContainingAssembly;
        var parts = Types(type).ToArray();
        bool visible = _c.Compilation.IsSymbolAccessibleWithin(type, within) && !parts.Any(t => t.IsFileLocal);
        // Internal and protected do not order: an internal type is narrower than a protected class (seen from derived
        // types in other assemblies), and a protected type than an internal class.
        var access = Access(parts);
        bool consistent = access.Level >= _classAccess.Level
                          && (!access.InAssembly || _classAccess.InAssembly) && (!access.InHierarchy || _classAccess.InHierarchy)
                          && parts.All(ConfinesClass);
        if (visible && consistent) return true;
        _c.Report(DiagnosticDescriptors.InaccessibleType, _c.ClassLocation, type.ToDisplayString(), role, _c.ClassName);
        return false;
    }

    /// <summary>A type, its containing types, and (for arrays and generics) the types it is made of.</summary>
    private static IEnumerable<INamedTypeSymbol> Types(ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                foreach (var t in Types(array.ElementType)) yield return t;
                break;
            case INamedTypeSymbol named:
                for (INamedTypeSymbol? t = named; t is not null; t = t.ContainingType) yield return t;
                foreach (var arg in named.TypeArguments)
                    foreach (var t in Types(arg)) yield return t;
                break;
        }
    }

    /// <summary>
    /// A protected type is seen in its container's hierarchy only (a protected internal one too, outside its assembly):
    /// the class must be confined there too, by a private or protected member of its own chain whose container is that
    /// container or derives from it (being nested in it is not enough: a public class nested in it has derived classes
    /// anywhere).
    /// </summary>
    private bool ConfinesClass(INamedTypeSymbol type)
    {
        if (type.ContainingType is not { } scope) return true;
        // A protected internal type is also seen in its whole assembly: enough when the class is confined to it.
        bool hierarchyOnly = type.DeclaredAccessibility is Accessibility.Protected or Accessibility.ProtectedAndInternal
                             || type.DeclaredAccessibility == Accessibility.ProtectedOrInternal && !_classAccess.InAssembly;
        if (!hierarchyOnly) return true;
        for (var member = _c.Class; member is not null; member = member.ContainingType)
        {
            if (member.DeclaredAccessibility is not (Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)) continue;
            for (var b = member.ContainingType; b is not null; b = b.BaseType)
                if (SymbolEqualityComparer.Default.Equals(b.OriginalDefinition, scope.OriginalDefinition)) return true;
        }
        return false;
    }

    /// <summary>
    /// What the accessibility of a type's parts (<see cref="Types"/>) allows: its level (the narrowest part's), and
    /// whether it keeps the type inside its assembly, and inside a class hierarchy.
    /// </summary>
    private static (int Level, bool InAssembly, bool InHierarchy) Access(INamedTypeSymbol[] parts)
    {
        int level = 4;
        bool inAssembly = false, inHierarchy = false;
        foreach (var t in parts)
        {
            level = System.Math.Min(level, Level(t.DeclaredAccessibility));
            inAssembly |= t.DeclaredAccessibility is Accessibility.Internal or Accessibility.ProtectedAndInternal or Accessibility.Private;
            inHierarchy |= t.DeclaredAccessibility is Accessibility.Protected or Accessibility.ProtectedAndInternal or Accessibility.Private;
        }
        return (level, inAssembly, inHierarchy);
    }

    /// <summary>Effective accessibility as a number: public 4, protected internal 3, internal/protected 2, private protected 1, private 0.</summary>
    private static int Level(Accessibility a) => a switch
    {
        Accessibility.Public => 4,
        Accessibility.ProtectedOrInternal => 3,
        Accessibility.Internal or Accessibility.Protected => 2,
        Accessibility.ProtectedAndInternal => 1,
        Accessibility.NotApplicable => 4,
        _ => 0,
    };
}
