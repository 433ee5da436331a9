using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch.nn;

namespace DataBlocks.Layers;

/// <summary>
/// Adaptive max pooling and adaptive average pooling side by side: <c>[B, C, H, W]</c> → <c>[B, 2·C, size, size]</c>, the
/// max-pooled channels <b>first</b>, then the averaged ones. fastai: <c>AdaptiveConcatPool2d(size=None)</c>,
/// <c>torch.cat([self.mp(x), self.ap(x)], 1)</c>.
/// </summary>
public sealed class AdaptiveConcatPool2d : Module<torch.Tensor, torch.Tensor>
{
    [ComponentName(Name = "ap")] private readonly AdaptiveAvgPool2d _ap;   // fastai's names
    [ComponentName(Name = "mp")] private readonly AdaptiveMaxPool2d _mp;

    /// <summary>Creates the layer; <paramref name="size"/> is the output's height and width (fastai's default 1).</summary>
    public AdaptiveConcatPool2d(long size = 1) : base(nameof(AdaptiveConcatPool2d))
    {
        Size = size;
        _ap = AdaptiveAvgPool2d(size);
        _mp = AdaptiveMaxPool2d([size, size]);
        RegisterComponents();
    }

    /// <summary>The output's height and width.</summary>
    public long Size { get; }

    /// <inheritdoc />
    public override torch.Tensor forward(torch.Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        return torch.cat([_mp.call(input), _ap.call(input)], 1).MoveToOuterDisposeScope();
    }
}
