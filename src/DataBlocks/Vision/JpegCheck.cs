using System;
using System.Collections.Concurrent;
using System.IO.Hashing;
using JpegLibrary;

namespace DataBlocks.Vision;

/// <summary>
/// Finds damage in a JPEG's entropy-coded data that libjpeg (inside SkiaSharp) only warns about: a flipped bit or a
/// duplicated chunk makes it fill the image from the damage on with flat grey and report success. JpegLibrary, a
/// managed JPEG library, refuses such data when it reads the Huffman codes ("Invalid Huffman code encountered"; "a
/// marker is encountered" where data should be). A file found sound is remembered by its content hash, so each file is
/// checked once per process (the first epoch), not on every decode.
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
        try
        {
            var decoder = new JpegDecoder();
            decoder.SetInput(bytes);
            decoder.Identify();
            if ((long)decoder.Width * decoder.Height > maxPixels) return null;
            if (decoder.StartOfFrame is JpegMarker.StartOfFrame0 or JpegMarker.StartOfFrame1)
            {
                // Baseline: the optimizer's scan reads every Huffman code into coefficient blocks and stops there (no
                // dequantisation, no IDCT): a third of a decode, and it refuses the same damage a decode does.
                var scan = new JpegOptimizer();
                scan.SetInput(bytes);
                scan.Scan();
            }
            else
            {
                decoder.SetOutputWriter(new NoOutput());   // progressive and the rest: a whole decode (the scan does not read them)
                decoder.Decode();
            }
        }
        catch (NotSupportedException)
        {
            return null;   // a coding JpegLibrary does not read; SkiaSharp decoded it without complaint
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return e.Message.TrimEnd('.');
        }
        if (Sound.Count >= MaxRemembered) Sound.Clear();
        Sound.TryAdd(key, 0);
        return null;
    }

    /// <summary>Forgets the files found sound (the benchmark measures a first epoch with it).</summary>
    internal static void Forget() => Sound.Clear();

    /// <summary>Drops the decoded blocks: only whether the data decodes matters.</summary>
    private sealed class NoOutput : JpegBlockOutputWriter
    {
        public override void WriteBlock(ref short blockRef, int componentIndex, int x, int y)
        {
        }
    }
}
