using Microsoft.CodeAnalysis;

namespace DataBlocks.Generators.Parsing;

/// <summary>
/// The signature rules the generated code relies on, each written once: what a method called with one value
/// ([GetItems], [GetX], [GetY], a predicate [Splitter]) and a member read without arguments ([Splitter],
/// [ItemTransforms], [BatchTransforms]) must look like. Each returns what is wrong, phrased to follow the member's name
/// in a message ("'Kind' is not static"), or null.
/// </summary>
internal static class SignatureRules
{
    /// <summary>
    /// Static, non-generic, one by-value parameter, a value returned (by value unless <paramref name="byRefReturnAllowed"/>:
    /// [GetItems]'s sequence is only enumerated, a getter's value is stored).
    /// </summary>
    public static string? OneParameterMethod(IMethodSymbol m, bool byRefReturnAllowed) =>
        !m.IsStatic ? "is not static"
        : m.IsGenericMethod ? "is generic"
        : m.Parameters.Length != 1 ? $"takes {ParseContext.Number(m.Parameters.Length)} parameters"
        : m.Parameters[0].RefKind != RefKind.None ? "takes its parameter by reference"
        : m.ReturnsVoid ? "returns void"
        : !byRefReturnAllowed && (m.ReturnsByRef || m.ReturnsByRefReadonly) ? "returns by reference"
        : null;

    /// <summary>
    /// A static property with a getter (not an indexer) or a static, non-generic, parameterless method returning a value:
    /// the type read, whether it is a method, or what is wrong.
    /// </summary>
    public static (ITypeSymbol? Type, bool IsMethod, string? Problem) ValueMember(ISymbol member)
    {
        if (!member.IsStatic) return (null, false, "is not static");
        switch (member)
        {
            case IPropertySymbol { IsIndexer: true }:
                return (null, false, "is an indexer");
            case IPropertySymbol p:
                return p.GetMethod is null ? (null, false, "has no getter") : (p.Type, false, null);
            case IMethodSymbol m when m.IsGenericMethod:
                return (null, true, "is generic");
            case IMethodSymbol { Parameters.Length: 0, ReturnsVoid: false } m:
                return (m.ReturnType, true, null);
            case IMethodSymbol m:
                return (null, true, m.ReturnsVoid ? "returns void" : $"takes {ParseContext.Number(m.Parameters.Length)} parameter(s)");
            default:
                return (null, false, "is neither a property nor a method");
        }
    }
}
