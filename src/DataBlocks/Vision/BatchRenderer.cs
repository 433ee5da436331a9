using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.Data;
using SkiaSharp;
using TorchSharp;

namespace DataBlocks.Vision;

/// <summary>Draws batches: an image grid with decoded labels (fastai: <c>show_batch</c>).</summary>
public static class BatchRenderer
{
    /// <summary>
    /// Writes a PNG grid of up to <paramref name="maxItems"/> items of a batch (the loader's first batch when
    /// <paramref name="batch"/> is null): each image de-normalised, keypoints drawn, and titled with its decoded targets.
    /// The grid has <c>int(sqrt(n))</c> rows, like fastai's. Returns the titles.
    /// </summary>
    /// <exception cref="DataBlocksException">The DataBlock has no image input.</exception>
    public static IReadOnlyList<string> ShowBatch(this DataLoader loader, string pngPath, int maxItems = 9, Batch? batch = null)
    {
        var owned = batch is null ? loader.OneBatch() : null;
        try
        {
            using var decoded = loader.Decode(batch ?? owned!);
            return Render(decoded, pngPath, maxItems);
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <summary>One line per item of the batch (see <see cref="DataLoader.DescribeBatch"/>, which this calls).</summary>
    public static IReadOnlyList<string> DescribeBatch(DataLoader loader, int maxItems = 9) => loader.DescribeBatch(maxItems);

    internal static IReadOnlyList<string> Render(Batch decoded, string pngPath, int maxItems)
    {
        int imageField = -1;
        for (int f = 0; f < decoded.NInputs; f++)
            if (decoded.Codecs[f].Kind == FieldKind.Image) { imageField = f; break; }
        if (imageField < 0)
            throw new DataBlocksException(
                $"ShowBatch draws images, but {decoded.Codecs[0].Field.DataBlock} has no image input; use DescribeBatch for a text view.");

        using var scope = torch.NewDisposeScope();   // every row view and copy made below dies with it
        int n = Math.Min(maxItems, decoded.Size);
        var titles = new string[n];
        for (int i = 0; i < n; i++)
        {
            var parts = new List<string>();
            for (int f = decoded.NInputs; f < decoded.Fields.Count; f++)
            {
                if (decoded.Codecs[f].Kind == FieldKind.Points) continue;
                using var row = decoded.Fields[f][i];
                parts.Add(decoded.Codecs[f].Show(row));
            }
            titles[i] = string.Join(" | ", parts);
        }

        var images = decoded.Fields[imageField];
        int h = (int)images.shape[2], w = (int)images.shape[3];
        float scale = Math.Min(1f, 256f / Math.Max(w, h));
        int cw = Math.Max(1, (int)(w * scale)), ch = Math.Max(1, (int)(h * scale));
        const int titleHeight = 22, pad = 6;
        int rows = Math.Max(1, (int)Math.Sqrt(n)), cols = (n + rows - 1) / rows;
        using var grid = new SKBitmap(cols * (cw + pad) + pad, rows * (ch + titleHeight + pad) + pad);
        using var canvas = new SKCanvas(grid);
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 13);
        using var textPaint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var pointPaint = new SKPaint { Color = SKColors.Red, IsAntialias = true };
        using var sampling = new SKPaint();
        for (int i = 0; i < n; i++)
        {
            int x0 = pad + i % cols * (cw + pad), y0 = pad + i / cols * (ch + titleHeight + pad);
            using (var img = images[i])
            using (var bmp = ImageTensors.ToBitmap(img))
            using (var image = SKImage.FromBitmap(bmp))
                canvas.DrawImage(image, SKRect.Create(x0, y0 + titleHeight, cw, ch), new SKSamplingOptions(SKFilterMode.Linear), sampling);
            for (int f = decoded.NInputs; f < decoded.Fields.Count; f++)
            {
                if (decoded.Codecs[f].Kind != FieldKind.Points) continue;
                using var pts = decoded.Fields[f][i].to(torch.float32).cpu();
                var xy = pts.data<float>().ToArray();
                for (int p = 0; p + 1 < xy.Length; p += 2)
                {
                    var (px, py) = PointScaling.ToPixels(xy[p], xy[p + 1], cw, ch);
                    canvas.DrawCircle(x0 + px, y0 + titleHeight + py, 2.5f, pointPaint);
                }
            }
            canvas.DrawText(Fit(titles[i], font, cw), x0, y0 + titleHeight - 6, font, textPaint);
        }
        AtomicFile.Write(pngPath, stream =>
        {
            using var data = grid.Encode(SKEncodedImageFormat.Png, 100);
            data.SaveTo(stream);
        });
        return titles;
    }

    private static string Fit(string text, SKFont font, float width)
    {
        if (font.MeasureText(text) <= width) return text;
        while (text.Length > 1 && font.MeasureText(text + "…") > width) text = text[..^1];
        return text + "…";
    }
}
