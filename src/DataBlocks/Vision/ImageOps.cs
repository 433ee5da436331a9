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
            var window = SKRect.Create((float)(left * sx), (float)(top * sy), (float)(cw * sx), (float)(ch * sy));
            var dst = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
            using (var canvas = new SKCanvas(dst))
            using (var pixels = current.PeekPixels())
            using (var image = SKImage.FromPixels(pixels))   // no copy: current outlives the image
            {
                bool inside = window.Left >= 0 && window.Top >= 0 && window.Right <= current.Width && window.Bottom <= current.Height;
                if (inside || tileMode == SKShaderTileMode.Decal)
                {
                    // The fast path: draw the window (or, for black padding, the part of it that holds pixels).
                    if (!inside) canvas.Clear(SKColors.Black);
                    var visible = window;
                    if (!visible.IntersectsWith(SKRect.Create(current.Width, current.Height))) return dst;
                    visible.Intersect(SKRect.Create(current.Width, current.Height));
                    float kx = width / window.Width, ky = height / window.Height;
                    var target = new SKRect((visible.Left - window.Left) * kx, (visible.Top - window.Top) * ky,
                        (visible.Right - window.Left) * kx, (visible.Bottom - window.Top) * ky);
                    canvas.DrawImage(image, visible, target, Bilinear);
                }
                else
                {
                    // Border or reflection padding: an image shader tiles the picture beyond its edges.
                    var matrix = SKMatrix.CreateScale(width / window.Width, height / window.Height);
                    matrix = SKMatrix.Concat(matrix, SKMatrix.CreateTranslation(-window.Left, -window.Top));
                    using var shader = image.ToShader(tileMode, tileMode, Bilinear, matrix);
                    using var paint = new SKPaint { Shader = shader, IsAntialias = false, BlendMode = SKBlendMode.Src };
                    canvas.DrawRect(0, 0, width, height, paint);
                }
            }
            return dst;
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
}
