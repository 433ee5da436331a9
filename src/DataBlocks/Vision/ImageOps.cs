using System;
using SkiaSharp;

namespace DataBlocks.Vision;

/// <summary>Resampling with SkiaSharp.</summary>
internal static class ImageOps
{
    private static readonly SKSamplingOptions Bilinear = new(SKFilterMode.Linear, SKMipmapMode.None);

    /// <summary>
    /// Draws the window (<paramref name="left"/>, <paramref name="top"/>, <paramref name="cw"/>×<paramref name="ch"/>) of
    /// <paramref name="src"/> into a new <paramref name="width"/>×<paramref name="height"/> bitmap; the window may extend past
    /// the image, where <paramref name="tileMode"/> fills (Decal = black, Clamp = border, Mirror = reflection).
    /// Strong down-scaling first halves the image (box-filtered) so bilinear sampling does not alias.
    /// </summary>
    public static SKBitmap Draw(SKBitmap src, double left, double top, double cw, double ch, int width, int height, SKShaderTileMode tileMode)
    {
        SKBitmap current = src;
        double scale = 1.0;   // size of current relative to src
        try
        {
            while (width / (cw * scale) < 0.5 && height / (ch * scale) < 0.5 && current.Width >= 2 && current.Height >= 2)
            {
                var half = Halve(current);
                if (!ReferenceEquals(current, src)) current.Dispose();
                current = half;
                scale = (double)current.Width / src.Width;
            }
            double sx = (double)current.Width / src.Width, sy = (double)current.Height / src.Height;
            var dst = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
            using (var canvas = new SKCanvas(dst))
            using (var image = SKImage.FromBitmap(current))
            {
                canvas.Clear(SKColors.Black);
                var matrix = SKMatrix.CreateScale((float)(width / (cw * sx)), (float)(height / (ch * sy)));
                matrix = SKMatrix.Concat(matrix, SKMatrix.CreateTranslation((float)(-left * sx), (float)(-top * sy)));
                using var shader = image.ToShader(tileMode, tileMode, Bilinear, matrix);
                using var paint = new SKPaint { Shader = shader, IsAntialias = false, BlendMode = SKBlendMode.SrcOver };
                canvas.DrawRect(0, 0, width, height, paint);
            }
            return AsOpaque(dst);
        }
        finally
        {
            if (!ReferenceEquals(current, src)) current.Dispose();
        }
    }

    private static SKBitmap Halve(SKBitmap src)
    {
        int w = Math.Max(1, src.Width / 2), h = Math.Max(1, src.Height / 2);
        var dst = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        unsafe
        {
            byte* s = (byte*)src.GetPixels();
            byte* d = (byte*)dst.GetPixels();
            int sr = src.RowBytes, dr = dst.RowBytes;
            for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                byte* p00 = s + (2 * y) * sr + 8 * x;
                byte* p10 = p00 + sr;
                byte* o = d + y * dr + 4 * x;
                for (int k = 0; k < 3; k++) o[k] = (byte)((p00[k] + p00[4 + k] + p10[k] + p10[4 + k] + 2) >> 2);
                o[3] = 255;
            }
        }
        return dst;
    }

    private static SKBitmap AsOpaque(SKBitmap premul)
    {
        // The canvas was cleared to opaque black first, so every pixel is opaque: only the alpha type changes.
        var info = new SKImageInfo(premul.Width, premul.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var copy = new SKBitmap(info);
        unsafe
        {
            Buffer.MemoryCopy((void*)premul.GetPixels(), (void*)copy.GetPixels(), copy.ByteCount, premul.ByteCount);
        }
        premul.Dispose();
        return copy;
    }
}
