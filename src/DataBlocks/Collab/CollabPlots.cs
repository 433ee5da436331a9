using System;
using System.Globalization;
using System.Linq;

namespace DataBlocks.Collab;

/// <summary>
/// Plots of what a collaborative-filtering model learned: fastbook's labelled PCA scatter of the item factors. Extension
/// methods of <see cref="CollabModel{TUser, TItem}"/>, called as its members (<c>films.PlotItemPca("pca.png")</c>).
/// </summary>
public static class CollabPlots
{
    /// <summary>
    /// The fastbook plot: PCA of the factors of the <paramref name="pool"/> most rated items, and a scatter of the first
    /// <paramref name="labelled"/> of them on components <paramref name="xComponent"/> and <paramref name="yComponent"/>,
    /// each point labelled with its item. Writes a PNG atomically; returns its path.
    /// </summary>
    /// <exception cref="InvalidOperationException">Fewer rated items than the plot needs.</exception>
    public static string PlotItemPca<TUser, TItem>(this CollabModel<TUser, TItem> model, string path, int pool = 1000, int labelled = 50,
        int xComponent = 0, int yComponent = 2) where TUser : notnull where TItem : notnull
    {
        var items = model.MostRated(pool);
        int components = Math.Max(xComponent, yComponent) + 1;
        if (items.Count < Math.Max(2, components))
            throw new InvalidOperationException(
                $"The plot needs at least {Math.Max(2, components)} rated items for component {components - 1}; there are {items.Count}.");
        var pca = model.ItemPca(items, components);
        int n = Math.Min(labelled, items.Count);
        var points = Enumerable.Range(0, n)
            .Select(i => new PlotMarker(Convert.ToString(items[i], CultureInfo.InvariantCulture) ?? "", pca[i][xComponent], pca[i][yComponent])).ToArray();
        return Plots.LabelledScatter(path, $"Item factors: PCA of the {items.Count} most rated items",
            $"component {xComponent}", $"component {yComponent}", points);
    }
}
