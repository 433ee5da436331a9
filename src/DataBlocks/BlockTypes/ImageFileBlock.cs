using System.Collections.Generic;
using System;
using DataBlocks.Data;
using DataBlocks.Losses;
using DataBlocks.Vision;
using SkiaSharp;
using TorchSharp;

namespace DataBlocks.BlockTypes;

/// <summary>
/// The block behind <see cref="Blocks.ImageBlock"/>: an image read from a file path. Decoding happens on the loader's worker threads; batches are <c>uint8 [B, 3, H, W]</c>
/// turned into <c>float32</c> in [0, 1] on the device by <see cref="IntToFloatTensor"/> (fastai: <c>ImageBlock</c> with
/// <c>PILImage.create</c>, <c>ToTensor</c>, <c>IntToFloatTensor</c>).
/// </summary>
public class ImageFileBlock : IBlock<string>
{
    /// <inheritdoc />
    public virtual string Name => "ImageBlock";

    /// <inheritdoc />
    public IFieldCodec<string> Setup(FieldInfo field, IReadOnlyList<string> trainValues) => new ImageCodec(field);
}

/// <summary>The set-up <see cref="ImageFileBlock"/>: path → decoded image → <c>uint8 [B, 3, H, W]</c>.</summary>
public sealed class ImageCodec(FieldInfo field) : IFieldCodec<string>
{
    /// <inheritdoc />
    public FieldInfo Field { get; } = field;

    /// <inheritdoc />
    public FieldKind Kind => FieldKind.Image;

    /// <inheritdoc />
    public bool EncodesEagerly => false;

    /// <inheritdoc />
    public int OutputCount => 0;

    /// <inheritdoc />
    public ILossFunction? DefaultLoss => null;

    /// <inheritdoc />
    public object Encode(string value, string item)
    {
        if (string.IsNullOrEmpty(value))
            throw new DataBlocksException($"{Field.Member} returned an empty path for item '{item}'.");
        return new ImageSample(ImageDecoder.Decode(value), value);
    }

    /// <inheritdoc />
    public unsafe HostTensor Collate(IReadOnlyList<object> samples)
    {
        var first = (ImageSample)samples[0];
        int w = first.Width, h = first.Height, plane = w * h;
        foreach (ImageSample s in samples)
            if (s.Width != w || s.Height != h)
                throw new DataBlocksException(
                    $"Images in one batch must have the same size, but '{first.Source}' is {w}x{h} and '{s.Source}' is {s.Width}x{s.Height}. " +
                    "Add an item transform that sizes every image, such as Resize(224).");
        var host = HostTensor.Bytes(samples.Count, 3, h, w);
        var dst = host.Span<byte>();
        for (int i = 0; i < samples.Count; i++)
        {
            var bmp = ((ImageSample)samples[i]).Bitmap;
            byte* src = (byte*)bmp.GetPixels();
            int rowBytes = bmp.RowBytes;
            var r = dst.Slice((i * 3 + 0) * plane, plane);
            var g = dst.Slice((i * 3 + 1) * plane, plane);
            var b = dst.Slice((i * 3 + 2) * plane, plane);
            for (int y = 0; y < h; y++)
            {
                byte* row = src + (long)y * rowBytes;
                int o = y * w;
                for (int x = 0; x < w; x++)
                {
                    r[o + x] = row[4 * x];
                    g[o + x] = row[4 * x + 1];
                    b[o + x] = row[4 * x + 2];
                }
            }
        }
        return host;
    }

    /// <inheritdoc />
    public string Show(torch.Tensor row) => $"image {row.shape[^1]}x{row.shape[^2]}";

    /// <inheritdoc />
    public object CloneSample(object sample) => sample;
}
