namespace DataBlocks.Generators.Model;

/// <summary>
/// Everything the emitter needs for one [Block] class. Value-equal all the way down and free of Roslyn objects, so an
/// edit that leaves it equal stops the pipeline before emitting.
/// <see cref="Error"/> non-null: the class has errors; the generated types are still emitted (so uses of them do not
/// fail too), with <see cref="Fields"/> holding only the blocks that bound and the factories throwing that message.
/// <see cref="IsPartial"/> false (DB0001): only the types next to the class are emitted.
/// </summary>
internal sealed record DataBlockSpec(
    string HintName,
    string? Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string TypeName,
    string TypeKeyword,
    string FullTypeName,
    string Accessibility,
    string ItemType,
    GetItemsSpec? GetItems,
    EquatableArray<FieldSpec> Fields,
    int NInputs,
    int NTargets,
    SplitterSpec? Splitter,
    TransformMemberSpec? ItemTransforms,
    TransformMemberSpec? BatchTransforms,
    bool IsPartial,
    string? Error);

/// <summary>A type that encloses the [Block] class (outermost first): its keyword and name.</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>The [GetItems] method: <c>Name(ParameterType ParameterName)</c>.</summary>
internal sealed record GetItemsSpec(string MethodName, string ParameterType, string ParameterName);

/// <summary>
/// One block with its getter; <see cref="Position"/> is its index in [Block(...)]. <see cref="Getter"/> null = the item itself (fastai's no-op getter).
/// <see cref="ValueType"/> is what the runtime block accepts (<c>IBlock&lt;TValue&gt;</c>); <see cref="ElementType"/> is the
/// label/number/point type for the blocks that have one.
/// </summary>
internal sealed record FieldSpec(
    int Position,
    string Name,
    string? Getter,
    bool IsInput,
    BlockKind Kind,
    string BlockName,
    string ValueType,
    string GetterReturnType,
    string? ElementType,
    string BlockExpression,
    string? CodecType);

/// <summary>The kinds of block the generator knows.</summary>
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
