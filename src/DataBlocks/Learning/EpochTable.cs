using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace DataBlocks.Learning;

/// <summary>
/// Formats the epoch table exactly as fastai prints it in a console (fastprogress): names shorter than 8 characters are
/// padded to 8 and joined by two spaces; each value is padded to its column name's width plus two; losses and metrics
/// with 6 decimals; time as <c>mm:ss</c>.
/// </summary>
public sealed class EpochTable
{
    private readonly string[] _names;

    /// <summary>A table with the columns <c>epoch, train_loss, valid_loss, metrics..., time</c>.</summary>
    public EpochTable(IEnumerable<string> metricNames)
    {
        Columns = new[] { "epoch", "train_loss", "valid_loss" }.Concat(metricNames).Append("time").ToArray();
        _names = Columns.Select(n => n.Length < 8 ? n + new string(' ', 8 - n.Length) : n).ToArray();
    }

    /// <summary>The column names.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The header line.</summary>
    public string Header => string.Join("  ", _names);

    /// <summary>The line of one epoch.</summary>
    public string Row(EpochResult r)
    {
        var values = new List<string> { r.Epoch.ToString(CultureInfo.InvariantCulture), Number(r.TrainLoss), Number(r.ValidLoss) };
        values.AddRange(r.Metrics.Select(m => Number(m.Value)));
        values.Add(Time(r.Time));
        var sb = new StringBuilder();
        for (int i = 0; i < values.Count; i++)
            sb.Append(values[i]).Append(' ', Math.Max(0, 2 + _names[i].Length - values[i].Length));
        return sb.ToString();
    }

    /// <summary>fastai's number format: 6 decimals (<c>nan</c> for NaN).</summary>
    public static string Number(double v) => double.IsNaN(v) ? "nan" : v.ToString("0.000000", CultureInfo.InvariantCulture);

    /// <summary>fastai's time format: <c>mm:ss</c> (hours folded into minutes).</summary>
    public static string Time(TimeSpan t) => $"{(int)t.TotalMinutes:00}:{t.Seconds:00}";
}
