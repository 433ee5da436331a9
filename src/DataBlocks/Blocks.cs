namespace DataBlocks;

/// <summary>
/// The built-in blocks, for <see cref="BlockAttribute"/>. Import them with <c>using static DataBlocks.Blocks;</c>
/// and write <c>[Block(ImageBlock, CategoryBlock)]</c>.
/// </summary>
/// <remarks>
/// Which getter types each block accepts is checked at compile time (diagnostic DB0201); see the table of blocks in docs/datablocks.md and DB0201 in docs/diagnostics.md.
/// </remarks>
public static class Blocks
{
    /// <summary>An image read from a file path (<c>string</c>): JPEG, PNG, BMP, WebP, GIF. fastai: <c>ImageBlock</c>.</summary>
    public const string ImageBlock = nameof(ImageBlock);

    /// <summary>One label per item: <c>string</c>, <c>bool</c>, <c>char</c>, an enum or an integer type. fastai: <c>CategoryBlock</c>.</summary>
    public const string CategoryBlock = nameof(CategoryBlock);

    /// <summary>Any number of labels per item: a sequence of strings, enums or integers. fastai: <c>MultiCategoryBlock</c>.</summary>
    public const string MultiCategoryBlock = nameof(MultiCategoryBlock);

    /// <summary>A number, or a sequence of numbers, to regress. fastai: <c>RegressionBlock</c>.</summary>
    public const string RegressionBlock = nameof(RegressionBlock);

    /// <summary>Keypoints in pixel coordinates of the input image: a sequence of points. fastai: <c>PointBlock</c>.</summary>
    public const string PointBlock = nameof(PointBlock);

    /// <summary>
    /// A categorical input such as a user or item id (any equatable key: integers, strings, <c>Guid</c>), encoded with a
    /// vocabulary that reserves index 0 for unknown values (<c>#na#</c>), as fastai's collaborative filtering does.
    /// </summary>
    public const string CategoricalBlock = nameof(CategoricalBlock);
}
