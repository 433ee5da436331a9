using System.IO;
using System.Linq;
using System.Text;
using DataBlocks.Collab;
using DataBlocks.Data;
using DataBlocks.TestKit;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>Ratings and titles files: records by position or header, and an error naming the file and line for every kind of bad row.</summary>
public class DelimitedFileTests
{
    public sealed record Rating(int User, int Item, float Value, long Timestamp);

    public sealed record Named(string Title, int Year);

    public sealed record WithNote(int User, int Item, float Value, string? Note = null, int Weight = 1);

    public sealed record Maybe(int User, float? Value);

    public sealed record Titled(int UserId, string MovieTitle, float Rating, long Timestamp = 0);

    public enum Grade { A = 1, B = 2 }

    public sealed record Graded(int User, Grade Grade);

    public sealed record Labelled(string Id, string Label);

    public sealed record Remark(int User, string Note = "")
    {
        public string Shout => Note.ToUpperInvariant();   // computed: not a column, never checked
    }

    private static readonly DelimitedOptions Tsv = new() { Delimiter = "\t", HasHeader = false };

    private static string Write(TempDir dir, string name, string text, Encoding? encoding = null)
    {
        string path = dir.Combine(name);
        File.WriteAllText(path, text, encoding ?? new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void Reads_Records_By_Position_With_Their_Lines()
    {
        using var dir = new TempDir();
        var rows = DelimitedFile.Read<Rating>(Write(dir, "u.data", "196\t242\t3\t881250949\n\n186\t302\t3.5\t891717742\n"), Tsv);
        Assert.Equal([new Rating(196, 242, 3, 881250949), new Rating(186, 302, 3.5f, 891717742)], rows);
        Assert.Equal([1, 3], rows.Lines);
        Assert.Empty(rows.Skipped);
    }

    [Fact]
    public void Reads_Records_By_Header_Name_In_Any_Order_And_Case()
    {
        using var dir = new TempDir();
        var rows = DelimitedFile.Read<Named>(Write(dir, "films.csv", "year,TITLE\n1977,\"Star Wars, Episode IV\"\n"));
        Assert.Equal(new Named("Star Wars, Episode IV", 1977), Assert.Single(rows));
    }

    [Theory]
    [InlineData("196\t242\t3\t1\n186\t302\n", "line 2: expected 4 fields separated by '\\t' (the members of Rating), found 2")]
    [InlineData("196\t242\t3\t1\n186\t302\tabc\t2\n", "line 2: Value: 'abc' is not a valid number")]
    [InlineData("196\t242\t3\t1\n186\t302\tNaN\t2\n", "line 2: Value is NaN; a number is needed")]
    [InlineData("196\t242\t3\t1\n186\t302\t-Infinity\t2\n", "line 2: Value is -Infinity")]
    [InlineData("196\t\t3\t1\n", "line 1: Item is empty")]
    [InlineData("user\titem\trating\ttimestamp\n196\t242\t3\t1\n", "line 1: User: 'user' is not a valid integer (if the first line is a header, set HasHeader)")]
    public void A_Bad_Row_Is_An_Error_Naming_File_Line_And_Field(string text, string expected)
    {
        using var dir = new TempDir();
        string path = Write(dir, "u.data", text);
        var e = Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Rating>(path, Tsv));
        Assert.Contains($"'{path}' {expected}", e.Message);
    }

    [Fact]
    public void Numbers_Are_Invariant_And_Nullable_Numbers_Are_Checked_Too()
    {
        using var dir = new TempDir();
        string comma = Write(dir, "comma.tsv", "1\t2\t3,5\t4\n");   // a decimal comma is not a thousands separator
        Assert.Contains("line 1: Value: '3,5' is not a valid number", Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Rating>(comma, Tsv)).Message);
        string nan = Write(dir, "maybe.csv", "user,value\n1,\n2,NaN\n");
        Assert.Contains("line 3: Value is NaN", Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Maybe>(nan)).Message);
        Assert.Equal([new Maybe(1, null)], DelimitedFile.Read<Maybe>(Write(dir, "ok.csv", "user,value\n1,\n")));
    }

    [Fact]
    public void Parameters_With_Defaults_Are_Optional_Columns()
    {
        using var dir = new TempDir();
        Assert.Equal([new WithNote(1, 2, 3.5f)], DelimitedFile.Read<WithNote>(Write(dir, "a.tsv", "1\t2\t3.5\n"), Tsv));
        Assert.Equal([new WithNote(1, 2, 3.5f, "fine", 2)], DelimitedFile.Read<WithNote>(Write(dir, "b.tsv", "1\t2\t3.5\tfine\t2\n"), Tsv));
        Assert.Equal([new WithNote(1, 2, 3.5f)], DelimitedFile.Read<WithNote>(Write(dir, "c.csv", "user,item,value\n1,2,3.5\n")));
        Assert.Contains("expected 3 to 5 fields separated by '\\t' (the members of WithNote), found 2", Assert.Throws<DataBlocksException>(
            () => DelimitedFile.Read<WithNote>(Write(dir, "d.tsv", "1\t2\n"), Tsv)).Message);

        // With a header, a short row is judged by the header's columns, not by the record's parameter positions: the
        // missing fourth field is MovieTitle (required), not Timestamp (the fourth parameter, optional).
        const string columns = "userId,rating,timestamp,movieTitle\n";
        Assert.Equal([new Titled(2, "Heat", 3.5f, 978300761)], DelimitedFile.Read<Titled>(Write(dir, "e.csv", columns + "2,3.5,978300761,Heat\n")));
        string shortRow = Write(dir, "f.csv", columns + "2,3.5,978300761\n");
        Assert.Contains("line 2: expected 4 fields separated by ',' as in the header, found 3",
            Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Titled>(shortRow)).Message);
        Assert.Equal([new Titled(2, "Heat", 3.5f)], DelimitedFile.Read<Titled>(Write(dir, "g.csv", "movieTitle,userId,rating\nHeat,2,3.5\n")));
    }

    [Fact]
    public void A_Blank_Required_String_And_An_Undefined_Enum_Value_Are_Errors()
    {
        using var dir = new TempDir();
        string blank = Write(dir, "blank.csv", "title,year\nA,1990\n ,1991\n");
        Assert.Contains("line 3: Title is empty", Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Named>(blank)).Message);
        Assert.Equal([new WithNote(1, 2, 3.5f, null, 1)], DelimitedFile.Read<WithNote>(Write(dir, "note.csv", "user,item,value,note\n1,2,3.5,\n")));   // a string? may be blank
        // A parameter with a default may be blank or absent; a computed property is not a column.
        Assert.Equal([new Remark(1, ""), new Remark(2, "hi")], DelimitedFile.Read<Remark>(Write(dir, "remarks.csv", "user,note\n1,\n2,hi\n")));
        Assert.Equal([new Remark(1)], DelimitedFile.Read<Remark>(Write(dir, "users.csv", "user\n1\n")));

        Assert.Equal([new Graded(1, Grade.B)], DelimitedFile.Read<Graded>(Write(dir, "grades.csv", "user,grade\n1,B\n")));
        string seven = Write(dir, "seven.csv", "user,grade\n1,A\n2,7\n");
        Assert.Contains("line 3: Grade: 7 is not a defined Grade value (A, B)", Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Graded>(seven)).Message);
    }

    [Fact]
    public void Quoted_Records_Over_Several_Lines_Keep_Their_First_Line_And_An_Unclosed_Quote_Is_Named()
    {
        using var dir = new TempDir();
        var rows = DelimitedFile.Read<Named>(Write(dir, "multi.csv", "title,year\n\"Two\nlines\",1990\n\"One, with comma\",1991\n"));
        Assert.Equal([new Named("Two\nlines", 1990), new Named("One, with comma", 1991)], rows);
        Assert.Equal([2, 4], rows.Lines);

        string open = Write(dir, "open.csv", "title,year\nA,1990\n\"B,1991\nC,1992\nD,1993\n");
        foreach (bool skip in new[] { false, true })
        {
            var e = Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Named>(open, new DelimitedOptions { SkipBadRows = skip, Report = null }));
            Assert.Contains("line 3: a quote (\") opens a field that never closes", e.Message);
        }
        // On the last line the open quote swallows the final line break: still the line it opens on.
        string openLast = Write(dir, "open-last.csv", "title,year\nA,1990\n\"B,1991\n");
        foreach (bool skip in new[] { false, true })
        {
            var e = Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Named>(openLast, new DelimitedOptions { SkipBadRows = skip, Report = null }));
            Assert.Contains("line 3: a quote (\") opens a field that never closes", e.Message);
        }
        Assert.Equal(["5'11\" tall"], DelimitedFile.Read<Named>(Write(dir, "inch.csv", "title,year\n5'11\" tall,1990\n")).Select(r => r.Title));
    }

    [Fact]
    public void A_Repeated_Header_An_Empty_File_And_A_Missing_Column_Are_Errors()
    {
        using var dir = new TempDir();
        string twice = Write(dir, "twice.csv", "title,year\nA,1990\ntitle,year\nB,1991\n");
        Assert.Contains("line 3: the header line appears again", Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Named>(twice)).Message);
        string empty = Write(dir, "empty.tsv", "");
        Assert.Contains($"'{empty}' is empty", Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Rating>(empty, Tsv)).Message);
        Assert.Contains("is empty: expected a header line", Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Named>(empty)).Message);
        string headerOnly = Write(dir, "header.csv", "title,year\n");
        Assert.Contains("has a header but no data rows", Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Named>(headerOnly)).Message);
        string noYear = Write(dir, "noyear.csv", "title,released\nA,1990\n");
        var e = Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Named>(noYear));
        Assert.Contains("line 1: the header (title, released) lacks the column(s) Year that Named needs", e.Message);
        string late = Write(dir, "late.csv", "\n\ntitle,released\nA,1990\n");   // blank lines before the header
        Assert.Contains("line 3: the header (title, released)", Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Named>(late)).Message);
        Assert.Contains("does not exist", Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Named>(dir.Combine("missing.csv"))).Message);
    }

    [Fact]
    public void Bad_Rows_Can_Be_Skipped_And_Reported()
    {
        using var dir = new TempDir();
        var report = new StringWriter();
        var rows = DelimitedFile.Read<Rating>(Write(dir, "u.data", "1\t2\t3\t4\n1\tx\t3\t4\n5\t6\t7\t8\n9\t10\tNaN\t11\n"),
            Tsv with { SkipBadRows = true, Report = report });
        Assert.Equal([1, 5], rows.Select(r => r.User));
        Assert.Equal([2, 4], rows.Skipped.Select(s => s.Line));
        Assert.Contains("skipped 2 bad row(s)", report.ToString());
        Assert.Contains("line 2: Item: 'x' is not a valid integer", report.ToString());
    }

    [Fact]
    public void A_Row_With_Too_Many_Fields_Is_An_Error_Naming_File_And_Line()
    {
        using var dir = new TempDir();
        string extra = Write(dir, "labels.csv", "id,label\ncat.1,cat\ncat.2,cat,extra\n");
        Assert.Contains($"'{extra}' line 3: expected 2 fields separated by ',' as in the header, found 3;",
            Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Labelled>(extra)).Message);
        // A trailing delimiter starts an empty last field: the message says so.
        string trailing = Write(dir, "trailing.csv", "id,label\ncat.1,cat,\n");
        Assert.Contains("line 2: expected 2 fields separated by ',' as in the header, found 3 (the line ends with ',', which starts an empty last field)",
            Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Labelled>(trailing)).Message);
        // Without a header the record's members are the fields a row may have.
        string wide = Write(dir, "u.data", "196\t242\t3\t1\n186\t302\t3\t2\t9\n");
        Assert.Contains($"'{wide}' line 2: expected 4 fields separated by '\\t' (the members of Rating), found 5",
            Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Rating>(wide, Tsv)).Message);
        string wideOptional = Write(dir, "notes.tsv", "1\t2\t3.5\tfine\t2\tmore\n");
        Assert.Contains("line 1: expected 3 to 5 fields separated by '\\t' (the members of WithNote), found 6",
            Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<WithNote>(wideOptional, Tsv)).Message);

        // A quoted delimiter is inside one field, blank lines are no rows, and extra fields may be asked for.
        var quoted = DelimitedFile.Read<Labelled>(Write(dir, "quoted.csv", "id,label\n\n\"cat,1\",cat\n\n"));
        Assert.Equal([new Labelled("cat,1", "cat")], quoted);
        Assert.Equal([3], quoted.Lines);
        Assert.Equal([new Labelled("cat.1", "cat"), new Labelled("cat.2", "cat")],
            DelimitedFile.Read<Labelled>(extra, new DelimitedOptions { IgnoreExtraFields = true }));
        Assert.Equal([new Rating(196, 242, 3, 1), new Rating(186, 302, 3, 2)], DelimitedFile.Read<Rating>(wide, Tsv with { IgnoreExtraFields = true }));
    }

    [Fact]
    public void A_Row_With_Too_Many_Fields_Is_Skipped_And_Reported_In_Skip_Mode()
    {
        using var dir = new TempDir();
        var report = new StringWriter();
        var rows = DelimitedFile.Read<Labelled>(Write(dir, "labels.csv", "id,label\ncat.1,cat\ncat.2,cat,extra\ndog.1,dog\ndog.2,dog,\n"),
            new DelimitedOptions { SkipBadRows = true, Report = report });
        Assert.Equal([new Labelled("cat.1", "cat"), new Labelled("dog.1", "dog")], rows);
        Assert.Equal([3, 5], rows.Skipped.Select(s => s.Line));
        Assert.StartsWith("expected 2 fields separated by ',' as in the header, found 3", rows.Skipped[0].Reason);
        Assert.Contains("line 5: expected 2 fields separated by ',' as in the header, found 3 (the line ends with ','", report.ToString());
    }

    [Fact]
    public void Bytes_That_Are_Not_Utf8_Are_An_Error_Naming_File_Line_And_The_Encoding_Option()
    {
        using var dir = new TempDir();
        string latin1 = Write(dir, "films.csv", "title,year\nA,1990\nCafé,1991\n", Encoding.Latin1);
        foreach (bool skip in new[] { false, true })   // not a bad row to skip: the whole file is in another encoding
        {
            var e = Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Named>(latin1, new DelimitedOptions { SkipBadRows = skip, Report = null }));
            Assert.Equal($"'{latin1}' line 3: the text is not valid UTF-8 (byte 0xE9); if the file is in another encoding, " +
                         "set DelimitedOptions.Encoding (e.g. Encoding = Encoding.Latin1).", e.Message);
        }
        // Far past the reader's first buffer, and after a UTF-8 byte order mark: still the file's line.
        string late = dir.Combine("late.csv");
        File.WriteAllBytes(late, [.. "\uFEFF"u8, .. Encoding.UTF8.GetBytes("title,year\n" + string.Concat(Enumerable.Repeat("Él,1990\n", 5000))),
                                  .. Encoding.Latin1.GetBytes("Café,1991\n")]);
        Assert.Contains("line 5002: the text is not valid UTF-8 (byte 0xE9)", Assert.Throws<DataBlocksException>(() => DelimitedFile.Read<Named>(late)).Message);
    }

    [Fact]
    public void A_Replacement_Character_Written_As_Utf8_Is_Text_And_Other_Encodings_Are_Read_When_Set()
    {
        using var dir = new TempDir();
        foreach (var utf8 in new[] { new UTF8Encoding(false), new UTF8Encoding(true) })
        {
            string path = Write(dir, "fffd.csv", "title,year\nCaf\uFFFD,1990\n", utf8);
            Assert.Equal("Caf\uFFFD", Assert.Single(DelimitedFile.Read<Named>(path)).Title);
        }
        string latin1 = Write(dir, "latin1.csv", "title,year\nCafé,1991\n", Encoding.Latin1);
        Assert.Equal("Café", Assert.Single(DelimitedFile.Read<Named>(latin1, new DelimitedOptions { Encoding = Encoding.Latin1 })).Title);
        string utf16 = Write(dir, "utf16.csv", "title,year\nCafé,1991\n", Encoding.Unicode);   // found by its byte order mark
        Assert.Equal("Café", Assert.Single(DelimitedFile.Read<Named>(utf16)).Title);
    }

    [Fact]
    public void MovieLens_Merges_Latin1_Titles_And_Names_An_Unknown_Movie()
    {
        using var dir = new TempDir();
        var latin1 = Encoding.Latin1;
        Write(dir, "u.item", "1|Toy Story (1995)|01-Jan-1995||http://x|0|0\n2|Misérables, Les (1995)|01-Jan-1995||http://x|0|0\n3|\"Quoted\" (1996)|||x|0\n", latin1);
        Write(dir, "u.data", "196\t2\t3\t881250949\n186\t1\t4\t891717742\n22\t3\t5\t1\n");
        var rows = MovieLens.Read100k(dir.Path);
        Assert.Equal(["Misérables, Les (1995)", "Toy Story (1995)", "\"Quoted\" (1996)"], rows.Select(r => r.Title));
        Assert.Equal(new MovieRating(196, 2, "Misérables, Les (1995)", 3, 881250949), rows[0]);

        File.AppendAllText(dir.Combine("u.data"), "5\t99\t1\t1\n");
        var e = Assert.Throws<DataBlocksException>(() => MovieLens.Read100k(dir.Path));
        Assert.Contains("line 4: movie 99 is not in", e.Message);
    }
}
