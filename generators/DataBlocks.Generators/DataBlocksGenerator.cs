using System.Linq;
using DataBlocks.Generators.Emit;
using DataBlocks.Generators.Model;
using DataBlocks.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DataBlocks.Generators;

/// <summary>
/// The DataBlocks source generator: for every class with [Block], typed Datasets/DataLoaders factories and the item,
/// batch, prediction, datasets and loaders types. Parse → spec → emit, with a separate diagnostics pipeline so
/// locations never reach the cached spec.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class DataBlocksGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.BlockAttribute,
                predicate: static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                transform: static (ctx, ct) => DataBlockParser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Parse);

        IncrementalValuesProvider<DataBlockSpec> specs = parsed
            .Where(static r => r.Spec is not null)
            .Select(static (r, _) => r.Spec!)
            .WithTrackingName(TrackingNames.Spec);

        context.RegisterSourceOutput(specs, static (spc, spec) => spc.AddSource(spec.HintName, DataBlockEmitter.Emit(spec)));

        context.RegisterSourceOutput(parsed.Where(static r => r.Diagnostics.Count > 0), static (spc, r) =>
        {
            foreach (var d in r.Diagnostics) spc.ReportDiagnostic(d);
        });
    }
}
