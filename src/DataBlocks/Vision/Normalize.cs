using System;
using System.Linq;
using DataBlocks.Data;
using TorchSharp;

namespace DataBlocks.Vision;

/// <summary>
/// Per-channel normalisation of float image batches on the device: <c>(x − mean) / std</c>; decoding undoes it.
/// Order 99. On the CPU, right after <see cref="IntToFloatTensor"/>, it runs inside collation (<see cref="IFusableBatchTransform"/>).
/// fastai: <c>Normalize.from_stats(*imagenet_stats)</c>.
/// </summary>
public sealed class Normalize : IFusableBatchTransform
{
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>Normalises with the given per-channel statistics.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or a standard deviation is not positive.</exception>
    public Normalize(float[] mean, float[] std)
    {
        if (mean.Length != std.Length || mean.Length == 0)
            throw new ArgumentException($"Normalize needs one mean and one std per channel (got {mean.Length} and {std.Length}).");
        if (std.Any(s => !(s > 0)))
            throw new ArgumentException("Every standard deviation must be positive.", nameof(std));
        _mean = (float[])mean.Clone();
        _std = (float[])std.Clone();
    }

    /// <summary>ImageNet statistics, fastai's <c>imagenet_stats</c>: mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).</summary>
    public static Normalize Imagenet => new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>The channel means.</summary>
    public ReadOnlySpan<float> Mean => _mean;

    /// <summary>The channel standard deviations.</summary>
    public ReadOnlySpan<float> Std => _std;

    /// <inheritdoc />
    public int Order => 99;

    /// <inheritdoc />
    public string Name => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"Normalize(mean [{string.Join(", ", _mean.Select(m => m.ToString(System.Globalization.CultureInfo.InvariantCulture)))}], std [{string.Join(", ", _std.Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)))}])");

    /// <inheritdoc />
    public void Encode(Batch batch, bool isTraining) => Apply(batch, decode: false);

    /// <inheritdoc />
    public void Decode(Batch batch) => Apply(batch, decode: true);

    /// <inheritdoc />
    public bool ActsOn(IFieldCodec codec) => codec.Kind == FieldKind.Image;

    /// <summary>
    /// After a map to floats with as many channels as the statistics: <c>(v / d + s − mean) / std</c> =
    /// <c>v / (d · std) + (s − mean) / std</c>. It cannot come first: it leaves the collated bytes alone.
    /// </summary>
    public ChannelMap? FuseAfter(ChannelMap? before)
    {
        if (before is null || before.Channels != _mean.Length) return null;
        var divisor = new float[_mean.Length];
        var shift = new float[_mean.Length];
        for (int c = 0; c < divisor.Length; c++)
        {
            divisor[c] = before.Divisor[c] * _std[c];
            shift[c] = (before.Shift[c] - _mean[c]) / _std[c];
        }
        return new ChannelMap(divisor, shift);
    }

    private void Apply(Batch batch, bool decode)
    {
        for (int i = 0; i < batch.Fields.Count; i++)
        {
            var x = batch.Fields[i];
            if (!ActsOn(batch.Codecs[i]) || !x.is_floating_point()) continue;
            if (x.shape[1] != _mean.Length)
                throw new DataBlocksException(
                    $"Normalize has statistics for {_mean.Length} channels but the images of {batch.Codecs[i].Field.Member} have {x.shape[1]}.");
            using var scope = torch.NewDisposeScope();
            var mean = torch.tensor(_mean, device: x.device).view(1, -1, 1, 1);
            var std = torch.tensor(_std, device: x.device).view(1, -1, 1, 1);
            // In place: the batch owns its tensors, and a 38 MB temporary per 224×224 batch is what makes CPU loading slow.
            if (decode) x.mul_(std).add_(mean);
            else x.sub_(mean).div_(std);
        }
    }
}
