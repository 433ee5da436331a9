using Microsoft.CodeAnalysis;

namespace DataBlocks.Generators.Model;

/// <summary>
/// What parsing one [Block] class gives: the spec (null only when no code at all can be generated; a class with other
/// errors has a spec with <see cref="DataBlockSpec.Error"/> set) and the diagnostics, which keep their real source
/// locations so <c>#pragma warning disable</c> works (a location rebuilt from a path and span would be an external-file
/// location, which pragmas ignore).
/// </summary>
internal sealed record ParseResult(DataBlockSpec? Spec, EquatableArray<Diagnostic> Diagnostics);
