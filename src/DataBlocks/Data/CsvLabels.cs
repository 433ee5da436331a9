using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;

namespace DataBlocks.Data;

/// <summary>One row of a labels CSV: the file it names, its labels, and the CSV file and line it came from.</summary>
/// <param name="Path">The image file: <c>folder/</c> + id + suffix.</param>
/// <param name="Labels">The labels (several when a delimiter splits the label column).</param>
/// <param name="Line">The 1-based line of the CSV file the row was read from (its first line when a quoted field spans several).</param>
/// <param name="Source">The CSV file the row was read from, as given to <see cref="CsvLabels.Read"/>; null for a row made otherwise.</param>
public sealed record CsvLabelRow(string Path, IReadOnlyList<string> Labels, int Line, string? Source = null)
{
    /// <summary>The only label, for single-label data.</summary>
    /// <exception cref="DataBlocksException">The row has zero or several labels; the message names the CSV file and line.</exception>
    public string Label => Labels.Count == 1
        ? Labels[0]
        : throw new DataBlocksException(
            $"{(Source is null ? "Line" : $"'{Source}' line")} {Line} ('{Path}') has {Labels.Count} labels where exactly one was expected.");

    /// <summary>
    /// The file and the CSV file and line that named it, e.g. <c>/data/train/cat.2.jpg (labels.csv line 3)</c>: how the row
    /// is named in messages, so that an image that is missing or bad is traced back to its row.
    /// </summary>
    public override string ToString() =>
        Source is null ? $"{Path} (line {Line})" : $"{Path} ({System.IO.Path.GetFileName(Source)} line {Line})";
}

/// <summary>
/// Reads labels from a CSV with CsvHelper, the way fastai 0.7's <c>ImageClassifierData.from_csv</c> does: one column names
/// the file (without folder and suffix), another holds the labels separated by a space. The header is checked, so that a
/// file whose columns mean something else is an error rather than labels read from the wrong column.
/// </summary>
public static class CsvLabels
{
    /// <summary>
    /// Header names accepted for the id column when no <c>idColumnName</c> is given (case-insensitive): those of fastai's
    /// and Kaggle's labels files (<c>name,label</c> in MNIST_TINY, <c>image_name,tags</c> in Planet, <c>fname,labels</c> in
    /// PASCAL, <c>id,label</c>, <c>image_id,label</c>).
    /// </summary>
    public static IReadOnlyList<string> IdColumnNames { get; } = ["id", "name", "fname", "filename", "file", "image", "image_name", "image_id", "path"];

    /// <summary>Header names accepted for the label column when no <c>labelColumnName</c> is given (case-insensitive).</summary>
    public static IReadOnlyList<string> LabelColumnNames { get; } = ["label", "labels", "tags", "class", "category"];

    /// <summary>Reads every row.</summary>
    /// <param name="csvPath">The CSV file.</param>
    /// <param name="folder">Folder the ids are relative to (fastai: <c>path/folder</c>); relative folders are resolved against the CSV's folder.</param>
    /// <param name="suffix">Appended to each id (fastai: <c>suffix='.jpg'</c>).</param>
    /// <param name="idColumn">Column of the file id (index, 0-based); with a header, its name must be one of <see cref="IdColumnNames"/>. Ignored when <paramref name="idColumnName"/> is given.</param>
    /// <param name="labelColumn">Column of the labels; with a header, its name must be one of <see cref="LabelColumnNames"/>. Ignored when <paramref name="labelColumnName"/> is given.</param>
    /// <param name="labelDelimiter">Splits the label column into several labels; <c>null</c> keeps it whole.</param>
    /// <param name="hasHeader">Whether the first line is a header (fastai: <c>skip_header=True</c>). Without one, columns are taken by position and every row must have as many fields as the first.</param>
    /// <param name="delimiter">The field separator.</param>
    /// <param name="idColumnName">The header's name of the id column (any position, case-insensitive), for a header that uses another name than <see cref="IdColumnNames"/>.</param>
    /// <param name="labelColumnName">The header's name of the label column, for a header that uses another name than <see cref="LabelColumnNames"/>.</param>
    /// <param name="encoding">The text encoding. By default (null) the file is UTF-8 and bytes that are not are an error naming the line; a byte order mark is honoured either way.</param>
    /// <exception cref="DataBlocksException">
    /// Missing or empty file; a header without the id or label column; a row with another number of fields than the header
    /// (or, without a header, than the first row); an empty id; bytes that are not UTF-8 when no <paramref name="encoding"/>
    /// is given. The message names the file and line.
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="idColumnName"/> or <paramref name="labelColumnName"/> is given without a header.</exception>
    public static IReadOnlyList<CsvLabelRow> Read(
        string csvPath, string folder = "", string suffix = "", int idColumn = 0, int labelColumn = 1,
        string? labelDelimiter = " ", bool hasHeader = true, string delimiter = ",",
        string? idColumnName = null, string? labelColumnName = null, Encoding? encoding = null)
    {
        if (!hasHeader && (idColumnName ?? labelColumnName) is not null)
            throw new ArgumentException(
                "Column names need a header; without one (hasHeader: false) columns are taken by position: idColumn and labelColumn.",
                idColumnName is not null ? nameof(idColumnName) : nameof(labelColumnName));
        if (!File.Exists(csvPath))
            throw new DataBlocksException($"The labels CSV '{csvPath}' does not exist.");
        try
        {
            return ReadRows(csvPath, folder, suffix, idColumn, labelColumn, labelDelimiter, hasHeader, delimiter, idColumnName, labelColumnName, encoding);
        }
        catch (Exception e) when (encoding is null && TextFiles.IsDecodingError(e))
        {
            throw TextFiles.NotUtf8(csvPath, e, "pass it as encoding (e.g. encoding: Encoding.Latin1)");
        }
    }

    private static List<CsvLabelRow> ReadRows(
        string csvPath, string folder, string suffix, int idColumn, int labelColumn, string? labelDelimiter, bool hasHeader,
        string delimiter, string? idColumnName, string? labelColumnName, Encoding? encoding)
    {
        string baseDir = Path.IsPathRooted(folder) ? folder : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(csvPath))!, folder);
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = hasHeader,
            Delimiter = delimiter,
            DetectColumnCountChanges = false,
            BadDataFound = null,
        };
        string separated = $"separated by '{TextFiles.Printable(delimiter)}'";
        var rows = new List<CsvLabelRow>();
        using var reader = TextFiles.Open(csvPath, encoding);
        using var csv = new CsvReader(reader, config);
        // Every row has the header's number of fields; without a header, the first row's.
        int? fieldCount = null;
        string sameAs = "as in the header";
        if (hasHeader)
        {
            if (!csv.Read())
                throw new DataBlocksException($"The labels CSV '{csvPath}' is empty.");
            csv.ReadHeader();
            string[] header = csv.HeaderRecord ?? [];
            (idColumn, labelColumn) = FindColumns(csvPath, csv.Parser.RawRow, header, idColumn, labelColumn, idColumnName, labelColumnName);
            fieldCount = header.Length;
        }
        while (csv.Read())
        {
            string[] fields = csv.Parser.Record ?? [];
            string raw = csv.Parser.RawRecord;
            int line = TextFiles.FirstLine(csv.Parser.RawRow, raw);
            if (fieldCount is null)
            {
                if (fields.Length <= Math.Max(idColumn, labelColumn))
                    throw new DataBlocksException(
                        $"'{csvPath}' line {line}: expected the id in column {idColumn} and labels in column {labelColumn}, but the row has {fields.Length} field(s).");
                fieldCount = fields.Length;
                sameAs = $"as on line {line}, the first row";
            }
            if (fields.Length != fieldCount)
            {
                string trailing = fields.Length > fieldCount ? TextFiles.TrailingDelimiterNote(raw, delimiter) : "";
                throw new DataBlocksException($"'{csvPath}' line {line}: expected {fieldCount} fields {separated} {sameAs}, found {fields.Length}{trailing}.");
            }
            string id = fields[idColumn], labels = fields[labelColumn];
            if (string.IsNullOrWhiteSpace(id))
                throw new DataBlocksException($"'{csvPath}' line {line}: the id column {idColumn} is empty.");
            IReadOnlyList<string> split = labelDelimiter is null
                ? [labels]
                : labels.Split(labelDelimiter, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            rows.Add(new CsvLabelRow(Path.Combine(baseDir, id + suffix), split, line, csvPath));
        }
        if (rows.Count == 0)
            throw new DataBlocksException($"The labels CSV '{csvPath}' has no data rows.");
        return rows;
    }

    /// <summary>The id and label columns the header names, or an error listing what was expected and what was found.</summary>
    private static (int Id, int Label) FindColumns(
        string csvPath, int line, string[] header, int idColumn, int labelColumn, string? idColumnName, string? labelColumnName)
    {
        string[] names = header.Select(h => h.Trim()).ToArray();
        var problems = new List<string>();
        int id = FindColumn(names, idColumn, idColumnName, IdColumnNames, "ids", nameof(idColumnName), problems);
        int label = FindColumn(names, labelColumn, labelColumnName, LabelColumnNames, "labels", nameof(labelColumnName), problems);
        if (problems.Count > 0)
            throw new DataBlocksException(
                $"'{csvPath}' line {line}: the header ({string.Join(", ", names)}) {string.Join("; it ", problems)}. " +
                "If the first line is not a header, pass hasHeader: false.");
        return (id, label);
    }

    private static int FindColumn(
        string[] names, int position, string? name, IReadOnlyList<string> conventional, string what, string parameter, List<string> problems)
    {
        if (name is not null)
        {
            int found = Array.FindIndex(names, n => string.Equals(n, name.Trim(), StringComparison.OrdinalIgnoreCase));
            if (found < 0) problems.Add($"has no column '{name}' ({parameter}) for the {what}");
            return found;
        }
        string expected = string.Join(", ", conventional);
        if (position < 0 || position >= names.Length)
        {
            problems.Add($"has no column {position} for the {what} (one of {expected}); pass {parameter}");
            return position;
        }
        if (conventional.Contains(names[position], StringComparer.OrdinalIgnoreCase)) return position;
        // A column of a conventional name elsewhere is probably the one meant; else the user knows which.
        string? elsewhere = names.FirstOrDefault(n => conventional.Contains(n, StringComparer.OrdinalIgnoreCase));
        problems.Add($"names column {position} '{names[position]}' where one of {expected} was expected for the {what}; " +
                     (elsewhere is not null
                         ? $"to read the {what} from '{elsewhere}', pass {parameter}: \"{elsewhere}\""
                         : $"if '{names[position]}' holds the {what}, pass {parameter}: \"{names[position]}\""));
        return position;
    }
}
