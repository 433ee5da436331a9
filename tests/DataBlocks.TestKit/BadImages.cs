using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.IO.Hashing;
using System.Linq;

namespace DataBlocks.TestKit;

/// <summary>Hand-built bad image files: PNGs whose header claims any size, JPEGs with damaged entropy-coded data.</summary>
public static class BadImages
{
    /// <summary>
    /// A greyscale PNG whose header says <paramref name="width"/>×<paramref name="height"/>, with image data for only
    /// <paramref name="rows"/> rows (all rows when null): a decompression bomb is a few bytes of header and a short stream.
    /// </summary>
    public static byte[] Png(int width, int height, int? rows = null)
    {
        int n = rows ?? height;
        var raw = new byte[(long)n * (width + 1) > int.MaxValue ? throw new ArgumentException("too many rows") : n * (width + 1)];
        for (int y = 0; y < n; y++)
        for (int x = 0; x < width; x++)
            raw[y * (width + 1) + 1 + x] = (byte)((x * 7 + y * 13) & 0xFF);   // filter byte 0, then a pattern
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;   // bit depth; colour type 0 (grey), deflate, adaptive filtering, no interlace
        var file = new List<byte>([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(file, "IHDR", ihdr);
        Chunk(file, "IDAT", compressed.ToArray());
        Chunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>
    /// <paramref name="jpeg"/> with <paramref name="fraction"/> of its entropy-coded data cut out from a quarter of the
    /// way in (the end-of-image marker kept): libjpeg decodes it with success and fills the rows it finds no data for
    /// with flat grey.
    /// </summary>
    public static byte[] WithScanCut(byte[] jpeg, double fraction = 0.4)
    {
        int sos = FindMarker(jpeg, 0xDA);
        int start = sos + 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(sos + 2));
        int end = jpeg.Length - 2;   // the EOI marker
        int at = start + (end - start) / 4, cut = (int)((end - start) * fraction);
        return [.. jpeg[..at], .. jpeg[(at + cut)..]];
    }

    /// <summary>The offset of the first marker <c>FF <paramref name="code"/></c>.</summary>
    public static int FindMarker(byte[] jpeg, byte code)
    {
        for (int i = 2; i + 1 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == code) return i;
        throw new ArgumentException($"No FF {code:X2} marker.", nameof(jpeg));
    }

    private static void Chunk(List<byte> file, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        for (int i = 0; i < 4; i++) header[4 + i] = (byte)type[i];
        file.AddRange(header);
        file.AddRange(data);
        var crc = new Crc32();
        crc.Append(header.AsSpan(4));
        crc.Append(data);
        var sum = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(sum, crc.GetCurrentHashAsUInt32());
        file.AddRange(sum);
    }
}
