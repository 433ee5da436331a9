using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;

namespace DataBlocks.Data;

/// <summary>
/// The batch transforms a loader runs inside collation (<see cref="IFusableBatchTransform"/>) and those left for the batch
/// tensor: the leading run of fusable transforms that act on the same fields, all of whose codecs collate as they go.
/// </summary>
internal sealed class CollationFusion
{
    private readonly bool[] _fused;
    private readonly float[]? _scale;
    private readonly float[]? _shift;

    private CollationFusion(bool[] fused, ChannelMap? map, IBatchTransform[] all, IBatchTransform[] remaining)
    {
        _fused = fused;
        (_scale, _shift) = map is null ? (null, null) : map.ToScaleShift();
        All = all;
        Remaining = remaining;
    }

    /// <summary>Every batch transform of the loader, in order: the fused ones, then <see cref="Remaining"/>.</summary>
    public IBatchTransform[] All { get; }

    /// <summary>The transforms that still run on the batch tensor, in order.</summary>
    public IBatchTransform[] Remaining { get; }

    /// <summary>Fuses what can be fused of <paramref name="transforms"/>: only when batches stay on the CPU.</summary>
    public static CollationFusion Plan(IReadOnlyList<IFieldCodec> codecs, IBatchTransform[] transforms, torch.Device device)
    {
        bool[]? fields = null;
        ChannelMap? map = null;
        int k = 0;
        for (; device.type == DeviceType.CPU && k < transforms.Length && transforms[k] is IFusableBatchTransform t; k++)
        {
            bool[] acts = codecs.Select(t.ActsOn).ToArray();
            if (fields is null && codecs.Where((c, f) => acts[f]).Any(c => c is not IStreamingCollation)) break;
            if (fields is not null && !acts.AsSpan().SequenceEqual(fields)) break;
            if (t.FuseAfter(map) is not { } next) break;
            fields = acts;
            map = next;
        }
        return new CollationFusion(fields ?? new bool[codecs.Count], map, transforms, transforms[k..]);
    }

    /// <summary>Starts collating field <paramref name="field"/> of a batch of <paramref name="count"/>, through the fused map if it applies.</summary>
    public IBatchCollector Begin(IStreamingCollation codec, int field, int count) =>
        _fused[field] ? codec.Begin(count, _scale, _shift) : codec.Begin(count, null, null);
}
