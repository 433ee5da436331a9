using System;
using System.IO;
using System.Threading;
using DataBlocks.BlockTypes;
using SkiaSharp;

namespace DataBlocks.Vision;

/// <summary>
/// Reads image files with SkiaSharp: JPEG (RGB, greyscale and CMYK, all converted to RGB), PNG, BMP, WebP, GIF (first
/// frame). EXIF orientation is applied, so pixels come out the way viewers show them. Alpha is dropped, keeping the
/// colour underneath (Pillow's <c>convert('RGB')</c>).
/// </summary>
public static class ImageDecoder
{
    private static ImageDecodeOptions _defaultOptions = new();

    /// <summary>
    /// The limits every decode without options of its own uses (an <see cref="ImageFileBlock"/> built without options,
    /// the generated DataLoaders). Set it once at start-up, e.g. <c>ImageDecoder.DefaultOptions = new() { MaxPixels = 200_000_000 }</c>.
    /// </summary>
    public static ImageDecodeOptions DefaultOptions
    {
        get => Volatile.Read(ref _defaultOptions);
        set => Volatile.Write(ref _defaultOptions, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>Decodes <paramref name="path"/> at full size into an opaque RGBA bitmap the caller owns.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="options">The limits (default: <see cref="DefaultOptions"/>).</param>
    /// <exception cref="BadItemException">Missing, empty, truncated, corrupt, too large or unsupported file; the message names it.</exception>
    public static SKBitmap Decode(string path, ImageDecodeOptions? options = null)
    {
        using var image = EncodedImage.Open(path, options: options);
        return image.Decode();
    }

    /// <summary>Decodes encoded image bytes at full size; <paramref name="source"/> names them in errors.</summary>
    /// <param name="bytes">The encoded image.</param>
    /// <param name="source">Where the bytes came from, for messages.</param>
    /// <param name="options">The limits (default: <see cref="DefaultOptions"/>).</param>
    /// <exception cref="BadItemException">Empty, truncated, corrupt, too large or unsupported data.</exception>
    public static SKBitmap Decode(byte[] bytes, string source, ImageDecodeOptions? options = null)
    {
        using var image = EncodedImage.Open(bytes, source, options: options);
        return image.Decode();
    }

    /// <summary>Reads only the header: the size the decoded (and EXIF-oriented) image will have.</summary>
    /// <exception cref="BadItemException">The file cannot be read as an image.</exception>
    public static (int Width, int Height) ReadSize(string path)
    {
        using var image = EncodedImage.Open(path);
        return (image.Width, image.Height);
    }

    /// <summary>Applies an EXIF orientation: returns a new bitmap, or the same one for <c>TopLeft</c>.</summary>
    internal static unsafe SKBitmap Orient(SKBitmap src, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or SKEncodedOrigin.Default) return src;
        int w = src.Width, h = src.Height;
        bool swap = EncodedImage.Swaps(origin);
        int ow = swap ? h : w, oh = swap ? w : h;
        var dst = new SKBitmap(new SKImageInfo(ow, oh, SKColorType.Rgba8888, SKAlphaType.Opaque));
        uint* s = (uint*)src.GetPixels();
        uint* d = (uint*)dst.GetPixels();
        for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
        {
            (int sx, int sy) = origin switch
            {
                SKEncodedOrigin.TopRight => (w - 1 - x, y),            // mirrored horizontally
                SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y), // rotated 180°
                SKEncodedOrigin.BottomLeft => (x, h - 1 - y),          // mirrored vertically
                SKEncodedOrigin.LeftTop => (y, x),                     // transposed
                SKEncodedOrigin.RightTop => (y, h - 1 - x),            // needs 90° clockwise
                SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x), // transversed
                SKEncodedOrigin.LeftBottom => (w - 1 - y, x),          // needs 90° counter-clockwise
                _ => (x, y),
            };
            d[y * ow + x] = s[sy * w + sx];
        }
        return dst;
    }
}

/// <summary>
/// What a decode refuses. The defaults refuse decompression bombs and damaged files; a file that breaks a limit is a
/// <see cref="BadItemException"/> naming it (skipped and reported with <see cref="Data.DatasetsOptions.SkipBadItems"/>).
/// </summary>
public sealed record ImageDecodeOptions
{
    /// <summary>Pillow's <c>Image.MAX_IMAGE_PIXELS</c>: 89,478,485 pixels (a 9459×9459 image; 358 MB decoded as RGBA).</summary>
    public const long DefaultMaxPixels = 89_478_485;

    /// <summary>
    /// The most pixels a decode may allocate (default <see cref="DefaultMaxPixels"/>). The size comes from the header,
    /// before anything is allocated; a JPEG or WebP that a transform needs only at a reduced scale (a 224-px resize of a
    /// 12000×9000 photo decodes at 1/8) counts the pixels of that scale. Pillow warns at this size and refuses twice it.
    /// </summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>
    /// Accept images whose data ends early or is damaged, keeping what decoded (fastai/Pillow:
    /// <c>ImageFile.LOAD_TRUNCATED_IMAGES = True</c>). By default they are refused: a truncated file decodes with its
    /// missing rows filled, and a damaged JPEG decodes as flat grey from the damage on, without any other sign.
    /// </summary>
    public bool AcceptPartialImages { get; init; }
}

/// <summary>
/// An image file whose header has been read but whose pixels have not: its size is known, and it can be decoded at
/// full size or — for JPEG and WebP, which decode natively at reduced scales — at the smallest scale that still
/// gives a transform the pixels it needs (a photo of 4000×3000 cropped to 224×224 decodes at 1/8 scale).
/// </summary>
public sealed class EncodedImage : IDisposable
{
    private readonly SKCodec _codec;
    private readonly byte[] _bytes;
    private readonly string? _item;
    private readonly ImageDecodeOptions _options;

    private EncodedImage(SKCodec codec, byte[] bytes, string source, string? item, ImageDecodeOptions options)
    {
        _codec = codec;
        _bytes = bytes;
        _item = item;
        _options = options;
        Source = source;
        bool swap = Swaps(codec.EncodedOrigin);
        Width = swap ? codec.Info.Height : codec.Info.Width;
        Height = swap ? codec.Info.Width : codec.Info.Height;
    }

    /// <summary>Where the image came from, for messages.</summary>
    public string Source { get; }

    /// <summary>The full-size width, after EXIF orientation.</summary>
    public int Width { get; }

    /// <summary>The full-size height, after EXIF orientation.</summary>
    public int Height { get; }

    /// <summary>Opens a file and reads its header.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="item">The item that named the file, when it says more than the path; errors name it too.</param>
    /// <param name="options">The limits its decode keeps (default: <see cref="ImageDecoder.DefaultOptions"/>).</param>
    /// <exception cref="BadItemException">Missing, unreadable, empty, corrupt or unsupported file.</exception>
    public static EncodedImage Open(string path, string? item = null, ImageDecodeOptions? options = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BadItemException(path, "Image file not found", e, item);
        }
        catch (IOException e)
        {
            throw new BadItemException(path, $"Image file could not be read ({e.Message})", e, item);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BadItemException(path, "Image file could not be read (access denied)", e, item);
        }
        return Open(bytes, path, item, options);
    }

    /// <summary>Reads the header of encoded bytes; <paramref name="source"/> names them in errors.</summary>
    /// <param name="bytes">The encoded image (kept, not copied, until the image is disposed).</param>
    /// <param name="source">Where the bytes came from, for messages.</param>
    /// <param name="item">The item that named the file, when it says more than the path; errors name it too.</param>
    /// <param name="options">The limits its decode keeps (default: <see cref="ImageDecoder.DefaultOptions"/>).</param>
    /// <exception cref="BadItemException">Empty, corrupt or unsupported data.</exception>
    public static EncodedImage Open(byte[] bytes, string source, string? item = null, ImageDecodeOptions? options = null)
    {
        if (bytes.Length == 0) throw new BadItemException(source, "Image file is empty", null, item);
        var stream = new SKMemoryStream(bytes);   // the codec takes ownership of the stream
        var codec = SKCodec.Create(stream, out SKCodecResult result);
        if (codec is null)
        {
            stream.Dispose();
            throw new BadItemException(source, result == SKCodecResult.IncompleteInput
                ? "Image file is truncated (it ends inside its header)"
                : "Not a readable image (corrupt data or an unsupported format; DataBlocks reads JPEG, PNG, BMP, WebP and GIF)", null, item);
        }
        return new EncodedImage(codec, bytes, source, item, options ?? ImageDecoder.DefaultOptions);
    }

    /// <summary>
    /// Decodes into an opaque RGBA bitmap the caller owns, at the smallest scale the format supports that is at least
    /// <paramref name="minScale"/> of the full size in both directions (1 = full size).
    /// </summary>
    /// <exception cref="BadItemException">
    /// Truncated or damaged data (unless <see cref="ImageDecodeOptions.AcceptPartialImages"/>), or more pixels than
    /// <see cref="ImageDecodeOptions.MaxPixels"/> at that scale.
    /// </exception>
    public SKBitmap Decode(double minScale = 1.0)
    {
        var size = ScaledSize(minScale);
        RefuseTooLarge(size);
        bool hasAlpha = _codec.Info.AlphaType != SKAlphaType.Opaque;
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, hasAlpha ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
        SKBitmap bitmap = Allocate(info);
        try
        {
            var result = _codec.GetPixels(info, bitmap.GetPixels());
            if (result == SKCodecResult.InvalidScale && size != _codec.Info.Size)
            {
                bitmap.Dispose();
                bitmap = null!;
                return Decode(1.0);
            }
            if (result is SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput)
            {
                if (!_options.AcceptPartialImages) throw Partial(result, info);
            }
            else if (result != SKCodecResult.Success)
            {
                throw Bad($"Image could not be decoded ({result})");
            }
            else if (_codec.EncodedFormat == SKEncodedImageFormat.Jpeg && !_options.AcceptPartialImages
                     && JpegCheck.FindDamage(_bytes, _options.MaxPixels) is { } damage)
            {
                throw Bad($"JPEG data is damaged ({damage}); the decoder would fill the rest of the image with grey. " + AcceptHint);
            }
            var opaque = bitmap;
            if (hasAlpha)
            {
                DropAlpha(bitmap);
                opaque = AsOpaque(bitmap);
            }
            var oriented = ImageDecoder.Orient(opaque, _codec.EncodedOrigin);
            if (!ReferenceEquals(opaque, bitmap) && !ReferenceEquals(oriented, opaque)) opaque.Dispose();
            if (!ReferenceEquals(oriented, bitmap)) bitmap.Dispose();
            return oriented;
        }
        catch
        {
            bitmap?.Dispose();
            throw;
        }
    }

    /// <summary>Releases the codec and the encoded bytes.</summary>
    public void Dispose() => _codec.Dispose();

    internal static bool Swaps(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    private const string AcceptHint = "To load partial images anyway, set ImageDecodeOptions.AcceptPartialImages.";

    private BadItemException Bad(string problem, Exception? inner = null) => new(Source, problem, inner, _item);

    /// <summary>The smallest size the codec decodes natively that keeps <paramref name="minScale"/> of the full size.</summary>
    private SKSizeI ScaledSize(double minScale)
    {
        var size = _codec.Info.Size;
        if (minScale >= 1.0) return size;
        // Candidate scales from the smallest up; the codec rounds to what it supports (JPEG: n/8).
        for (int n = 1; n < 8; n++)
        {
            var scaled = _codec.GetScaledDimensions(n / 8f);
            if (scaled.Width >= Math.Ceiling(minScale * _codec.Info.Width) && scaled.Height >= Math.Ceiling(minScale * _codec.Info.Height)
                && scaled.Width < size.Width)
                return scaled;
        }
        return size;
    }

    /// <summary>A decompression bomb is refused from its header, before the pixels are allocated.</summary>
    private void RefuseTooLarge(SKSizeI size)
    {
        long pixels = (long)size.Width * size.Height;
        if (pixels <= _options.MaxPixels) return;
        var full = _codec.Info.Size;
        string scaled = size == full ? "" : $", {size.Width}x{size.Height} at the smallest scale the transforms allow";
        throw Bad(FormattableString.Invariant(
            $"Image is too large to decode: {Width}x{Height} pixels{scaled} is {pixels / 1e6:0.#} megapixels, above the limit of ") +
            FormattableString.Invariant($"{_options.MaxPixels / 1e6:0.#} megapixels (ImageDecodeOptions.MaxPixels; it guards against decompression bombs). ") +
            "Raise the limit if the image is genuine, or resize it on disk");
    }

    /// <summary>The bitmap to decode into; SkiaSharp's failure to allocate it (it throws, or gives no pixels) names the file.</summary>
    private SKBitmap Allocate(SKImageInfo info)
    {
        SKBitmap? bitmap = null;
        Exception? failure = null;
        try
        {
            bitmap = new SKBitmap(info);
        }
        catch (Exception e)
        {
            failure = e;
        }
        if (bitmap is not null && bitmap.GetPixels() != IntPtr.Zero) return bitmap;
        bitmap?.Dispose();
        throw Bad($"Not enough memory to decode the image ({info.Width}x{info.Height} pixels, {info.BytesSize64 / 1e6:0} MB)", failure);
    }

    /// <summary>The error for data that ended early or is damaged, saying how many rows decoded (from a second, row-counting decode).</summary>
    private BadItemException Partial(SKCodecResult result, SKImageInfo info)
    {
        string what = result == SKCodecResult.IncompleteInput ? "Image file is truncated" : "Image file is damaged";
        int? rows = CountDecodableRows(info);
        string how = rows is { } r ? $" (the data ends after {r} of its {info.Height} rows)" : " (the decoder ran out of data)";
        return Bad(what + how + ". " + AcceptHint);
    }

    private int? CountDecodableRows(SKImageInfo info)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(_bytes));
        if (codec is null) return null;
        using var bitmap = new SKBitmap(info);
        if (codec.StartIncrementalDecode(info, bitmap.GetPixels(), info.RowBytes) == SKCodecResult.Success)   // PNG, GIF
            return codec.IncrementalDecode(out int rows) == SKCodecResult.Success ? info.Height : rows;
        if (codec.StartScanlineDecode(info) == SKCodecResult.Success && codec.ScanlineOrder == SKCodecScanlineOrder.TopDown)   // JPEG
            return codec.GetScanlines(bitmap.GetPixels(), info.Height, info.RowBytes);
        return null;
    }

    private static unsafe void DropAlpha(SKBitmap bitmap)
    {
        var pixels = new Span<uint>((void*)bitmap.GetPixels(), bitmap.Width * bitmap.Height);
        // RGBA bytes in memory = little-endian uint 0xAABBGGRR: set the alpha byte.
        for (int i = 0; i < pixels.Length; i++) pixels[i] |= 0xFF000000u;
    }

    private static SKBitmap AsOpaque(SKBitmap bitmap)
    {
        var copy = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        unsafe
        {
            Buffer.MemoryCopy((void*)bitmap.GetPixels(), (void*)copy.GetPixels(), copy.ByteCount, bitmap.ByteCount);
        }
        return copy;
    }
}
