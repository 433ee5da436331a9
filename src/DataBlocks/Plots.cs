using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace DataBlocks;

/// <summary>A named point: a marker on a line plot (its label in the legend) or a point of a labelled scatter (its label drawn next to it).</summary>
/// <param name="Label">The legend text, or the text drawn next to the point.</param>
/// <param name="X">Its x value.</param>
/// <param name="Y">Its y value.</param>
public sealed record PlotMarker(string Label, double X, double Y);

/// <summary>A named line of a plot.</summary>
/// <param name="Label">The legend text.</param>
/// <param name="X">The x values.</param>
/// <param name="Y">The y values.</param>
public sealed record PlotSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>Plots written as PNG with ScottPlot (atomically): lines for the recorder and the learning-rate finder, labelled scatters for embeddings.</summary>
public static class Plots
{
    /// <summary>Draws the series (and markers) and writes a PNG to <paramref name="path"/>; returns the path.</summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="title">The title.</param>
    /// <param name="xLabel">The x axis label.</param>
    /// <param name="yLabel">The y axis label.</param>
    /// <param name="series">The lines.</param>
    /// <param name="logX">A log-scaled x axis (values must be positive).</param>
    /// <param name="markers">Points to mark.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    public static string Line(string path, string title, string xLabel, string yLabel, IEnumerable<PlotSeries> series, bool logX = false,
        IEnumerable<PlotMarker>? markers = null, int width = 800, int height = 500)
    {
        var plot = new ScottPlot.Plot();
        Func<double, double> x = logX ? v => Math.Log10(v) : v => v;
        bool legend = false;
        foreach (var s in series)
        {
            var points = s.X.Zip(s.Y).Where(p => double.IsFinite(p.Second) && (!logX || p.First > 0)).ToArray();
            if (points.Length == 0) continue;
            var line = plot.Add.Scatter(points.Select(p => x(p.First)).ToArray(), points.Select(p => p.Second).ToArray());
            line.MarkerSize = points.Length > 60 ? 0 : 4;
            if (!string.IsNullOrEmpty(s.Label))
            {
                line.LegendText = s.Label;
                legend = true;
            }
        }
        foreach (var m in markers ?? [])
        {
            if (!double.IsFinite(m.Y) || (logX && m.X <= 0)) continue;
            var marker = plot.Add.Marker(x(m.X), m.Y, ScottPlot.MarkerShape.FilledCircle, 10);
            marker.LegendText = m.Label;
            legend = true;
        }
        if (logX)
        {
            var ticks = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => Math.Pow(10, v).ToString("0.#e0", CultureInfo.InvariantCulture),
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
            };
            plot.Axes.Bottom.TickGenerator = ticks;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (legend) plot.ShowLegend();
        return Save(plot, path, width, height);
    }

    /// <summary>
    /// A scatter of labelled points (each point's text drawn next to it) written as PNG to <paramref name="path"/>;
    /// returns the path. fastbook's PCA plot of item factors.
    /// </summary>
    public static string LabelledScatter(string path, string title, string xLabel, string yLabel, IEnumerable<PlotMarker> points,
        int width = 1000, int height = 800)
    {
        var plot = new ScottPlot.Plot();
        var list = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray();
        var scatter = plot.Add.ScatterPoints(list.Select(p => p.X).ToArray(), list.Select(p => p.Y).ToArray());
        scatter.MarkerSize = 6;
        foreach (var p in list)
        {
            var text = plot.Add.Text(p.Label, p.X, p.Y);
            text.LabelFontSize = 10;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return Save(plot, path, width, height);
    }

    private static string Save(ScottPlot.Plot plot, string path, int width, int height)
    {
        string full = Path.GetFullPath(path);
        byte[] png = plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
        AtomicFile.Write(full, stream => stream.Write(png));
        return full;
    }
}
