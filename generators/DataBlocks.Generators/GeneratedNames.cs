namespace DataBlocks.Generators;

/// <summary>
/// The names of what the generator adds, in one place: the emitter writes them and the parser keeps the user's names
/// from clashing with them (DB0008, a field named <c>RawValue</c>, a source parameter renamed <c>source</c>).
/// </summary>
internal static class GeneratedNames
{
    // Members added to the [Block] class.
    public const string Definition = "Definition";
    public const string Datasets = "Datasets";
    public const string DataLoaders = "DataLoaders";
    public const string DefinitionField = "__DataBlocks_definition";
    public const string ItemsHelper = "__DataBlocks_Items";
    public const string ErrorConstant = "__DataBlocks_error";

    /// <summary>Every member the generator adds to the [Block] class.</summary>
    public static readonly string[] ClassMembers = [Definition, Datasets, DataLoaders, DefinitionField, ItemsHelper, ErrorConstant];

    /// <summary>The start of the generated types' private helpers (<c>__DataBlocks_KindCodec</c>), which no field is named like.</summary>
    public const string PrivatePrefix = "__DataBlocks_";

    // The types added next to the class are named after it with these suffixes (PetsItem, PetsBatch, ...).
    public const string ItemSuffix = "Item";
    public const string BatchSuffix = "Batch";
    public const string PredictionSuffix = "Prediction";
    public const string DatasetsSuffix = Datasets;
    public const string DataLoadersSuffix = DataLoaders;

    public static readonly string[] TypeSuffixes = [ItemSuffix, BatchSuffix, PredictionSuffix, DatasetsSuffix, DataLoadersSuffix];

    // The parameters of the DataLoaders(...) and Datasets(...) factories after the source.
    public const string BatchSizeParameter = "bs";
    public const string SeedParameter = "seed";
    public const string WorkersParameter = "workers";
    public const string DeviceParameter = "device";
    public const string ItemTransformsParameter = "item";
    public const string BatchTransformsParameter = "batch";
    public const string SkipBadItemsParameter = "skipBadItems";
    public const string OptionsParameter = "options";

    public static readonly string[] FactoryParameters =
    [
        BatchSizeParameter, SeedParameter, WorkersParameter, DeviceParameter, ItemTransformsParameter, BatchTransformsParameter,
        SkipBadItemsParameter, OptionsParameter,
    ];

    /// <summary>The source parameter when [GetItems]'s own parameter name is taken by another factory parameter.</summary>
    public const string SourceParameter = "source";

    /// <summary>The factories' parameter when there is no [GetItems]: the items themselves.</summary>
    public const string ItemsParameter = "items";

    // Members of the generated batch type (and of every record), which a field may not be named like.
    public const string Raw = "Raw";
    public const string Size = "Size";
    public const string Dispose = "Dispose";

    public static readonly string[] ReservedFieldNames =
    [
        Raw, Size, Dispose, "Equals", "GetHashCode", "ToString", "GetType", "Deconstruct", "EqualityContract", "Clone", "PrintMembers",
    ];

    /// <summary>What a clashing field name gets appended.</summary>
    public const string ClashSuffix = "Value";

    // Members named after a field: KindVocab, DecodeKind(i), and the prediction's KindIndex, KindProbabilities.
    public const string VocabSuffix = "Vocab";
    public const string CodecSuffix = "Codec";
    public const string DecodePrefix = "Decode";
    public const string IndexSuffix = "Index";
    public const string ProbabilitiesSuffix = "Probabilities";
}
