namespace DataBlocks.Generators;

/// <summary>
/// The runtime names the generator depends on, by string: the generator cannot reference the (net10.0) runtime.
/// A test checks each against <c>typeof(...).FullName</c>.
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

    // Runtime types the generated code names.
    public const string ImageBlockType = "global::DataBlocks.BlockTypes.ImageFileBlock";
    public const string CategoryBlockType = "global::DataBlocks.BlockTypes.CategoryBlock";
    public const string CategoryCodecType = "global::DataBlocks.BlockTypes.CategoryCodec";
    public const string MultiCategoryBlockType = "global::DataBlocks.BlockTypes.MultiCategoryBlock";
    public const string MultiCategoryCodecType = "global::DataBlocks.BlockTypes.MultiCategoryCodec";
    public const string RegressionBlockType = "global::DataBlocks.BlockTypes.RegressionBlock";
    public const string RegressionVectorBlockType = "global::DataBlocks.BlockTypes.RegressionVectorBlock";
    public const string PointBlockType = "global::DataBlocks.BlockTypes.PointBlock";
    public const string CategoricalBlockType = "global::DataBlocks.BlockTypes.CategoricalBlock";
    public const string CategoricalCodecType = "global::DataBlocks.BlockTypes.CategoricalCodec";
}
