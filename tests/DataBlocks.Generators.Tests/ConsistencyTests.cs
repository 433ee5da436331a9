using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using DataBlocks.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Xunit;

namespace DataBlocks.Generators.Tests;

/// <summary>The generator's strings agree with the runtime, the release file and the docs.</summary>
public class ConsistencyTests
{
    private static string RepoFile(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DataBlocks.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return Path.Combine([dir!.FullName, .. parts]);
    }

    [Fact]
    public void Known_Names_Match_The_Runtime_Types()
    {
        Assert.Equal(KnownNames.BlockAttribute, typeof(BlockAttribute).FullName);
        Assert.Equal(KnownNames.GetItemsAttribute, typeof(GetItemsAttribute).FullName);
        Assert.Equal(KnownNames.GetXAttribute, typeof(GetXAttribute).FullName);
        Assert.Equal(KnownNames.GetYAttribute, typeof(GetYAttribute).FullName);
        Assert.Equal(KnownNames.SplitterAttribute, typeof(SplitterAttribute).FullName);
        Assert.Equal(KnownNames.ItemTransformsAttribute, typeof(ItemTransformsAttribute).FullName);
        Assert.Equal(KnownNames.BatchTransformsAttribute, typeof(BatchTransformsAttribute).FullName);
        Assert.Equal(KnownNames.ISplitter, typeof(DataBlocks.Data.ISplitter).FullName);
        Assert.Equal(KnownNames.IItemTransform, typeof(DataBlocks.Data.IItemTransform).FullName);
        Assert.Equal(KnownNames.IBatchTransform, typeof(DataBlocks.Data.IBatchTransform).FullName);
        Assert.Equal(KnownNames.IBlockOfT, typeof(DataBlocks.Data.IBlock<>).FullName);
        Assert.Equal(KnownNames.CategoryBlockClass, typeof(DataBlocks.BlockTypes.CategoryBlock<>).FullName);
        Assert.Equal(KnownNames.MultiCategoryBlockClass, typeof(DataBlocks.BlockTypes.MultiCategoryBlock<>).FullName);
        Assert.Equal(KnownNames.CategoricalBlockClass, typeof(DataBlocks.BlockTypes.CategoricalBlock<>).FullName);
        Assert.Equal(KnownNames.ImageBlock, Blocks.ImageBlock);
        Assert.Equal(KnownNames.CategoryBlock, Blocks.CategoryBlock);
        Assert.Equal(KnownNames.MultiCategoryBlock, Blocks.MultiCategoryBlock);
        Assert.Equal(KnownNames.RegressionBlock, Blocks.RegressionBlock);
        Assert.Equal(KnownNames.PointBlock, Blocks.PointBlock);
        Assert.Equal(KnownNames.CategoricalBlock, Blocks.CategoricalBlock);
        Assert.Equal(6, typeof(Blocks).GetFields().Length);
    }

    [Fact]
    public void The_Factory_Parameters_The_Parser_Keeps_Free_Are_Those_The_Emitter_Writes()
    {
        // A [GetItems] parameter named like one of them is renamed 'source'; a parameter missing here would clash.
        var written = Emit.DataBlockEmitter.LoaderParameters.Select(p => p.Name).Append(GeneratedNames.OptionsParameter);
        Assert.Equal(written.OrderBy(n => n, StringComparer.Ordinal), GeneratedNames.FactoryParameters.OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public void Runtime_Type_Names_The_Generated_Code_Uses_Exist()
    {
        var runtime = typeof(BlockAttribute).Assembly;
        foreach (var field in typeof(Emit.RuntimeNames).GetFields().Where(f => f.Name.EndsWith("Type", StringComparison.Ordinal)))
        {
            string name = ((string)field.GetValue(null)!).Replace("global::", "");
            Assert.True(runtime.GetType(name) is not null || runtime.GetType(name + "`1") is not null, $"{field.Name}: {name} is not a runtime type");
        }
    }

    [Fact]
    public void Every_Descriptor_Has_A_Unique_Id_A_Release_Row_And_A_Docs_Section()
    {
        var descriptors = typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToArray();
        Assert.NotEmpty(descriptors);
        Assert.Equal(descriptors.Length, descriptors.Select(d => d.Id).Distinct().Count());
        string releases = File.ReadAllText(RepoFile("generators", "DataBlocks.Generators", "AnalyzerReleases.Unshipped.md"))
                          + File.ReadAllText(RepoFile("generators", "DataBlocks.Generators", "AnalyzerReleases.Shipped.md"));
        string docs = File.ReadAllText(RepoFile("docs", "diagnostics.md"));
        foreach (var d in descriptors)
        {
            Assert.Matches(@"^DB\d{4}$", d.Id);
            Assert.Matches(new Regex($@"^{d.Id}\s*\|\s*DataBlocks\s*\|\s*{d.DefaultSeverity}", RegexOptions.Multiline), releases);
            Assert.Matches(new Regex($@"^## {d.Id}\b", RegexOptions.Multiline), docs);
            Assert.Equal(DiagnosticDescriptors.HelpBase + d.Id.ToLowerInvariant(), d.HelpLinkUri);
        }
    }
}
