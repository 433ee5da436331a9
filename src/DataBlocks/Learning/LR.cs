using System;
using System.Globalization;
using System.Linq;

namespace DataBlocks.Learning;

/// <summary>
/// A learning rate for every parameter group, written the fastai ways: one number for all groups, one per group
/// (fastai 0.7's <c>np.array([1e-4, 1e-3, 1e-2])</c>), or a slice. Converts implicitly from <c>double</c> and
/// <c>double[]</c>. fastai: the <c>lr</c> argument of <c>set_hyper</c>, <c>fit</c>, <c>fit_one_cycle</c>.
/// </summary>
public readonly struct LR
{
    private readonly double[]? _values;
    private readonly double _start;
    private readonly double _end;
    private readonly Kind _kind;

    private enum Kind { Single, PerGroup, Slice, SliceEnd }

    private LR(Kind kind, double start, double end, double[]? values)
    {
        _kind = kind;
        _start = start;
        _end = end;
        _values = values;
    }

    /// <summary>The same rate for every group.</summary>
    public static implicit operator LR(double lr) => new(Kind.Single, lr, lr, null);

    /// <summary>One rate per group, body first, head last.</summary>
    public static implicit operator LR(double[] lrs) => new(Kind.PerGroup, 0, 0, (double[])lrs.Clone());

    /// <summary>
    /// <c>slice(start, end)</c>: rates spread geometrically from <paramref name="start"/> (first group) to
    /// <paramref name="end"/> (last group), fastcore's <c>even_mults</c>.
    /// </summary>
    public static LR Slice(double start, double end) => new(Kind.Slice, start, end, null);

    /// <summary><c>slice(end)</c>: the last group at <paramref name="end"/>, every other group at <c>end / 10</c>.</summary>
    public static LR Slice(double end) => new(Kind.SliceEnd, end, end, null);

    /// <summary>The rate of each of <paramref name="groups"/> groups, as fastai expands it.</summary>
    /// <exception cref="ArgumentException">A per-group array whose length is not the number of groups.</exception>
    public double[] Expand(int groups)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        switch (_kind)
        {
            case Kind.Single:
                return Enumerable.Repeat(_start, groups).ToArray();
            case Kind.PerGroup:
                if (_values!.Length != groups)
                    throw new ArgumentException($"Trying to set {_values.Length} learning rates, but there are {groups} parameter groups.");
                return (double[])_values.Clone();
            case Kind.SliceEnd:
                return Enumerable.Repeat(_end / 10, groups - 1).Append(_end).ToArray();
            default:
                return EvenMults(_start, _end, groups);
        }
    }

    /// <summary>fastcore's <c>even_mults(start, stop, n)</c>: <c>start·(stop/start)^(i/(n−1))</c>; one group gets <c>stop</c>.</summary>
    public static double[] EvenMults(double start, double stop, int n)
    {
        if (n == 1) return [stop];
        double mult = stop / start;
        double step = Math.Pow(mult, 1.0 / (n - 1));
        return Enumerable.Range(0, n).Select(i => start * Math.Pow(step, i)).ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => Format("G4");

    /// <summary>The rates with every digit (round-trip format): checkpoints use it to tell fits apart.</summary>
    internal string ToRoundTripString() => Format("R");

    private string Format(string format) => _kind switch
    {
        Kind.Single => _start.ToString(format, CultureInfo.InvariantCulture),
        Kind.PerGroup => "[" + string.Join(", ", _values!.Select(v => v.ToString(format, CultureInfo.InvariantCulture))) + "]",
        Kind.SliceEnd => $"slice({_end.ToString(format, CultureInfo.InvariantCulture)})",
        _ => $"slice({_start.ToString(format, CultureInfo.InvariantCulture)}, {_end.ToString(format, CultureInfo.InvariantCulture)})",
    };
}
