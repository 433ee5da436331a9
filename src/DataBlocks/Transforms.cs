using System.Collections.Generic;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Vision;

namespace DataBlocks;

/// <summary>
/// Factory methods for transforms, named like fastai's. Import with <c>using static DataBlocks.Transforms;</c> and write
/// <c>item: Resize(224)</c>.
/// </summary>
public static class Transforms
{
    /// <summary>Square resize (item transform). fastai: <c>Resize(size, method, pad_mode)</c>.</summary>
    public static Resize Resize(int size, ResizeMethod method = ResizeMethod.Crop, PadMode padMode = PadMode.Reflection) =>
        new(size, method, padMode);

    /// <summary>Resize to <paramref name="height"/>×<paramref name="width"/> (item transform).</summary>
    public static Resize Resize(int height, int width, ResizeMethod method = ResizeMethod.Crop, PadMode padMode = PadMode.Reflection) =>
        new(height, width, method, padMode);

    /// <summary>ImageNet normalisation (batch transform). fastai: <c>Normalize.from_stats(*imagenet_stats)</c>.</summary>
    public static Normalize ImagenetNormalize() => Vision.Normalize.Imagenet;

    /// <summary>Normalisation with the given statistics (batch transform).</summary>
    public static Normalize Normalize(float[] mean, float[] std) => new(mean, std);

    /// <summary>Several item transforms as one (they still run sorted by order).</summary>
    public static IItemTransform Items(params IItemTransform[] transforms) => new ItemPipeline(transforms);

    /// <summary>Several batch transforms as one (they still run sorted by order).</summary>
    public static IBatchTransform Batches(params IBatchTransform[] transforms) => new BatchPipeline(transforms);
}
