namespace DataBlocks.Generators.Model;

/// <summary>
/// Everything the emitter needs for one [Block] class: names, kinds and type references, never C# to paste. Value-equal
/// all the way down and free of Roslyn objects, so an edit that leaves it equal stops the pipeline before emitting.
/// Type references (<see cref="ItemType"/>, <see cref="FullTypeName"/>, ...) are fully qualified names with <c>global::</c>.
/// <see cref="Error"/> non-null: the class has errors; the generated types are still emitted (so uses of them do not
/// fail too), with <see cref="Fields"/> holding only the blocks that bound and the factories throwing that message.
/// <see cref="IsPartial"/> false (DB0001): only the types next to the class are emitted. <see cref="ItemTypeKnown"/> false
/// (an error): <see cref="ItemType"/> is <c>object</c>, and without [GetItems] the factories take any source.
/// </summary>
internal sealed record DataBlockSpec(
    string HintName,
    string? Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string TypeName,
    DeclarationKind Kind,
    string FullTypeName,
    DeclaredAccess Access,
    string ItemType,
    bool ItemTypeKnown,
    GetItemsSpec? GetItems,
    EquatableArray<FieldSpec> Fields,
    int NInputs,
    int NTargets,
    SplitterSpec? Splitter,
    TransformMemberSpec? ItemTransforms,
    TransformMemberSpec? BatchTransforms,
    bool IsPartial,
    string? Error);

/// <summary>A type that encloses the [Block] class (outermost first): its kind and name.</summary>
internal sealed record ContainingTypeSpec(DeclarationKind Kind, string Name);

/// <summary>What a type declaration is, for the emitter's <c>partial ...</c> line.</summary>
internal enum DeclarationKind
{
    Class,
    Record,
    Struct,
    RecordStruct,
    Interface,
}

/// <summary>The declared accessibility of the [Block] class, which its generated sibling types copy.</summary>
internal enum DeclaredAccess
{
    Public,
    Internal,
    Private,
    Protected,
    ProtectedInternal,
    PrivateProtected,
}

/// <summary>
/// The [GetItems] method <c>MethodName(ParameterType p)</c>; <see cref="ParameterName"/> is what the factories call
/// their source parameter (the method's own name unless that is one of the factories' other parameters).
/// </summary>
internal sealed record GetItemsSpec(string MethodName, string ParameterType, string ParameterName);

/// <summary>
/// One block with its getter. <see cref="Position"/> is its index in [Block(...)]; <see cref="Getter"/> null = the item
/// itself (fastai's no-op getter). <see cref="ElementType"/> is the label/number/point type of the blocks that have one.
/// A user-defined block has <see cref="CustomBlock"/>; a built-in one is known by its <see cref="Kind"/> alone.
/// <see cref="IsSequence"/>: the getter's value is a sequence (labels, numbers, points), which the item's ToString lists.
/// </summary>
internal sealed record FieldSpec(
    int Position,
    string Name,
    string? Getter,
    bool IsInput,
    BlockKind Kind,
    string BlockName,
    string GetterReturnType,
    bool IsSequence,
    string? ElementType,
    CustomBlockSpec? CustomBlock);

/// <summary>A user-defined block: its type (with a public parameterless constructor) and the TValue of its <c>IBlock&lt;TValue&gt;</c>.</summary>
internal sealed record CustomBlockSpec(string BlockType, string ValueType);

/// <summary>
/// The kinds of block the generator knows. A user-defined block derived from a built-in block class keeps that kind
/// (so its vocabulary and predictions are typed too); any other is <see cref="Custom"/>.
/// </summary>
internal enum BlockKind
{
    Image,
    Category,
    MultiCategory,
    Regression,
    RegressionVector,
    Point,
    Categorical,
    Custom,
}

/// <summary>How the [Splitter] member is used.</summary>
internal enum SplitterKind
{
    /// <summary>A static property of an ISplitter type.</summary>
    Property,

    /// <summary>A parameterless static method returning an ISplitter.</summary>
    Method,

    /// <summary>A static method taking an item and returning bool (true = validation).</summary>
    Predicate,
}

internal sealed record SplitterSpec(SplitterKind Kind, string MemberName);

/// <summary>An [ItemTransforms]/[BatchTransforms] member: property or method, one transform or a sequence.</summary>
internal sealed record TransformMemberSpec(string MemberName, bool IsMethod, bool IsSequence);
