using System.Collections.Generic;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Losses;
using DataBlocks.Metrics;

namespace DataBlocks.Learning;

/// <summary>
/// Checks, when a <see cref="Learner"/> is created, that its loss and metrics take the loaders' kind of target (their
/// <c>TargetKinds</c>): accuracy on a multi-label target is an error naming both and the metrics that fit, not a shape
/// mismatch deep in libtorch at the first validation.
/// </summary>
internal static class TargetChecks
{
    private static readonly IMetric[] BuiltInMetrics = [new Accuracy(), new ErrorRate(), new TopKAccuracy(), new AccuracyMulti(), new Rmse()];
    private static readonly ILossFunction[] BuiltInLosses = [new CrossEntropyLossFlat(), new BCEWithLogitsLossFlat(), new MSELossFlat()];

    /// <exception cref="DataBlocksException">The loss or a metric does not take the target.</exception>
    public static void Check(DataLoaders dls, ILossFunction loss, IReadOnlyList<IMetric> metrics)
    {
        if (dls.Target is not { } target || target.Kind == FieldKind.Custom) return;
        if (Refuses(loss.TargetKinds, target.Kind))
            throw new DataBlocksException(Message(dls, target, $"the loss {loss.Name}", "takes", loss.TargetKinds!,
                Fitting(BuiltInLosses.Where(l => l.TargetKinds?.Contains(target.Kind) ?? false).Select(l => l.Name), "loss")));
        foreach (var metric in metrics)
        {
            if (!Refuses(metric.TargetKinds, target.Kind)) continue;
            throw new DataBlocksException(Message(dls, target, $"the metric {metric.Name} ({metric.GetType().Name})", "scores", metric.TargetKinds!,
                Fitting(BuiltInMetrics.Where(m => m.TargetKinds?.Contains(target.Kind) ?? false).Select(m => m.GetType().Name), "metric")));
        }
    }

    private static bool Refuses(IReadOnlyList<FieldKind>? kinds, FieldKind kind) => kinds is not null && !kinds.Contains(kind);

    private static string Message(DataLoaders dls, IFieldCodec target, string what, string verb, IReadOnlyList<FieldKind> kinds, string fitting) =>
        $"{dls.Datasets.Name}: {what} cannot be used with the target {target.Field.Member}, a {BlockName(target.Kind)} " +
        $"(batches {Shape(target)}); it {verb} {string.Join(" or ", kinds.Select(BlockName))} targets. {fitting}";

    private static string Fitting(IEnumerable<string> names, string what) => names.ToArray() is { Length: > 0 } fit
        ? $"For this target use {string.Join(", ", fit)}."
        : $"No built-in {what} fits this target; pass one of your own.";

    private static string BlockName(FieldKind kind) => kind switch
    {
        FieldKind.Points => "PointBlock",
        FieldKind.Custom => "custom block",
        _ => kind + "Block",
    };

    private static string Shape(IFieldCodec target) => target.Kind switch
    {
        FieldKind.Category or FieldKind.Categorical => "int64 [B]",
        FieldKind.MultiCategory => $"float32 [B, {target.OutputCount}]",
        FieldKind.Regression when target.OutputCount == 1 => "float32 [B]",
        FieldKind.Regression => $"float32 [B, {target.OutputCount}]",
        FieldKind.Points => $"float32 [B, {target.OutputCount / 2}, 2]",
        FieldKind.Image => "uint8 [B, 3, H, W]",
        _ => "custom",
    };
}
