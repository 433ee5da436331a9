namespace DataBlocks.Generators;

/// <summary>
/// The runtime names the parser reads symbols by (metadata names, and the values of the constants in DataBlocks.Blocks):
/// the generator cannot reference the (net10.0) runtime. A test checks each against <c>typeof(...).FullName</c>. The names
/// the generated code writes are the emitter's (<c>Emit/RuntimeNames.cs</c>).
/// </summary>
internal static class KnownNames
{
    public const string BlockAttribute = "DataBlocks.BlockAttribute";
    public const string GetItemsAttribute = "DataBlocks.GetItemsAttribute";
    public const string GetXAttribute = "DataBlocks.GetXAttribute";
    public const string GetYAttribute = "DataBlocks.GetYAttribute";
    public const string SplitterAttribute = "DataBlocks.SplitterAttribute";
    public const string ItemTransformsAttribute = "DataBlocks.ItemTransformsAttribute";
    public const string BatchTransformsAttribute = "DataBlocks.BatchTransformsAttribute";

    public const string ISplitter = "DataBlocks.Data.ISplitter";
    public const string IItemTransform = "DataBlocks.Data.IItemTransform";
    public const string IBatchTransform = "DataBlocks.Data.IBatchTransform";
    public const string IBlockOfT = "DataBlocks.Data.IBlock`1";

    // The values of the constants in DataBlocks.Blocks.
    public const string ImageBlock = "ImageBlock";
    public const string CategoryBlock = "CategoryBlock";
    public const string MultiCategoryBlock = "MultiCategoryBlock";
    public const string RegressionBlock = "RegressionBlock";
    public const string PointBlock = "PointBlock";
    public const string CategoricalBlock = "CategoricalBlock";

    // Built-in block classes a user-defined block may derive from (and keep the kind of).
    public const string CategoryBlockClass = "DataBlocks.BlockTypes.CategoryBlock`1";
    public const string MultiCategoryBlockClass = "DataBlocks.BlockTypes.MultiCategoryBlock`1";
    public const string CategoricalBlockClass = "DataBlocks.BlockTypes.CategoricalBlock`1";
}
