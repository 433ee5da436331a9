using System.Collections.Generic;
using System.Linq;

namespace DataBlocks.Bench;

/// <summary>Summaries of repeated measurements.</summary>
internal static class Stats
{
    /// <summary>The middle value (the upper one of the two middles for an even count), robust to one slow outlier.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
