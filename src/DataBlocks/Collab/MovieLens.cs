using System.Collections.Generic;
using System.IO;
using System.Text;
using DataBlocks.Data;

namespace DataBlocks.Collab;

/// <summary>One MovieLens rating merged with its movie's title.</summary>
/// <param name="User">The user id.</param>
/// <param name="Movie">The movie id.</param>
/// <param name="Title">The movie's title (from <c>u.item</c>).</param>
/// <param name="Rating">The rating, 1 to 5 stars.</param>
/// <param name="Timestamp">Seconds since 1970-01-01 UTC.</param>
public sealed record MovieRating(int User, int Movie, string Title, float Rating, long Timestamp);

/// <summary>
/// Reads the MovieLens 100k files the way the fastai lesson does: <c>u.data</c> (tab-separated, no header: user, movie,
/// rating, timestamp) merged with the titles of <c>u.item</c> (<c>|</c>-separated, latin-1). Errors name the file and
/// line. The data is not shipped with DataBlocks (its licence forbids redistribution): download it from GroupLens.
/// </summary>
public static class MovieLens
{
    private sealed record DataRow(int User, int Movie, float Rating, long Timestamp);

    private sealed record ItemRow(int Id, string Title);

    /// <summary>Reads <c>u.data</c> and <c>u.item</c> from <paramref name="folder"/> (the unzipped <c>ml-100k</c>).</summary>
    /// <param name="folder">The folder with <c>u.data</c> and <c>u.item</c>.</param>
    /// <param name="skipBadRows">Leave out bad rows (reported on <paramref name="report"/>) instead of failing.</param>
    /// <param name="report">Where skipped rows are listed (default: standard error).</param>
    /// <exception cref="DataBlocksException">A missing file, a bad row, or a rating of a movie <c>u.item</c> does not list.</exception>
    public static IReadOnlyList<MovieRating> Read100k(string folder, bool skipBadRows = false, TextWriter? report = null)
    {
        report ??= System.Console.Error;
        string dataPath = Path.Combine(folder, "u.data"), itemPath = Path.Combine(folder, "u.item");
        var items = DelimitedFile.Read<ItemRow>(itemPath, new DelimitedOptions
        {
            // 24 fields: id, title, dates, URL and 19 genre flags, of which the titles need the first two.
            Delimiter = "|", HasHeader = false, Encoding = Encoding.Latin1, Quoted = false, IgnoreExtraFields = true,
            SkipBadRows = skipBadRows, Report = report,
        });
        var titles = new Dictionary<int, string>(items.Count);
        for (int i = 0; i < items.Count; i++)
            if (!titles.TryAdd(items[i].Id, items[i].Title))
                throw new DataBlocksException($"'{itemPath}' line {items.Lines[i]}: movie {items[i].Id} is listed twice.");
        var data = DelimitedFile.Read<DataRow>(dataPath, new DelimitedOptions
        {
            Delimiter = "\t", HasHeader = false, Quoted = false, SkipBadRows = skipBadRows, Report = report,
        });
        var rows = new List<MovieRating>(data.Count);
        int unknown = 0;
        for (int i = 0; i < data.Count; i++)
        {
            var d = data[i];
            if (!titles.TryGetValue(d.Movie, out string? title))
            {
                string problem = $"'{dataPath}' line {data.Lines[i]}: movie {d.Movie} is not in '{itemPath}'.";
                if (!skipBadRows) throw new DataBlocksException(problem);
                report.WriteLine(problem);
                unknown++;
                continue;
            }
            rows.Add(new MovieRating(d.User, d.Movie, title, d.Rating, d.Timestamp));
        }
        if (rows.Count == 0) throw new DataBlocksException($"'{dataPath}': no rating could be read ({unknown} name unknown movies).");
        return rows;
    }
}
