using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using DataBlocks.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace DataBlocks.Generators.Tests;

/// <summary>The pipeline's steps stay cached when nothing relevant changes, and its model stays plain data.</summary>
public class IncrementalityTests
{
    private static readonly string Pets = GeneratorHarness.WithUsings("""
        namespace Demo;

        [Block(ImageBlock, CategoryBlock)]
        public partial class Pets
        {
            [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
            [GetY] static string Kind(string path) => Label.FromParentFolder(path);
            [Splitter] static ISplitter Split => new GrandparentSplitter();
        }
        """);

    [Fact]
    public void Running_Twice_On_The_Same_Input_Caches_Every_Step()
    {
        var compilation = GeneratorHarness.Compilation(Pets);
        var first = GeneratorHarness.Run(compilation);
        var second = GeneratorHarness.Run((CSharpCompilation)compilation.Clone(), first.Driver);
        foreach (var name in new[] { TrackingNames.Parse, TrackingNames.Spec })
        {
            var a = first.Result.Results[0].TrackedSteps[name].SelectMany(s => s.Outputs).Select(o => o.Value).ToArray();
            var b = second.Result.Results[0].TrackedSteps[name].SelectMany(s => s.Outputs).ToArray();
            Assert.Equal(a, b.Select(o => o.Value));
            Assert.All(b, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {o.Reason}"));
        }
        Assert.All(second.Result.Results[0].TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Adding_An_Unrelated_File_Keeps_The_Spec_Cached()
    {
        var compilation = GeneratorHarness.Compilation(Pets);
        var first = GeneratorHarness.Run(compilation);
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Other; public class Unrelated { }", GeneratorHarness.ParseOptions));
        var second = GeneratorHarness.Run(edited, first.Driver);
        Assert.NotEmpty(Reasons(second, TrackingNames.Spec));
        Assert.All(Reasons(second, TrackingNames.Spec), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Theory]
    [InlineData("Label.FromParentFolder(path);", "Label.FromParentFolder(path).ToLowerInvariant();")]   // a getter body
    [InlineData("namespace Demo;", "namespace Demo;\n// a comment above the class\n")]                 // moves every location
    public void Edits_That_Leave_The_Spec_Equal_Do_Not_Regenerate(string from, string to)
    {
        var compilation = GeneratorHarness.Compilation(Pets);
        var first = GeneratorHarness.Run(compilation);
        var tree = compilation.SyntaxTrees[0];
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Pets.Replace(from, to), GeneratorHarness.ParseOptions, "Test.cs"));
        var second = GeneratorHarness.Run(edited, first.Driver);
        Assert.NotEmpty(Reasons(second, TrackingNames.Spec));
        Assert.All(Reasons(second, TrackingNames.Spec), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.All(second.Result.Results[0].TrackedOutputSteps.Where(s => s.Key == "SourceOutput").SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Changing_A_Getter_Type_Modifies_The_Spec()
    {
        var compilation = GeneratorHarness.Compilation(Pets);
        var first = GeneratorHarness.Run(compilation);
        string changed = Pets.Replace("static string Kind(string path) => Label.FromParentFolder(path);", "static int Kind(string path) => path.Length;");
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees[0], CSharpSyntaxTree.ParseText(changed, GeneratorHarness.ParseOptions, "Test.cs"));
        var second = GeneratorHarness.Run(edited, first.Driver);
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(second, TrackingNames.Spec));
        Assert.Contains("CategoryBlock<int>", second.Files.Values.Single());
    }

    [Fact]
    public void A_Second_DataBlock_Is_New_And_The_First_Stays_Cached()
    {
        var compilation = GeneratorHarness.Compilation(Pets);
        var first = GeneratorHarness.Run(compilation);
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(GeneratorHarness.WithUsings("""
            namespace Demo;
            [Block(ImageBlock, RegressionBlock)]
            public partial class Ages
            {
                [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
                [GetY] static float Age(string path) => 1f;
                [Splitter] static ISplitter Split => new RandomSplitter(0.2, 1);
            }
            """), GeneratorHarness.ParseOptions, "Ages.cs"));
        var second = GeneratorHarness.Run(edited, first.Driver);
        var reasons = Reasons(second, TrackingNames.Spec);
        Assert.Contains(IncrementalStepRunReason.Cached, reasons);
        Assert.Contains(IncrementalStepRunReason.New, reasons);
        Assert.Equal(2, second.Files.Count);
    }

    [Fact]
    public void Equivalent_Sources_Give_Equal_But_Distinct_Specs()
    {
        DataBlockSpec Spec() => (DataBlockSpec)GeneratorHarness.Run(Pets).Result.Results[0].TrackedSteps[TrackingNames.Spec][0].Outputs[0].Value;
        var a = Spec();
        var b = Spec();
        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void Models_Hold_No_Roslyn_Objects()
    {
        var run = GeneratorHarness.Run(Pets);
        foreach (var step in run.Result.Results[0].TrackedSteps[TrackingNames.Spec])
        foreach (var (value, _) in step.Outputs)
            AssertNoRoslynObjects(value, new HashSet<object>(ReferenceEqualityComparer.Instance), "spec");
    }

    [Fact]
    public void Models_Hold_Names_Kinds_And_Type_References_But_No_Code()
    {
        // A user-defined block, a vocabulary and a nested class: the parts that used to travel as ready-made C#.
        var run = GeneratorHarness.Run(GeneratorHarness.WithUsings("""
            namespace Demo;
            public sealed class SortedCats : DataBlocks.BlockTypes.CategoryBlock<string> { }
            public static partial class Catalog
            {
                [Block(ImageBlock, typeof(SortedCats), MultiCategoryBlock, NInputs = 1)]
                internal partial class Products
                {
                    [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
                    [GetY(0)] static string Kind(string path) => "a";
                    [GetY(1)] static string[] Tags(string path) => new[] { "x" };
                    [Splitter] static ISplitter Split => new GrandparentSplitter();
                }
            }
            """));
        var strings = new List<string>();
        foreach (var step in run.Result.Results[0].TrackedSteps[TrackingNames.Spec])
        foreach (var (value, _) in step.Outputs)
            CollectStrings(value, strings);
        Assert.NotEmpty(strings);
        Assert.All(strings, s => Assert.False(s.Contains("new ") || s.Contains("=>") || s.Contains(';') || s.Contains("public") || s.Contains("partial"),
            $"the model holds C# code: {s}"));
    }

    private static void CollectStrings(object? value, List<string> strings)
    {
        if (value is string s) strings.Add(s);
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        if (value is IEnumerable items)
        {
            foreach (var item in items) CollectStrings(item, strings);
            return;
        }
        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            CollectStrings(field.GetValue(value), strings);
    }

    private static IncrementalStepRunReason[] Reasons(GeneratorRun run, string step) =>
        run.Result.Results[0].TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

    private static void AssertNoRoslynObjects(object? value, HashSet<object> seen, string path)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        if (!value.GetType().IsValueType && !seen.Add(value)) return;
        Assert.False(value is Compilation or ISymbol or SyntaxNode or SemanticModel or SyntaxTree or Location or AttributeData,
            $"{path} holds a {value.GetType().Name}");
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items) AssertNoRoslynObjects(item, seen, $"{path}[{i++}]");
            return;
        }
        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            AssertNoRoslynObjects(field.GetValue(value), seen, $"{path}.{field.Name}");
    }
}
