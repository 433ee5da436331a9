using System;
using System.Collections.Concurrent;
using System.IO.Hashing;
using JpegLibrary;

namespace DataBlocks.Vision;

/// <summary>
/// Finds damage in a JPEG's entropy-coded data that libjpeg (inside SkiaSharp) only warns about: a flipped bit or a
/// duplicated chunk makes it fill the image from the damage on with flat grey and report success. JpegLibrary, a
/// managed decoder, refuses such data ("Invalid Huffman code encountered"). A file found sound is remembered by its
/// content hash, so each file is checked once per process (the first epoch), not on every decode.
/// </summary>
internal static class JpegCheck
{
    private const int MaxRemembered = 1 << 20;
    private static readonly ConcurrentDictionary<UInt128, byte> Sound = new();

    /// <summary>What is wrong with the data, or null when it is sound (or when it uses a coding the check does not read).</summary>
    /// <param name="bytes">The JPEG file.</param>
    /// <param name="maxPixels">Files larger than this are not checked (the check would allocate the full image).</param>
    public static string? FindDamage(byte[] bytes, long maxPixels)
    {
        var key = XxHash128.HashToUInt128(bytes);
        if (Sound.ContainsKey(key)) return null;
        var decoder = new JpegDecoder();
        var rows = new RowTracker();
        try
        {
            decoder.SetInput(bytes);
            decoder.Identify();
            if ((long)decoder.Width * decoder.Height > maxPixels) return null;
            decoder.SetOutputWriter(rows);
            decoder.Decode();
        }
        catch (NotSupportedException)
        {
            return null;   // a coding JpegLibrary does not read; SkiaSharp decoded it without complaint
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            string where = rows.Rows > 0 && decoder.Height > 0 ? $" after about {Math.Min(rows.Rows, decoder.Height)} of its {decoder.Height} rows" : "";
            return e.Message.TrimEnd('.') + where;
        }
        if (Sound.Count >= MaxRemembered) Sound.Clear();
        Sound.TryAdd(key, 0);
        return null;
    }

    /// <summary>Forgets the files found sound (the benchmark measures a first epoch with it).</summary>
    internal static void Forget() => Sound.Clear();

    /// <summary>Receives the decoded blocks and keeps only how far down the first component they reached.</summary>
    private sealed class RowTracker : JpegBlockOutputWriter
    {
        public int Rows { get; private set; }

        public override void WriteBlock(ref short blockRef, int componentIndex, int x, int y)
        {
            if (componentIndex == 0 && y + 8 > Rows) Rows = y + 8;
        }
    }
}
