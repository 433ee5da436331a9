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
/// turned into <c>float32</c> in [0, 1] by the block's batch transform <see cref="IntToFloatTensor"/> (fastai: <c>ImageBlock</c> with
/// <c>PILImage.create</c>, <c>ToTensor</c>, <c>IntToFloatTensor</c>).
/// </summary>
public class ImageFileBlock : IBlock<string>
{
    private readonly Normalize? _normalize;

    /// <summary>Images in [0, 1]; normalise them with a declared <see cref="Normalize"/> if the model wants it.</summary>
    public ImageFileBlock()
    {
    }

    /// <summary>
    /// Images normalised with the statistics of the weights a model starts from, e.g. <see cref="Normalize.Imagenet"/> for
    /// ImageNet-pretrained ones (fastai's <c>vision_learner</c> adds that <c>Normalize</c> when <c>pretrained</c>). Derive a
    /// block with a parameterless constructor to use it in <c>[Block(typeof(...))]</c>.
    /// </summary>
    public ImageFileBlock(Normalize normalize) => _normalize = normalize;

    /// <inheritdoc />
    public virtual string Name => "ImageBlock";

    /// <summary>
    /// The limits this block's images are decoded with (pixel count, partial images); null uses
    /// <see cref="ImageDecoder.DefaultOptions"/>. A derived block sets it in its constructor.
    /// </summary>
    public ImageDecodeOptions? DecodeOptions { get; init; }

    /// <summary><see cref="IntToFloatTensor"/>, then the <see cref="Normalize"/> given to the constructor, if any.</summary>
    public IEnumerable<IBatchTransform> BatchTransforms =>
        _normalize is null ? [new IntToFloatTensor()] : [new IntToFloatTensor(), _normalize];

    /// <inheritdoc />
    public IFieldCodec<string> Setup(FieldInfo field, IReadOnlyList<string> trainValues) => new ImageCodec(field, DecodeOptions);
}

/// <summary>The set-up <see cref="ImageFileBlock"/>: path → decoded image → <c>uint8 [B, 3, H, W]</c>.</summary>
/// <param name="field">The field.</param>
/// <param name="options">The decode limits; null uses <see cref="ImageDecoder.DefaultOptions"/> at each decode.</param>
public sealed class ImageCodec(FieldInfo field, ImageDecodeOptions? options = null) : IFieldCodec<string>, IStreamingCollation, IDeferredEncoding
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
        // Decoded when a transform (or collation) needs the pixels; errors name the item too (a CSV row names its line).
        return new ImageSample(EncodedImage.Open(value, item, options));
    }

    /// <summary>Decodes at the smallest scale the format allows: enough to find truncated or damaged data.</summary>
    public void Complete(object sample) => ((ImageSample)sample).Decode(0.0);

    /// <inheritdoc />
    public HostTensor Collate(IReadOnlyList<object> samples) => CollateAll(samples, null, null);

    /// <inheritdoc />
    public IBatchCollector Begin(int count, float[]? scale, float[]? shift) => new Collector(count, scale, shift);

    private static HostTensor CollateAll(IReadOnlyList<object> samples, float[]? scale, float[]? shift)
    {
        using var collector = new Collector(samples.Count, scale, shift);
        for (int i = 0; i < samples.Count; i++) collector.Add(i, samples[i]);
        return collector.Finish();
    }

    /// <summary>Writes RGBA bitmaps into CHW planes: uint8, or float32 with a per-channel affine map.</summary>
    private sealed unsafe class Collector(int count, float[]? scale, float[]? shift) : IBatchCollector
    {
        private HostTensor? _host;
        private string? _firstSource;
        private int _width, _height;

        public void Add(int position, object sample)
        {
            var image = (ImageSample)sample;
            if (_firstSource is null)
            {
                _firstSource = image.Source;
                _width = image.Width;
                _height = image.Height;
                _host = scale is null ? HostTensor.Bytes(count, 3, _height, _width) : HostTensor.Floats(count, 3, _height, _width);
            }
            else if (image.Width != _width || image.Height != _height)
            {
                throw new DataBlocksException(
                    $"Images in one batch must have the same size, but '{_firstSource}' is {_width}x{_height} and '{image.Source}' is {image.Width}x{image.Height}. " +
                    "Add an item transform that sizes every image, such as Resize(224).");
            }
            var bmp = image.Bitmap;
            byte* src = (byte*)bmp.GetPixels();
            int rowBytes = bmp.RowBytes, w = _width, h = _height, plane = w * h;
            if (scale is null)
            {
                fixed (byte* dst = _host!.Span<byte>())
                {
                    byte* r = dst + (long)position * 3 * plane, g = r + plane, b = g + plane;
                    for (int y = 0; y < h; y++)
                    {
                        byte* p = src + (long)y * rowBytes;
                        int o = y * w;
                        for (int x = 0; x < w; x++, p += 4)
                        {
                            r[o + x] = p[0];
                            g[o + x] = p[1];
                            b[o + x] = p[2];
                        }
                    }
                }
            }
            else
            {
                float sr = scale[0], sg = scale[1], sb = scale[2], br = shift![0], bg = shift[1], bb = shift[2];
                fixed (float* dst = _host!.Span<float>())
                {
                    float* r = dst + (long)position * 3 * plane, g = r + plane, b = g + plane;
                    for (int y = 0; y < h; y++)
                    {
                        byte* p = src + (long)y * rowBytes;
                        int o = y * w;
                        for (int x = 0; x < w; x++, p += 4)
                        {
                            r[o + x] = p[0] * sr + br;
                            g[o + x] = p[1] * sg + bg;
                            b[o + x] = p[2] * sb + bb;
                        }
                    }
                }
            }
        }

        public HostTensor Finish()
        {
            var host = _host ?? throw new InvalidOperationException("No image was added to the batch.");
            _host = null;
            return host;
        }

        public void Dispose()
        {
            _host?.Dispose();
        }
    }

    /// <inheritdoc />
    public string Show(torch.Tensor row) => $"image {row.shape[^1]}x{row.shape[^2]}";

    /// <inheritdoc />
    public object CloneSample(object sample) => sample;
}
