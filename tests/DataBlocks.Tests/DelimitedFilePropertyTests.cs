using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using CsCheck;
using CsvHelper;
using DataBlocks.Data;
using DataBlocks.TestKit;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>
/// Properties of <see cref="DelimitedFile.Read{T}"/> against an independent writer (CsvHelper's <see cref="CsvWriter"/>): what
/// it writes reads back equal, and a row whose number of fields is changed is named by its line.
/// </summary>
public class DelimitedFilePropertyTests
{
    public sealed record Entry(string Name, int Count, double Score, string? Note = null);

    // Pieces that need quoting or are easy to mangle: delimiters, quotes, line breaks (also a lone \r), spaces at either
    // end (the reader does not trim), non-ASCII text, a U+FFFD that is a real character, and a character outside the BMP.
    private static readonly string[] Pieces = ["a", "Z", "7", " ", ",", "\"", "\n", "\r\n", "\r", "\t", "é", "\uFFFD", "\U0001F600", "x y", "''"];

    // Line breaks that start a new line in the file the same way for writer, reader and this test (no lone \r).
    private static readonly string[] LinePieces = Pieces.Where(p => p != "\r").ToArray();

    private static Gen<string> Text(string[] pieces) => Gen.OneOf(pieces).Array[1, 6].Select(string.Concat);

    // Name is required: a blank one is an error by design. Note is optional: an empty field reads as null, so the
    // generator makes null or a non-empty note. Non-finite numbers are errors by design (AllowNonFinite), so are left out.
    private static Gen<Entry> Entries(string[] pieces) =>
        Gen.Select(Text(pieces).Where(s => !string.IsNullOrWhiteSpace(s)), Gen.Int, Gen.Double.Where(double.IsFinite), Gen.Null(Text(pieces), 0.3),
            (name, count, score, note) => new Entry(name, count, score, note));

    private static int _files;

    private static string NewFile(TempDir dir) => dir.Combine($"case{Interlocked.Increment(ref _files)}.csv");

    [Fact]
    public void What_CsvWriter_Writes_Reads_Back_Equal()
    {
        using var dir = new TempDir();
        Entries(Pieces).Array[1, 8].Sample(entries =>
        {
            string path = NewFile(dir);
            using (var writer = new StreamWriter(path, false, new UTF8Encoding(false)))
            using (var csv = new CsvWriter(writer, CultureInfo.InvariantCulture))
                csv.WriteRecords(entries);
            var rows = DelimitedFile.Read<Entry>(path, new DelimitedOptions { Report = null });
            Assert.Equal(entries, rows);
            Assert.Empty(rows.Skipped);
        }, iter: 300, threads: 1);
    }

    [Fact]
    public void A_Row_With_Too_Few_Or_Too_Many_Fields_Is_Named_By_Its_Line()
    {
        using var dir = new TempDir();
        // Valid rows, blank lines before some of them, one row (the target) written with `change` fields more or fewer.
        var cases = Gen.Select(Entries(LinePieces).Array[1, 8], Gen.Bool.Array[8], Gen.Int[0, 7], Gen.OneOf(-3, -2, -1, 1, 2));
        cases.Sample((entries, blanks, pick, change) =>
        {
            int target = pick % entries.Length;
            var text = new StringWriter();
            int targetLine = 0;
            using (var csv = new CsvWriter(text, CultureInfo.InvariantCulture))
            {
                csv.WriteHeader<Entry>();
                csv.NextRecord();
                for (int i = 0; i < entries.Length; i++)
                {
                    csv.Flush();
                    if (blanks[i]) text.Write("\r\n");
                    // The line the row starts on: one more than the line breaks written so far.
                    targetLine = i == target ? text.ToString().Count(c => c == '\n') + 1 : targetLine;
                    var e = entries[i];
                    string[] fields = [e.Name, e.Count.ToString(CultureInfo.InvariantCulture), e.Score.ToString("R", CultureInfo.InvariantCulture), e.Note ?? ""];
                    if (i == target) fields = change < 0 ? fields[..(fields.Length + change)] : [.. fields, .. Enumerable.Repeat("extra", change)];
                    foreach (string field in fields) csv.WriteField(field);
                    csv.NextRecord();
                }
            }
            string path = NewFile(dir);
            File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
            int found = 4 + change;

            var error = Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Entry>(path));
            Assert.StartsWith($"'{path}' line {targetLine}: expected 4 fields separated by ',' as in the header, found {found}", error.Message);

            if (entries.Length == 1) return;   // skipping the only row leaves none: an error of its own
            var rows = DelimitedFile.Read<Entry>(path, new DelimitedOptions { SkipBadRows = true, Report = null });
            Assert.Equal(targetLine, Assert.Single(rows.Skipped).Line);
            Assert.Equal(entries.Where((_, i) => i != target), rows);
        }, iter: 300, threads: 1);
    }
}
