using System.Collections.Generic;

namespace DataBlocks;

/// <summary>The sets of target kinds the built-in losses and metrics take (their <c>TargetKinds</c>).</summary>
public static class TargetKindSets
{
    /// <summary>Single labels: <see cref="FieldKind.Category"/>, <see cref="FieldKind.Categorical"/>.</summary>
    public static IReadOnlyList<FieldKind> Labels { get; } = [FieldKind.Category, FieldKind.Categorical];

    /// <summary>Several labels per item: <see cref="FieldKind.MultiCategory"/>.</summary>
    public static IReadOnlyList<FieldKind> LabelSets { get; } = [FieldKind.MultiCategory];

    /// <summary>Several labels, or numbers (probabilities to regress): <see cref="FieldKind.MultiCategory"/>, <see cref="FieldKind.Regression"/>.</summary>
    public static IReadOnlyList<FieldKind> LabelSetsOrNumbers { get; } = [FieldKind.MultiCategory, FieldKind.Regression];

    /// <summary>Numbers: <see cref="FieldKind.Regression"/>, <see cref="FieldKind.Points"/>.</summary>
    public static IReadOnlyList<FieldKind> Numbers { get; } = [FieldKind.Regression, FieldKind.Points];
}
