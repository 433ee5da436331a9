using System;
using System.Linq;

namespace DataBlocks.Learning;

/// <summary>A hyper-parameter as a function of training progress <c>pos</c> in [0, 1]. fastai: a <c>Scheduler</c>.</summary>
public delegate double Schedule(double pos);

/// <summary>
/// fastai's annealing functions and their combinations (fastai: <c>SchedLin</c>, <c>SchedCos</c>, <c>SchedNo</c>,
/// <c>SchedExp</c>, <c>SchedPoly</c>, <c>combine_scheds</c>, <c>combined_cos</c>). Computed in double precision.
/// </summary>
public static class Sched
{
    /// <summary>Linear from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public static Schedule Lin(double start, double end) => pos => start + pos * (end - start);

    /// <summary>Half a cosine from <paramref name="start"/> to <paramref name="end"/>: <c>start + (1 + cos(π(1 − pos)))(end − start)/2</c>.</summary>
    public static Schedule Cos(double start, double end) => pos => start + (1 + Math.Cos(Math.PI * (1 - pos))) * (end - start) / 2;

    /// <summary>Constant at <paramref name="start"/>.</summary>
    public static Schedule No(double start, double end = double.NaN) => _ => start;

    /// <summary>Exponential: <c>start · (end/start)^pos</c>.</summary>
    public static Schedule Exp(double start, double end) => pos => start * Math.Pow(end / start, pos);

    /// <summary>Polynomial: <c>start + (end − start) · pos^power</c>.</summary>
    public static Schedule Poly(double start, double end, double power) => pos => start + (end - start) * Math.Pow(pos, power);

    /// <summary>
    /// Pieces one after the other: piece <c>k</c> covers the fraction <c>pcts[k]</c> of training (the fractions sum to 1)
    /// and receives its own position in [0, 1]. At <c>pos = 1</c> the last piece is evaluated at 1.
    /// </summary>
    /// <remarks>The cumulative bounds are exact doubles: fastai keeps them in float32, which delays a restart by one
    /// iteration when a bound rounds up (e.g. SGDR's 3/7), see trace_notes.md; we restart at the exact iteration.</remarks>
    /// <exception cref="ArgumentException">Lengths differ or the fractions do not sum to 1.</exception>
    public static Schedule Combine(double[] pcts, Schedule[] scheds)
    {
        if (pcts.Length != scheds.Length || pcts.Length == 0)
            throw new ArgumentException("Give one fraction per schedule piece.", nameof(pcts));
        if (Math.Abs(pcts.Sum() - 1) > 1e-9 || pcts.Any(p => p < 0))
            throw new ArgumentException($"The fractions must be non-negative and sum to 1 (they sum to {pcts.Sum()}).", nameof(pcts));
        var bounds = new double[pcts.Length + 1];
        for (int i = 0; i < pcts.Length; i++) bounds[i + 1] = bounds[i] + pcts[i];
        bounds[^1] = 1.0;
        return pos =>
        {
            if (pos >= 1.0) return scheds[^1](1.0);
            int k = 0;
            for (int i = 0; i < pcts.Length; i++)
                if (pos >= bounds[i] && bounds[i + 1] > bounds[i]) k = i;
            double width = bounds[k + 1] - bounds[k];
            return scheds[k]((pos - bounds[k]) / width);
        };
    }

    /// <summary>Cosine from <paramref name="start"/> to <paramref name="middle"/> over the first <paramref name="pct"/>, then to <paramref name="end"/>.</summary>
    public static Schedule CombinedCos(double pct, double start, double middle, double end) =>
        Combine([pct, 1 - pct], [Cos(start, middle), Cos(middle, end)]);
}
