using System.Collections.Generic;

namespace DataBlocks;

/// <summary>What a line plot shows, before it is drawn: the text around it, its lines and its marked points.</summary>
/// <param name="Title">The title.</param>
/// <param name="XLabel">The x axis label.</param>
/// <param name="YLabel">The y axis label.</param>
/// <param name="Series">The lines.</param>
/// <param name="LogX">A log-scaled x axis.</param>
/// <param name="Markers">Points to mark.</param>
internal sealed record LinePlot(string Title, string XLabel, string YLabel, IReadOnlyList<PlotSeries> Series, bool LogX = false,
    IReadOnlyList<PlotMarker>? Markers = null)
{
    /// <summary>Draws it and writes a PNG to <paramref name="path"/>; returns the path.</summary>
    public string Write(string path) => Plots.Line(path, Title, XLabel, YLabel, Series, LogX, Markers);
}
