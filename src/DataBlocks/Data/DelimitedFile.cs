using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using CsvHelper.TypeConversion;

namespace DataBlocks.Data;

/// <summary>How <see cref="DelimitedFile.Read{T}"/> reads a file.</summary>
public sealed record DelimitedOptions
{
    /// <summary>The field separator: <c>","</c> (CSV), <c>"\t"</c> (TSV, MovieLens' <c>u.data</c>), <c>"|"</c> (<c>u.item</c>).</summary>
    public string Delimiter { get; init; } = ",";

    /// <summary>
    /// Whether the first line names the columns (then members are matched by name, case-insensitively); without a
    /// header, the record's constructor parameters (or properties) take the fields in order.
    /// </summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>
    /// The text encoding. By default (null) the file is UTF-8 and bytes that are not UTF-8 are an error naming the line (a
    /// latin-1 "Café" would otherwise read as "Caf\uFFFD"); a byte order mark (UTF-8, UTF-16, UTF-32) is honoured either way.
    /// MovieLens' <c>u.item</c> is latin-1: <see cref="Encoding.Latin1"/>. <see cref="Encoding.UTF8"/> reads UTF-8 and
    /// replaces bad bytes with U+FFFD instead of failing.
    /// </summary>
    public Encoding? Encoding { get; init; }

    /// <summary>Whether <c>"</c> quotes fields (CSV). Turn it off for formats where a quote is just a character (<c>u.item</c>).</summary>
    public bool Quoted { get; init; } = true;

    /// <summary>
    /// Accept rows with more fields than the header has columns (without a header: than the record has members) and ignore
    /// the extra fields. By default such a row is bad: a field too many usually means an unquoted delimiter inside a value,
    /// or a line that ends with a delimiter. MovieLens' <c>u.item</c> has 24 fields of which <c>Read100k</c> takes 2.
    /// </summary>
    public bool IgnoreExtraFields { get; init; }

    /// <summary>Leave out bad rows and report them (<see cref="DelimitedRows{T}.Skipped"/>) instead of failing at the first.</summary>
    public bool SkipBadRows { get; init; }

    /// <summary>Where skipped rows are listed (default: standard error); null to stay quiet.</summary>
    public TextWriter? Report { get; init; } = Console.Error;

    /// <summary>Accept NaN and infinite numbers in <c>float</c>/<c>double</c> members (by default they are errors).</summary>
    public bool AllowNonFinite { get; init; }
}

/// <summary>A row left out by <see cref="DelimitedOptions.SkipBadRows"/>.</summary>
/// <param name="Line">The 1-based line of the file.</param>
/// <param name="Reason">What is wrong with it.</param>
public sealed record BadRow(int Line, string Reason);

/// <summary>The records read from a delimited file, with the rows that were skipped.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class DelimitedRows<T> : IReadOnlyList<T>
{
    private readonly List<T> _rows;

    internal DelimitedRows(string path, List<T> rows, List<int> lines, IReadOnlyList<BadRow> skipped)
    {
        Path = path;
        _rows = rows;
        Lines = lines;
        Skipped = skipped;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The 1-based file line of each record, for messages about a record found wrong later.</summary>
    public IReadOnlyList<int> Lines { get; }

    /// <summary>Rows left out (only with <see cref="DelimitedOptions.SkipBadRows"/>).</summary>
    public IReadOnlyList<BadRow> Skipped { get; }

    /// <inheritdoc />
    public int Count => _rows.Count;

    /// <inheritdoc />
    public T this[int index] => _rows[index];

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator() => _rows.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Reads CSV, TSV and other delimited files into records with CsvHelper, with errors that name the file, line and
/// field: a missing field or a field too many (a row with another number of fields than the header, or than the record has
/// members), a value that does not convert (<c>"abc"</c> for a rating), a NaN or infinite number, a blank
/// field for a <c>string</c> the record does not declare nullable, an enum value the enum does not define, a header
/// repeated inside the file (two files concatenated), a quote that never closes, an empty file, bytes that are not UTF-8
/// (unless <see cref="DelimitedOptions.Encoding"/> names the file's encoding). Use it for ratings (<c>u.data</c>), titles
/// (<c>u.item</c>) or any table. fastai: <c>pd.read_csv</c> before <c>CollabDataLoaders.from_df</c>.
/// </summary>
public static class DelimitedFile
{
    /// <summary>Reads every row of <paramref name="path"/> as a <typeparamref name="T"/>.</summary>
    /// <exception cref="DataBlocksException">
    /// The file is missing or empty, it is not UTF-8 and <see cref="DelimitedOptions.Encoding"/> is not set, or a row is bad
    /// (without <see cref="DelimitedOptions.SkipBadRows"/>); the message names the file and line.
    /// </exception>
    public static DelimitedRows<T> Read<T>(string path, DelimitedOptions? options = null)
    {
        options ??= new DelimitedOptions();
        if (!File.Exists(path)) throw new DataBlocksException($"The file '{path}' does not exist.");
        try
        {
            return ReadRows<T>(path, options);
        }
        catch (Exception e) when (options.Encoding is null && TextFiles.IsDecodingError(e))
        {
            throw TextFiles.NotUtf8(path, e, "set DelimitedOptions.Encoding (e.g. Encoding = Encoding.Latin1)");
        }
    }

    private static DelimitedRows<T> ReadRows<T>(string path, DelimitedOptions options)
    {
        var optional = (Names: new HashSet<string>(StringComparer.OrdinalIgnoreCase), Indices: new HashSet<int>());
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = options.HasHeader,
            Delimiter = options.Delimiter,
            PrepareHeaderForMatch = a => a.Header.Trim().ToLowerInvariant(),
            Mode = options.Quoted ? CsvMode.RFC4180 : CsvMode.NoEscape,
            BadDataFound = null,
            IgnoreBlankLines = true,
            // A missing field is an error unless it goes to a parameter with a default value (filled in RegisterMap).
            HeaderValidated = args =>
            {
                var missing = args.InvalidHeaders.Where(h => !h.Names.All(optional.Names.Contains))
                    .Select(h => string.Join("/", h.Names)).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
                if (missing.Length > 0)
                    throw new DataBlocksException(
                        $"'{path}' line {args.Context.Parser?.RawRow ?? 1}: the header ({string.Join(", ", args.Context.Reader?.HeaderRecord ?? [])}) lacks the column(s) " +
                        $"{string.Join(", ", missing)} that {typeof(T).Name} needs.");
            },
            MissingFieldFound = args =>
            {
                // Without header names CsvHelper gives the field's position in the row: a header maps it to a column name
                // (a position in the record would name another member when the columns are in another order).
                bool optionalField = args.HeaderNames is { Length: > 0 } names ? names.All(n => optional.Names.Contains(n))
                    : args.Context.Reader?.HeaderRecord is { } columns ? args.Index < columns.Length && optional.Names.Contains(columns[args.Index].Trim())
                    : optional.Indices.Contains(args.Index);
                if (!optionalField) throw new CsvHelper.MissingFieldException(args.Context);
            },
        };
        var rows = new List<T>();
        var lines = new List<int>();
        var skipped = new List<BadRow>();

        using var reader = TextFiles.Open(path, options.Encoding);
        using var csv = new CsvReader(reader, config);
        // Numbers are invariant: "3,5" is not 35 (CsvHelper would read the comma as a thousands separator).
        foreach (var type in new[] { typeof(float), typeof(double), typeof(decimal), typeof(float?), typeof(double?), typeof(decimal?) })
            csv.Context.TypeConverterOptionsCache.GetOptions(type).NumberStyles = NumberStyles.Float;
        foreach (var type in new[] { typeof(int), typeof(long), typeof(short), typeof(int?), typeof(long?), typeof(short?) })
            csv.Context.TypeConverterOptionsCache.GetOptions(type).NumberStyles = NumberStyles.Integer;
        RegisterMap<T>(csv, options.HasHeader, optional.Names, optional.Indices);

        // The members the fields go to, in order: a constructor's parameters when it has any (its member maps serve
        // writing), else the properties. Messages name them; the checks below look at them, not at computed properties.
        var map = csv.Context.Maps[typeof(T)] ?? csv.Context.AutoMap<T>();
        var members = map.ParameterMaps.Count > 0
            ? map.ParameterMaps.Select(p => (Name: p.Data.Parameter.Name ?? "", Type: (Type?)p.Data.Parameter.ParameterType)).ToArray()
            : map.MemberMaps.Select(m => (Name: m.Data.Member?.Name ?? "", Type: m.Data.Member is PropertyInfo pi ? pi.PropertyType : (Type?)null)).ToArray();
        int expected = Math.Max(map.MemberMaps.Count, map.ParameterMaps.Count);
        // Without a header a row has the required fields, then the optional ones (C# puts parameters with defaults last).
        var fieldRange = (Min: members.Length - optional.Indices.Count, Max: members.Length);
        var mapped = new HashSet<string>(members.Select(m => m.Name), StringComparer.OrdinalIgnoreCase);
        var properties = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && mapped.Contains(p.Name)).ToArray();
        var floats = properties
            .Where(p => (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType) is var t && (t == typeof(float) || t == typeof(double)))
            .ToArray();
        // A blank field read into a string the record does not declare nullable is a missing value, not a key "" (a
        // parameter with a default may take it).
        var nullability = new NullabilityInfoContext();
        var requiredStrings = properties.Where(p => p.PropertyType == typeof(string) && !optional.Names.Contains(p.Name)
                                                    && nullability.Create(p).ReadState == NullabilityState.NotNull).ToArray();
        // An enum member takes its named values only ("7" converts to an undefined value; flags combine theirs).
        var enums = properties
            .Where(p => (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType) is { IsEnum: true } t && !t.IsDefined(typeof(FlagsAttribute), false))
            .ToArray();
        string[]? header = null, trimmedHeader = null;
        if (options.HasHeader)
        {
            if (!csv.Read()) throw new DataBlocksException($"'{path}' is empty: expected a header line.");
            csv.ReadHeader();
            header = csv.HeaderRecord;
            trimmedHeader = header?.Select(h => h.Trim()).ToArray();
            csv.ValidateHeader<T>();   // through HeaderValidated above: columns for optional parameters may be absent
        }

        bool any = false;
        while (true)
        {
            try
            {
                if (!csv.Read()) break;
            }
            catch (CsvHelperException e)
            {
                throw new DataBlocksException($"'{path}' line {e.Context?.Parser?.RawRow}: {e.Message.Split('\n')[0]}", e);
            }
            any = true;
            string raw = csv.Parser.RawRecord;
            int breaks = TextFiles.LineBreaks(raw);
            int line = TextFiles.FirstLine(csv.Parser.RawRow, raw);
            // An odd number of quotes with a line break inside the record (or swallowed into its last field, on the file's
            // last line) is a quote that never closed; a quote inside an unquoted field (5'11" tall) is a character.
            if (options.Quoted && raw.Count(c => c == '"') % 2 == 1
                && (breaks > 0 || csv.Parser.Record is [.., var last] && last.EndsWith('\n')))
                throw new DataBlocksException(
                    // The parser ran to the end of the file, and counts the last line break as a row too.
                    $"'{path}' line {csv.Parser.RawRow - raw.Count(c => c == '\n')}: a quote (\") opens a field that never closes, so the rest of the file would be read as one field. " +
                    "Close the quote, or set Quoted = false if quotes are plain characters in this file.");
            string? problem = null;
            T record = default!;
            if (trimmedHeader is not null && csv.Parser.Record is { } fields && fields.Length == trimmedHeader.Length
                && fields.Select(f => f.Trim()).SequenceEqual(trimmedHeader, StringComparer.OrdinalIgnoreCase))
            {
                problem = "the header line appears again (were two files concatenated?)";
            }
            else if (FieldCountProblem(csv.Parser.Count, raw, header?.Length, fieldRange, typeof(T).Name, options) is { } countProblem)
            {
                problem = countProblem;
            }
            else
            {
                try
                {
                    record = csv.GetRecord<T>();
                    problem = Check(record, options.AllowNonFinite ? [] : floats, requiredStrings, enums);
                }
                catch (TypeConverterException e)
                {
                    var (member, type) = Column(members, header, e.Context?.Reader?.CurrentIndex ?? -1);
                    string? text = e.Text;
                    problem = string.IsNullOrWhiteSpace(text)
                        ? $"{member} is empty"
                        : $"{member}: '{text}' is not a valid {Friendly(type)}";
                    if (line == 1 && !options.HasHeader && !string.IsNullOrWhiteSpace(text)) problem += " (if the first line is a header, set HasHeader)";
                }
                catch (CsvHelper.MissingFieldException)
                {
                    // FieldCountProblem catches short rows first; this is the fallback if a member still finds no field.
                    problem = header is null
                        ? $"expected at least {expected - optional.Indices.Count} fields separated by '{TextFiles.Printable(options.Delimiter)}', found {csv.Parser.Count}"
                        : $"expected {header.Length} fields separated by '{TextFiles.Printable(options.Delimiter)}' as in the header, found {csv.Parser.Count}";
                }
                catch (CsvHelperException e)
                {
                    problem = e.Message.Split('\n')[0];
                }
            }
            if (problem is null)
            {
                rows.Add(record);
                lines.Add(line);
                continue;
            }
            if (!options.SkipBadRows) throw new DataBlocksException($"'{path}' line {line}: {problem}.");
            skipped.Add(new BadRow(line, problem));
        }

        if (!any) throw new DataBlocksException(options.HasHeader ? $"'{path}' has a header but no data rows." : $"'{path}' is empty.");
        if (rows.Count == 0) throw new DataBlocksException($"'{path}': every one of its {skipped.Count} rows is bad (first: line {skipped[0].Line}, {skipped[0].Reason}).");
        if (skipped.Count > 0 && options.Report is { } report)
        {
            report.WriteLine($"'{path}': skipped {skipped.Count} bad row(s):");
            foreach (var bad in skipped.Take(20)) report.WriteLine($"  line {bad.Line}: {bad.Reason}");
            if (skipped.Count > 20) report.WriteLine($"  ... and {skipped.Count - 20} more");
        }
        return new DelimitedRows<T>(path, rows, lines, skipped);
    }

    /// <summary>
    /// What is wrong with a row's number of fields: with a header it must have the header's, without one between the
    /// required and all of the record's members (<paramref name="range"/>); more only with <see cref="DelimitedOptions.IgnoreExtraFields"/>.
    /// </summary>
    private static string? FieldCountProblem(int count, string raw, int? columns, (int Min, int Max) range, string record, DelimitedOptions options)
    {
        var (min, max) = columns is { } n ? (n, n) : range;
        bool tooMany = count > max && !options.IgnoreExtraFields;
        if (count >= min && !tooMany) return null;
        string separated = $"separated by '{TextFiles.Printable(options.Delimiter)}'";
        string expected = options.IgnoreExtraFields ? $"at least {min} fields {separated}"
            : min == max ? $"{max} fields {separated}"
            : $"{min} to {max} fields {separated}";
        string problem = columns is null
            ? $"expected {expected} (the members of {record}), found {count}"
            : $"expected {expected} as in the header, found {count}";
        if (!tooMany) return problem;
        return problem + TextFiles.TrailingDelimiterNote(raw, options.Delimiter) + "; set IgnoreExtraFields if the fields after the last one expected are to be ignored";
    }

    /// <summary>What is wrong with a record that converted: a non-finite number, a blank required string, an undefined enum value.</summary>
    private static string? Check<T>(T record, PropertyInfo[] floats, PropertyInfo[] requiredStrings, PropertyInfo[] enums)
    {
        foreach (var p in floats)
        {
            double v = Convert.ToDouble(p.GetValue(record), CultureInfo.InvariantCulture);
            if (!double.IsFinite(v)) return $"{p.Name} is {v.ToString(CultureInfo.InvariantCulture)}; a number is needed";
        }
        foreach (var p in requiredStrings)
            if (string.IsNullOrWhiteSpace((string?)p.GetValue(record)))
                return $"{p.Name} is empty (declare it string? if it may be)";
        foreach (var p in enums)
            if (p.GetValue(record) is { } value && !Enum.IsDefined(value.GetType(), value))
                return $"{p.Name}: {value} is not a defined {value.GetType().Name} value ({string.Join(", ", Enum.GetNames(value.GetType()))})";
        return null;
    }

    /// <summary>The record member a field goes to (by header name, else by position) and its type, for messages.</summary>
    private static (string Name, Type? Type) Column((string Name, Type? Type)[] members, string[]? header, int index)
    {
        if (header is not null && index >= 0 && index < header.Length)
        {
            foreach (var m in members)
                if (string.Equals(m.Name, header[index].Trim(), StringComparison.OrdinalIgnoreCase)) return m;
            return (header[index], null);
        }
        return index >= 0 && index < members.Length ? members[index] : ($"field {index + 1}", null);
    }

    /// <summary>The automatic map, with constructor parameters that have default values made optional (a missing column or field takes the default).</summary>
    private static void RegisterMap<T>(CsvReader csv, bool byName, HashSet<string> optionalNames, HashSet<int> optionalIndices)
    {
        var map = csv.Context.AutoMap<T>();
        if (!map.ParameterMaps.Any(p => p.Data.Parameter.HasDefaultValue)) return;
        for (int i = 0; i < map.ParameterMaps.Count; i++)
        {
            var parameter = map.ParameterMaps[i];
            if (!byName) parameter.Index(i);   // without a header, fields go to parameters by position
            var info = parameter.Data.Parameter;
            if (!info.HasDefaultValue) continue;
            optionalNames.Add(info.Name ?? "");
            optionalIndices.Add(i);
            parameter.Optional();
            parameter.Data.Default = info.DefaultValue;   // null too (a missing string? field is null, not "")
            parameter.Data.IsDefaultSet = true;
        }
        csv.Context.RegisterClassMap(map);
    }

    private static string Friendly(Type? type) => type is null ? "value"
        : Nullable.GetUnderlyingType(type) is { } inner ? Friendly(inner)
        : type == typeof(int) || type == typeof(long) || type == typeof(short) ? "integer"
        : type == typeof(float) || type == typeof(double) || type == typeof(decimal) ? "number"
        : type.Name;
}
