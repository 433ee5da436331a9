using System;

namespace DataBlocks.Data;

/// <summary>
/// A batch transform that can run inside collation instead, as a per-channel affine map of the collated values. When
/// batches stay on the CPU, the loader fuses the leading run of such transforms into the collation of the fields they act
/// on (<see cref="IStreamingCollation"/>, on its worker threads, while each sample is still in the cache) and runs only the
/// rest on the batch tensor. It fuses only when every field the first transform acts on collates that way, and stops at
/// the first transform that acts on other fields or cannot follow the map so far. The numbers are those
/// <see cref="IBatchTransform.Encode"/> gives; on a GPU the batch is sent as collated and transformed there.
/// </summary>
public interface IFusableBatchTransform : IBatchTransform
{
    /// <summary>Whether the transform acts on the field that <paramref name="codec"/> encodes.</summary>
    bool ActsOn(IFieldCodec codec);

    /// <summary>
    /// The map of the fused transforms once this one is added after them: <paramref name="before"/> is the map of those
    /// before it, or null when it is the first (it then maps the values as the codec collates them). Null when this
    /// transform cannot follow <paramref name="before"/> (fusion stops there; the rest run on the batch tensor).
    /// </summary>
    ChannelMap? FuseAfter(ChannelMap? before);
}

/// <summary>A per-channel affine map <c>value / Divisor[c] + Shift[c]</c> (fastai's <c>IntToFloatTensor(div)</c> then <c>Normalize</c>).</summary>
public sealed class ChannelMap
{
    private readonly float[] _divisor;
    private readonly float[] _shift;

    /// <summary>A map with one divisor and one shift per channel.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or there are no channels.</exception>
    public ChannelMap(float[] divisor, float[] shift)
    {
        if (divisor.Length != shift.Length || divisor.Length == 0)
            throw new ArgumentException($"A channel map needs one divisor and one shift per channel (got {divisor.Length} and {shift.Length}).");
        _divisor = (float[])divisor.Clone();
        _shift = (float[])shift.Clone();
    }

    /// <summary>The number of channels.</summary>
    public int Channels => _divisor.Length;

    /// <summary>What each channel's value is divided by.</summary>
    public ReadOnlySpan<float> Divisor => _divisor;

    /// <summary>What is then added to each channel.</summary>
    public ReadOnlySpan<float> Shift => _shift;

    /// <summary>The map as <c>value · scale[c] + shift[c]</c>, the form <see cref="IStreamingCollation.Begin"/> takes.</summary>
    public (float[] Scale, float[] Shift) ToScaleShift()
    {
        var scale = new float[_divisor.Length];
        for (int c = 0; c < scale.Length; c++) scale[c] = 1f / _divisor[c];
        return (scale, (float[])_shift.Clone());
    }
}
