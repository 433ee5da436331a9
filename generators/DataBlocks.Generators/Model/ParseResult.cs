using Microsoft.CodeAnalysis;

namespace DataBlocks.Generators.Model;

/// <summary>
/// What parsing one [Block] class gives: the spec (null when an error prevents generation) and the diagnostics, which
/// keep their real source locations so <c>#pragma warning disable</c> works (STYLE.md §5.4).
/// </summary>
internal sealed record ParseResult(DataBlockSpec? Spec, EquatableArray<Diagnostic> Diagnostics);
