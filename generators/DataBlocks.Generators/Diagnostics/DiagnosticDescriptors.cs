using Microsoft.CodeAnalysis;

namespace DataBlocks.Generators.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. IDs are never reused; each has a section in docs/diagnostics.md and a row in
/// AnalyzerReleases.Unshipped.md (the build checks the latter).
/// </summary>
internal static class DiagnosticDescriptors
{
    /// <summary>Where docs/diagnostics.md is published; each ID is a section anchor.</summary>
    public const string HelpBase = "https://github.com/datablocks/DataBlocks/blob/main/docs/diagnostics.md#";

    private const string Category = "DataBlocks";

    public static readonly DiagnosticDescriptor ClassMustBePartial = Error("DB0001",
        "DataBlock class must be partial",
        "Class '{0}' has [Block] but is not partial; add the 'partial' modifier so the generated factories can be added to it");

    public static readonly DiagnosticDescriptor ClassIsGeneric = Error("DB0002",
        "DataBlock class cannot be generic",
        "Class '{0}' has [Block] but {1}; declare the DataBlock as a non-generic class");

    public static readonly DiagnosticDescriptor UnknownBlock = Error("DB0003",
        "Unknown block",
        "{0} is not a block; use a constant of DataBlocks.Blocks (ImageBlock, CategoryBlock, MultiCategoryBlock, RegressionBlock, PointBlock, CategoricalBlock) or typeof a non-abstract class implementing DataBlocks.Data.IBlock<TValue> with a public parameterless constructor{1}");

    public static readonly DiagnosticDescriptor TooFewBlocks = Error("DB0004",
        "A DataBlock needs an input and a target",
        "[Block] on '{0}' lists {1} block(s); list at least one input block and one target block, inputs first");

    public static readonly DiagnosticDescriptor BadNInputs = Error("DB0005",
        "NInputs out of range",
        "NInputs = {0} on '{1}' is out of range; with {2} blocks it must be between 1 and {3} (at least one input and one target)");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error("DB0006",
        "Type containing a DataBlock must be partial",
        "'{0}' is nested in '{1}', which is not partial; make '{1}' partial so the generated types can be added next to '{0}'");

    public static readonly DiagnosticDescriptor InaccessibleType = Error("DB0007",
        "Type is not accessible to the generated types",
        "Type '{0}' ({1}) is less accessible than DataBlock '{2}' or hidden inside it; the generated types that use it sit next to '{2}' with the same accessibility. Make '{0}' at least as accessible as '{2}' and declare it outside the class.");

    public static readonly DiagnosticDescriptor NameTaken = Error("DB0008",
        "Name reserved for generated code",
        "{0} '{1}' is already declared, but the generator adds {2} with that name; rename yours");

    public static readonly DiagnosticDescriptor ClassIsFileLocal = Error("DB0009",
        "DataBlock class cannot be file-local",
        "'{0}' is file-local; the generated part of the class is in another file, where a 'file' type is not visible, so it would declare another type. Make '{0}' internal (or private, nested) instead.");

    public static readonly DiagnosticDescriptor NoItemType = Error("DB0100",
        "No [GetItems] member and no getter to infer the item type from",
        "'{0}' has no [GetItems] method and no [GetX]/[GetY] getter, so the item type is unknown; add a [GetItems] method such as 'static IEnumerable<string> Files(string root)'");

    public static readonly DiagnosticDescriptor DuplicateGetItems = Error("DB0101",
        "More than one [GetItems] member",
        "'{0}' has more than one [GetItems] method ('{1}' and '{2}'); keep one");

    public static readonly DiagnosticDescriptor BadGetItems = Error("DB0102",
        "[GetItems] has the wrong signature",
        "[GetItems] method '{0}' {1}; it must be a static, non-generic method taking one parameter (the source) and returning IEnumerable<TItem>");

    public static readonly DiagnosticDescriptor FactoriesTakeItems = Info("DB0103",
        "No [GetItems] member: the factories take the items",
        "'{0}' has no [GetItems] method, so Datasets(...) and DataLoaders(...) take the items themselves (an IEnumerable<{1}>); add a [GetItems] method such as 'static IEnumerable<{1}> Rows(string path)' to have them take a source instead");

    public static readonly DiagnosticDescriptor GetterItemMismatch = Error("DB0200",
        "Getter parameter is not the item type",
        "'{0}' takes a '{1}', but the items are '{2}'{3}; change the parameter to '{2}'");

    public static readonly DiagnosticDescriptor GetterTypeNotAccepted = Error("DB0201",
        "Getter type is not accepted by its block",
        "{0} gives a '{1}' to {2}, which accepts {3}");

    public static readonly DiagnosticDescriptor GetterCountMismatch = Error("DB0202",
        "Too many getters",
        "'{0}' has {1} [{2}] getter(s) but only {3} {4} block(s); remove the extra getter or add a block");

    public static readonly DiagnosticDescriptor MissingGetter = Error("DB0203",
        "Missing getter",
        "{0} #{1} ({2}) of '{3}' has no [{4}] getter and cannot take the item itself ('{5}'), as it accepts {6}; add a [{4}({1})] method");

    public static readonly DiagnosticDescriptor BadGetter = Error("DB0204",
        "Getter has the wrong signature",
        "[{0}] method '{1}' {2}; a getter must be a static, non-generic method taking one parameter (the item) and returning a value");

    public static readonly DiagnosticDescriptor BadGetterIndex = Error("DB0205",
        "Getter index is invalid",
        "[{0}] on '{1}' {2}");

    public static readonly DiagnosticDescriptor InheritedMember = Error("DB0207",
        "DataBlock members in a base class are not read",
        "[{0}] on '{1}' is in a base class of '{2}'; getters, splitters and transforms are read from the [Block] class itself, so declare it (or a member that calls it) in '{2}'");

    public static readonly DiagnosticDescriptor PointsWithoutImage = Error("DB0206",
        "PointBlock needs an image input",
        "'{0}' has a PointBlock but no ImageBlock input; points are scaled against the item's image, so add an ImageBlock input");

    public static readonly DiagnosticDescriptor CategoricalTarget = Error("DB0208",
        "A CategoricalBlock is an input, not a target",
        "'{0}' declares {1} as a target; a CategoricalBlock is a categorical input (a user or item id) with no loss of its own. For a label to predict use CategoryBlock or MultiCategoryBlock, for a number RegressionBlock.");

    public static readonly DiagnosticDescriptor NoSplitter = Warning("DB0300",
        "No splitter: a random 20% validation split with no seed",
        "'{0}' has no [Splitter]; a random 20% of the items is validation and the split changes on every run (fastai's default). Add e.g. '[Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);'");

    public static readonly DiagnosticDescriptor BadSplitter = Error("DB0301",
        "[Splitter] has the wrong type or signature",
        "[Splitter] member '{0}' {1}; it must be a static property or parameterless static method returning DataBlocks.Data.ISplitter, or a static method taking an item and returning bool (true = validation)");

    public static readonly DiagnosticDescriptor DuplicateSplitter = Error("DB0302",
        "More than one [Splitter] member",
        "'{0}' has more than one [Splitter] member ('{1}' and '{2}'); keep one");

    public static readonly DiagnosticDescriptor WrongTransformKind = Error("DB0400",
        "Transform of the wrong kind",
        "[{0}] member '{1}' returns '{2}', {3}");

    public static readonly DiagnosticDescriptor DuplicateTransforms = Error("DB0401",
        "More than one transforms member",
        "'{0}' has more than one [{1}] member ('{2}' and '{3}'); return every transform from one member");

    public static readonly DiagnosticDescriptor BadTransformMember = Error("DB0402",
        "Transforms member has the wrong signature",
        "[{0}] member '{1}' {2}; it must be a static property or a parameterless static method");

    public static readonly DiagnosticDescriptor LanguageVersionTooOld = Error("DB0900",
        "C# language version too old",
        "DataBlocks generates C# 9 code, but '{0}' is compiled as C# {1}; set <LangVersion> to 9 or later");

    private static DiagnosticDescriptor Error(string id, string title, string message) => Create(id, title, message, DiagnosticSeverity.Error);

    private static DiagnosticDescriptor Warning(string id, string title, string message) => Create(id, title, message, DiagnosticSeverity.Warning);

    private static DiagnosticDescriptor Info(string id, string title, string message) => Create(id, title, message, DiagnosticSeverity.Info);

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true, helpLinkUri: HelpBase + id.ToLowerInvariant());
}
