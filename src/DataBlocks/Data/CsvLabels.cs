using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using CsvHelper;
using CsvHelper.Configuration;

namespace DataBlocks.Data;

/// <summary>One row of a labels CSV: the file it names, its labels, and where it came from.</summary>
/// <param name="Path">The image file: <c>folder/</c> + id + suffix.</param>
/// <param name="Labels">The labels (several when a delimiter splits the label column).</param>
/// <param name="Line">The 1-based line of the CSV file the row was read from.</param>
public sealed record CsvLabelRow(string Path, IReadOnlyList<string> Labels, int Line)
{
    /// <summary>The only label, for single-label data.</summary>
    /// <exception cref="DataBlocksException">The row has zero or several labels.</exception>
    public string Label => Labels.Count == 1
        ? Labels[0]
        : throw new DataBlocksException($"Line {Line} ('{Path}') has {Labels.Count} labels where exactly one was expected.");

    /// <summary>The file and the CSV line it came from (how the row is named in messages).</summary>
    public override string ToString() => $"{Path} (line {Line})";
}

/// <summary>
/// Reads labels from a CSV with CsvHelper, the way fastai 0.7's <c>ImageClassifierData.from_csv</c> does: column 0 names
/// the file (without folder and suffix), column 1 holds the labels separated by a space.
/// </summary>
public static class CsvLabels
{
    /// <summary>Reads every row.</summary>
    /// <param name="csvPath">The CSV file.</param>
    /// <param name="folder">Folder the ids are relative to (fastai: <c>path/folder</c>); relative folders are resolved against the CSV's folder.</param>
    /// <param name="suffix">Appended to each id (fastai: <c>suffix='.jpg'</c>).</param>
    /// <param name="idColumn">Column of the file id (index, 0-based).</param>
    /// <param name="labelColumn">Column of the labels.</param>
    /// <param name="labelDelimiter">Splits the label column into several labels; <c>null</c> keeps it whole.</param>
    /// <param name="hasHeader">Whether the first line is a header (fastai: <c>skip_header=True</c>).</param>
    /// <param name="delimiter">The field separator.</param>
    /// <exception cref="DataBlocksException">Missing file, empty file, a row without the id or label column, or an empty id — the message names the file and line.</exception>
    public static IReadOnlyList<CsvLabelRow> Read(
        string csvPath, string folder = "", string suffix = "", int idColumn = 0, int labelColumn = 1,
        string? labelDelimiter = " ", bool hasHeader = true, string delimiter = ",")
    {
        if (!File.Exists(csvPath))
            throw new DataBlocksException($"The labels CSV '{csvPath}' does not exist.");
        string baseDir = Path.IsPathRooted(folder) ? folder : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(csvPath))!, folder);
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = hasHeader,
            Delimiter = delimiter,
            DetectColumnCountChanges = false,
            BadDataFound = null,
        };
        var rows = new List<CsvLabelRow>();
        using var reader = new StreamReader(csvPath);
        using var csv = new CsvReader(reader, config);
        if (hasHeader)
        {
            if (!csv.Read())
                throw new DataBlocksException($"The labels CSV '{csvPath}' is empty.");
            csv.ReadHeader();
        }
        while (csv.Read())
        {
            int line = csv.Parser.RawRow;
            string? id = csv.TryGetField(idColumn, out string? idValue) ? idValue : null;
            string? labels = csv.TryGetField(labelColumn, out string? labelValue) ? labelValue : null;
            if (id is null || labels is null)
                throw new DataBlocksException(
                    $"'{csvPath}' line {line}: expected the id in column {idColumn} and labels in column {labelColumn}, but the row has {csv.Parser.Count} column(s).");
            if (string.IsNullOrWhiteSpace(id))
                throw new DataBlocksException($"'{csvPath}' line {line}: the id column {idColumn} is empty.");
            IReadOnlyList<string> split = labelDelimiter is null
                ? [labels]
                : labels.Split(labelDelimiter, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            rows.Add(new CsvLabelRow(Path.Combine(baseDir, id + suffix), split, line));
        }
        if (rows.Count == 0)
            throw new DataBlocksException($"The labels CSV '{csvPath}' has no data rows.");
        return rows;
    }
}
