using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DataBlocks.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DataBlocks.Generators.Tests;

/// <summary>The result of running the generator over a test compilation.</summary>
internal sealed record GeneratorRun(
    GeneratorDriver Driver,
    GeneratorDriverRunResult Result,
    CSharpCompilation Input,
    Compilation Output,
    ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    /// <summary>The generated files by hint name.</summary>
    public IReadOnlyDictionary<string, string> Files =>
        Result.GeneratedTrees.ToDictionary(t => System.IO.Path.GetFileName(t.FilePath), t => t.GetText().ToString());

    /// <summary>Compiler errors of the output compilation (user code + generated code).</summary>
    public IReadOnlyList<Diagnostic> OutputErrors =>
        Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();

    /// <summary>DataBlocks diagnostics (DBxxxx) reported by the generator.</summary>
    public IReadOnlyList<Diagnostic> DataBlocksDiagnostics =>
        GeneratorDiagnostics.Where(d => d.Id.StartsWith("DB", System.StringComparison.Ordinal)).ToArray();
}

/// <summary>Builds a compilation from test sources and runs the DataBlocks generator over it, tracking its steps.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly MetadataReference[] References = Basic.Reference.Assemblies.Net100.References.All
        .Cast<MetadataReference>()
        .Concat(new[]
        {
            typeof(DataBlocks.BlockAttribute).Assembly,
            typeof(TorchSharp.torch).Assembly,
            typeof(SkiaSharp.SKBitmap).Assembly,
        }.Select(a => MetadataReference.CreateFromFile(a.Location)))
        .ToArray();

    public static CSharpCompilation Compilation(params string[] sources) => Compilation(ParseOptions, sources);

    public static CSharpCompilation Compilation(CSharpParseOptions options, params string[] sources) =>
        CSharpCompilation.Create(
            "GeneratorTests",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, options, path: i == 0 ? "Test.cs" : $"Test{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(CSharpParseOptions? options = null) =>
        CSharpGeneratorDriver.Create(
            new[] { new DataBlocksGenerator().AsSourceGenerator() },
            parseOptions: options ?? ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(params string[] sources) => Run(Compilation(sources));

    public static GeneratorRun Run(CSharpCompilation compilation, GeneratorDriver? driver = null)
    {
        driver ??= CreateDriver((CSharpParseOptions?)compilation.SyntaxTrees.FirstOrDefault()?.Options);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        var result = driver.GetRunResult();
        foreach (var r in result.Results)
            if (r.Exception is not null) throw new Xunit.Sdk.XunitException($"The generator threw: {r.Exception}");
        return new GeneratorRun(driver, result, compilation, output, diagnostics);
    }

    /// <summary>
    /// The members of a ratings DataBlock over <c>Rating(int User, int Genre, float Stars)</c> whose second key is a
    /// <c>Genre</c> enum: the accessibility tests declare those types with the accessibility they test.
    /// </summary>
    public const string GenreRatingMembers = """
        [GetItems] static IEnumerable<Rating> Rows(string path) => new Rating[0];
        [GetX(0)] static int User(Rating r) => r.User;
        [GetX(1)] static Genre Kind(Rating r) => (Genre)r.Genre;
        [GetY] static float Stars(Rating r) => r.Stars;
        [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
        """;

    /// <summary>A source with the usual usings in front.</summary>
    public static string WithUsings(string body) => """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using DataBlocks;
        using DataBlocks.Data;
        using DataBlocks.Vision;
        using static DataBlocks.Blocks;

        """ + body;
}
