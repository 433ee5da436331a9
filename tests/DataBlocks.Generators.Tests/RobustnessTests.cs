using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace DataBlocks.Generators.Tests;

/// <summary>A half-typed or broken declaration never makes the generator throw (a generator exception fails the harness).</summary>
public class RobustnessTests
{
    private static readonly string Source = GeneratorHarness.WithUsings("""
        namespace Demo;

        public sealed record Row(string Path, string Tags);

        [Block(ImageBlock, MultiCategoryBlock, NInputs = 1)]
        public partial class Planet
        {
            [GetItems] static IEnumerable<Row> Rows(string root) => new Row[0];
            [GetX] static string Image(Row r) => r.Path;
            [GetY] static IEnumerable<string> Tags(Row r) => r.Tags.Split(' ');
            [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
            [ItemTransforms] static IItemTransform Size => Transforms.Resize(64);
        }
        """);

    [Fact]
    public void Every_Prefix_Of_A_Valid_Declaration_Is_Handled()
    {
        // Typing the file from the top: every truncation point inside the class.
        int start = Source.IndexOf("[Block", StringComparison.Ordinal);
        for (int end = start; end <= Source.Length; end += 7)
            GeneratorHarness.Run(Source[..end]);
    }

    [Fact]
    public void Removing_Any_Single_Token_Is_Handled()
    {
        var root = CSharpSyntaxTree.ParseText(Source, GeneratorHarness.ParseOptions).GetRoot();
        var tokens = root.DescendantTokens().Where(t => t.SpanStart >= Source.IndexOf("[Block", StringComparison.Ordinal)).ToArray();
        foreach (var token in tokens)
            GeneratorHarness.Run(Source.Remove(token.SpanStart, token.Span.Length));
    }
}
