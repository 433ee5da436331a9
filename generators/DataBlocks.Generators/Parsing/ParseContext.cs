using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DataBlocks.Generators.Parsing;

/// <summary>
/// What every reader and rule of one [Block] class shares: the class's symbol and syntax, the compilation, the
/// diagnostics found so far, and where to report them. The parsing stage is the only one that touches symbols.
/// </summary>
internal sealed class ParseContext
{
    private readonly List<Diagnostic> _diagnostics = new();

    public ParseContext(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        Class = (INamedTypeSymbol)context.TargetSymbol;
        Syntax = (TypeDeclarationSyntax)context.TargetNode;
        Compilation = context.SemanticModel.Compilation;
        BlockAttribute = context.Attributes[0];
        CancellationToken = ct;
    }

    public INamedTypeSymbol Class { get; }

    public TypeDeclarationSyntax Syntax { get; }

    public Compilation Compilation { get; }

    /// <summary>The [Block] attribute this run is for.</summary>
    public AttributeData BlockAttribute { get; }

    public CancellationToken CancellationToken { get; }

    public string ClassName => Class.Name;

    public IReadOnlyList<Diagnostic> Diagnostics => _diagnostics;

    /// <summary>The compiler reports an error in the [Block] attribute itself (one we must not pile onto).</summary>
    public bool CompilerError { get; set; }

    /// <summary>No code can be generated at all: generated code would declare other types or clash with the user's.</summary>
    public bool IsFatal { get; private set; }

    /// <summary>An error was reported, or the compiler reports one in the attribute.</summary>
    public bool HasErrors => CompilerError || _diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);

    public void Report(DiagnosticDescriptor descriptor, Location location, params object[] args) =>
        _diagnostics.Add(Diagnostic.Create(descriptor, location, args));

    /// <summary>Reports an error after which nothing can be generated for the class.</summary>
    public void Fatal(DiagnosticDescriptor descriptor, Location location, params object[] args)
    {
        Report(descriptor, location, args);
        IsFatal = true;
    }

    /// <summary>Nothing at all is generated for the class (and no diagnostic is due: the compiler reports it).</summary>
    public void GiveUp() => IsFatal = true;

    // ---- locations ----------------------------------------------------------------------------------------------------

    /// <summary>The class's identifier: where a diagnostic about the class as a whole goes.</summary>
    public Location ClassLocation => Syntax.Identifier.GetLocation();

    /// <summary>A member's identifier (the class's when the member has no syntax).</summary>
    public Location Location(ISymbol symbol)
    {
        foreach (var reference in symbol.DeclaringSyntaxReferences)
        {
            var node = reference.GetSyntax(CancellationToken);
            return node switch
            {
                MethodDeclarationSyntax m => m.Identifier.GetLocation(),
                PropertyDeclarationSyntax p => p.Identifier.GetLocation(),
                BaseTypeDeclarationSyntax t => t.Identifier.GetLocation(),
                VariableDeclaratorSyntax v => v.Identifier.GetLocation(),
                _ => node.GetLocation(),
            };
        }
        return ClassLocation;
    }

    /// <summary>The type of a method's first parameter.</summary>
    public Location ParameterLocation(IMethodSymbol method) =>
        method.Parameters[0].DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(CancellationToken) is ParameterSyntax p
            ? (p.Type ?? (SyntaxNode)p).GetLocation()
            : Location(method);

    public Location ReturnTypeLocation(IMethodSymbol method) =>
        method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(CancellationToken) is MethodDeclarationSyntax m
            ? m.ReturnType.GetLocation()
            : Location(method);

    /// <summary>Where an attribute is applied (the member's identifier when it has no syntax).</summary>
    public Location AttributeLocation(AttributeData attribute, ISymbol member) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(CancellationToken).GetLocation() ?? Location(member);

    // ---- conversions ----------------------------------------------------------------------------------------------------

    /// <summary>Identity, reference or boxing only: a value stored as one type is read back as the other unchanged.</summary>
    public bool IsConvertible(ITypeSymbol type, INamedTypeSymbol? target) =>
        target is not null && Compilation.ClassifyConversion(type, target) is { IsImplicit: true } c && (c.IsIdentity || c.IsReference || c.IsBoxing);

    /// <summary>Whether a getter taking <paramref name="parameter"/> can be given an item of type <paramref name="item"/>.</summary>
    public bool AcceptsItem(ITypeSymbol parameter, ITypeSymbol item)
    {
        var conversion = Compilation.ClassifyConversion(item, parameter);
        return conversion.IsIdentity || conversion.IsImplicit && (conversion.IsReference || conversion.IsBoxing);
    }

    public static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);
}
