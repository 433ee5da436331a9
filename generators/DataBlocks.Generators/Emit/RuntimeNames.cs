using DataBlocks.Generators.Model;

namespace DataBlocks.Generators.Emit;

/// <summary>
/// The runtime (and BCL) types the generated code names, <c>global::</c>-qualified. A test checks that each runtime one
/// exists. The parser never needs them: it reads symbols by the metadata names in <see cref="KnownNames"/>.
/// </summary>
internal static class RuntimeNames
{
    public const string Data = "global::DataBlocks.Data";
    public const string BlockTypes = "global::DataBlocks.BlockTypes";
    public const string Generic = "global::System.Collections.Generic";
    public const string Tensor = "global::TorchSharp.torch.Tensor";
    public const string Device = "global::TorchSharp.torch.Device";
    public const string Vector2 = "global::System.Numerics.Vector2";
    public const string IDisposable = "global::System.IDisposable";
    public const string InvalidOperationException = "global::System.InvalidOperationException";
    public const string GeneratedCodeAttribute = "global::System.CodeDom.Compiler.GeneratedCode";

    public const string ImageBlockType = BlockTypes + ".ImageFileBlock";
    public const string CategoryBlockType = BlockTypes + ".CategoryBlock";
    public const string CategoryCodecType = BlockTypes + ".CategoryCodec";
    public const string MultiCategoryBlockType = BlockTypes + ".MultiCategoryBlock";
    public const string MultiCategoryCodecType = BlockTypes + ".MultiCategoryCodec";
    public const string RegressionBlockType = BlockTypes + ".RegressionBlock";
    public const string RegressionVectorBlockType = BlockTypes + ".RegressionVectorBlock";
    public const string PointBlockType = BlockTypes + ".PointBlock";
    public const string PointPredictionsType = BlockTypes + ".PointPredictions";
    public const string CategoricalBlockType = BlockTypes + ".CategoricalBlock";
    public const string CategoricalCodecType = BlockTypes + ".CategoricalCodec";

    /// <summary>The runtime block a built-in field creates, e.g. <c>new ...CategoryBlock&lt;string&gt;()</c>; a user-defined block is created as declared.</summary>
    public static string NewBlock(FieldSpec f) => f.CustomBlock is { } custom
        ? $"new {custom.BlockType}()"
        : f.Kind switch
        {
            BlockKind.Image => $"new {ImageBlockType}()",
            BlockKind.Category => $"new {CategoryBlockType}<{f.ElementType}>()",
            BlockKind.MultiCategory => $"new {MultiCategoryBlockType}<{f.ElementType}>()",
            BlockKind.Regression => $"new {RegressionBlockType}<{f.ElementType}>()",
            BlockKind.RegressionVector => $"new {RegressionVectorBlockType}<{f.ElementType}>()",
            BlockKind.Point => $"new {PointBlockType}<{f.ElementType}>()",
            BlockKind.Categorical => $"new {CategoricalBlockType}<{f.ElementType}>()",
            _ => throw new System.ArgumentOutOfRangeException(nameof(f), f.Kind, "a custom block without its type"),
        };

    /// <summary>The TValue of the field's <c>IBlock&lt;TValue&gt;</c>: what the getter's value is stored as.</summary>
    public static string ValueType(FieldSpec f) => f.CustomBlock is { } custom
        ? custom.ValueType
        : f.Kind switch
        {
            BlockKind.Image => "string",
            BlockKind.MultiCategory or BlockKind.RegressionVector or BlockKind.Point => $"{Generic}.IEnumerable<{f.ElementType}>",
            _ => f.ElementType!,
        };

    /// <summary>The codec of a field with a vocabulary (category, multi-category, categorical), else null.</summary>
    public static string? CodecType(FieldSpec f) => f.Kind switch
    {
        BlockKind.Category => $"{CategoryCodecType}<{f.ElementType}>",
        BlockKind.MultiCategory => $"{MultiCategoryCodecType}<{f.ElementType}>",
        BlockKind.Categorical => $"{CategoricalCodecType}<{f.ElementType}>",
        _ => null,
    };
}
