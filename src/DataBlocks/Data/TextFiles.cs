using System;
using System.Buffers;
using System.IO;
using System.Linq;
using System.Text;

namespace DataBlocks.Data;

/// <summary>
/// Opens a user's text file: strict UTF-8 unless an encoding is given, so that bytes of another encoding (a latin-1
/// "Café") are an error naming the file and line instead of a silent U+FFFD. A U+FFFD written as valid UTF-8 is text.
/// </summary>
internal static class TextFiles
{
    // With a preamble, StreamReader skips a UTF-8 byte order mark and keeps this decoder; for an encoding without one it
    // would switch to the replacing Encoding.UTF8 when it sees the mark. UTF-16 and UTF-32 marks are still detected.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: true, throwOnInvalidBytes: true);

    /// <summary>A reader of <paramref name="path"/> in <paramref name="encoding"/>, or in strict UTF-8 when it is null.</summary>
    public static StreamReader Open(string path, Encoding? encoding) =>
        new(path, encoding ?? StrictUtf8, detectEncodingFromByteOrderMarks: true);

    /// <summary>Whether <paramref name="e"/> (or an exception inside it) is a decoder refusing bytes.</summary>
    public static bool IsDecodingError(Exception e) => Decoding(e) is not null;

    /// <summary>
    /// The error to throw instead of <paramref name="e"/>, a failure of <see cref="Open"/>'s strict UTF-8 on
    /// <paramref name="path"/>: it names the line and byte (found by scanning the file again; the decoder only knows its
    /// buffer) and says how to set the encoding (<paramref name="howToSetEncoding"/>).
    /// </summary>
    public static DataBlocksException NotUtf8(string path, Exception e, string howToSetEncoding)
    {
        string where = FirstInvalidUtf8(File.ReadAllBytes(path)) is var (line, value)
            ? $"'{path}' line {line}: the text is not valid UTF-8 (byte 0x{value:X2})"
            : $"'{path}': the text is not valid UTF-8";
        return new DataBlocksException($"{where}; if the file is in another encoding, {howToSetEncoding}.", Decoding(e) ?? e);
    }

    private static DecoderFallbackException? Decoding(Exception? e)
    {
        while (e is not null and not DecoderFallbackException) e = e.InnerException;
        return (DecoderFallbackException?)e;
    }

    /// <summary>The 1-based line and the first byte of the first sequence that is not UTF-8 (a byte order mark is skipped).</summary>
    internal static (int Line, byte Value)? FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int line = 1;
        for (int i = bytes.StartsWith("\uFEFF"u8) ? 3 : 0; i < bytes.Length;)
        {
            byte b = bytes[i];
            if (b < 0x80)
            {
                if (b == (byte)'\n') line++;
                i++;
                continue;
            }
            // InvalidData, or NeedMoreData for a sequence the file cuts short.
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out int consumed) != OperationStatus.Done) return (line, b);
            i += consumed;
        }
        return null;
    }

    /// <summary>
    /// The line a delimited record starts on: CsvHelper's <c>RawRow</c> is the record's last line, and a quoted field with
    /// line breaks starts it earlier (<paramref name="raw"/> is the record's text).
    /// </summary>
    public static int FirstLine(int rawRow, string raw) => rawRow - LineBreaks(raw);

    /// <summary>The line breaks inside a record's text, the one that ends it not counted.</summary>
    public static int LineBreaks(string raw) => raw.TrimEnd('\r', '\n').Count(c => c == '\n');

    /// <summary>A delimiter as messages show it (a tab as <c>\t</c>).</summary>
    public static string Printable(string delimiter) => delimiter == "\t" ? "\\t" : delimiter;

    /// <summary>
    /// For a record with a field too many: a note when its line ends with the delimiter ("a,b," is three fields, the last
    /// one empty, which is easy to miss); empty otherwise.
    /// </summary>
    public static string TrailingDelimiterNote(string raw, string delimiter) =>
        raw.TrimEnd('\r', '\n').EndsWith(delimiter, StringComparison.Ordinal)
            ? $" (the line ends with '{Printable(delimiter)}', which starts an empty last field)"
            : "";
}
