using DataBlocks.Data;
using TorchSharp;

namespace DataBlocks.Vision;

/// <summary>
/// Turns <c>uint8</c> image batches into <c>float32</c> in [0, 1] on the device. Order 10; added automatically for
/// every <see cref="BlockTypes.ImageFileBlock"/>. fastai: <c>IntToFloatTensor(div=255)</c>.
/// </summary>
public sealed class IntToFloatTensor : IBatchTransform
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
            if (batch.Codecs[i].Kind != FieldKind.Image || batch.Fields[i].dtype != torch.uint8) continue;
            using var scope = torch.NewDisposeScope();
            batch.Replace(i, batch.Fields[i].to(torch.float32).div_(255f).MoveToOuterDisposeScope());
        }
    }

    /// <inheritdoc />
    public void Decode(Batch batch)
    {
        // Display code reads floats in [0, 1] directly.
    }
}
