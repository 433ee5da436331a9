using System;
using System.Collections.Generic;

namespace DataBlocks.Learning;

/// <summary>One row of the epoch table.</summary>
/// <param name="Epoch">The 0-based epoch.</param>
/// <param name="TrainLoss">The smoothed training loss at the end of the epoch (fastai reports this, not the epoch mean).</param>
/// <param name="ValidLoss">The validation loss, averaged over items.</param>
/// <param name="Metrics">Metric values by name, in column order.</param>
/// <param name="Time">Wall time of the epoch (training and validation).</param>
public sealed record EpochResult(int Epoch, double TrainLoss, double ValidLoss, IReadOnlyList<KeyValuePair<string, double>> Metrics, TimeSpan Time)
{
    /// <summary>The value of metric <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such metric.</exception>
    public double Metric(string name)
    {
        foreach (var m in Metrics)
            if (m.Key == name) return m.Value;
        throw new KeyNotFoundException($"No metric named '{name}' (have: {string.Join(", ", Metrics)}).");
    }
}
