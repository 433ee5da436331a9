using DataBlocks.Data;
using TorchSharp;

namespace DataBlocks.Vision;

/// <summary>
/// Turns <c>uint8</c> image batches into <c>float32</c> in [0, 1] on the device. Order 10; the default batch transform
/// of <see cref="BlockTypes.ImageFileBlock"/>. On the CPU it runs inside collation (<see cref="IFusableBatchTransform"/>).
/// fastai: <c>IntToFloatTensor(div=255)</c>.
/// </summary>
public sealed class IntToFloatTensor : IFusableBatchTransform
{
    /// <inheritdoc />
    public int Order => 10;

    /// <inheritdoc />
    public string Name => "IntToFloatTensor";

    /// <inheritdoc />
    public void Encode(Batch batch, bool isTraining)
    {
        for (int i = 0; i < batch.Fields.Count; i++)
        {
            if (!ActsOn(batch.Codecs[i]) || batch.Fields[i].dtype != torch.uint8) continue;
            using var scope = torch.NewDisposeScope();
            batch.Replace(i, batch.Fields[i].to(torch.float32).div_(255f).MoveToOuterDisposeScope());
        }
    }

    /// <inheritdoc />
    public bool ActsOn(IFieldCodec codec) => codec.Kind == FieldKind.Image;

    /// <summary>First in a fused run: the collated bytes divided by 255 (it cannot follow another map: the values are floats by then).</summary>
    public ChannelMap? FuseAfter(ChannelMap? before) => before is null ? new ChannelMap([255f, 255f, 255f], [0f, 0f, 0f]) : null;

    /// <inheritdoc />
    public void Decode(Batch batch)
    {
        // Display code reads floats in [0, 1] directly.
    }
}
