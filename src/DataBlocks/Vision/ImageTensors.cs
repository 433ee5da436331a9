using SkiaSharp;
using TorchSharp;

namespace DataBlocks.Vision;

/// <summary>Conversions between image tensors and bitmaps.</summary>
public static class ImageTensors
{
    /// <summary>Turns a decoded <c>[3, H, W]</c> float image in [0, 1] (or uint8) into a bitmap the caller owns.</summary>
    public static unsafe SKBitmap ToBitmap(torch.Tensor image)
    {
        using var scope = torch.NewDisposeScope();
        var t = image.dtype == torch.uint8 ? image : image.clamp(0, 1).mul(255).round().to(torch.uint8);
        t = t.cpu().permute(1, 2, 0).contiguous();   // HWC
        int h = (int)t.shape[0], w = (int)t.shape[1], c = (int)t.shape[2];
        var bytes = t.bytes;
        var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        byte* d = (byte*)bmp.GetPixels();
        for (int i = 0; i < w * h; i++)
        {
            byte v0 = bytes[i * c];
            d[4 * i] = v0;
            d[4 * i + 1] = c > 1 ? bytes[i * c + 1] : v0;
            d[4 * i + 2] = c > 2 ? bytes[i * c + 2] : v0;
            d[4 * i + 3] = 255;
        }
        return bmp;
    }
}
