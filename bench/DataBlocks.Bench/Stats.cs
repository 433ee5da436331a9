using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace DataBlocks.Bench;

/// <summary>Summaries of repeated measurements.</summary>
internal static class Stats
{
    /// <summary>The middle value (the upper one of the two middles for an even count), robust to one slow outlier.</summary>
    public static double Median(IEnumerable<double> values) => MedianBy(values, v => v);

    /// <summary>The item with the middle <paramref name="key"/> (the upper one of the two middles for an even count).</summary>
    public static T MedianBy<T>(IEnumerable<T> items, Func<T, double> key)
    {
        var sorted = items.OrderBy(key).ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>How long <paramref name="action"/> takes, in seconds.</summary>
    public static double Seconds(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
