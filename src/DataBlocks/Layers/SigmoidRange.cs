using TorchSharp;

namespace DataBlocks.Layers;

/// <summary>
/// Squashes its input into (<see cref="Low"/>, <see cref="High"/>): <c>sigmoid(x)·(high − low) + low</c>. fastai:
/// <c>SigmoidRange(low, high)</c> / <c>sigmoid_range</c>.
/// </summary>
public sealed class SigmoidRange : torch.nn.Module<torch.Tensor, torch.Tensor>
{
    /// <summary>Creates the layer.</summary>
    public SigmoidRange(double low, double high) : base(nameof(SigmoidRange))
    {
        Low = low;
        High = high;
    }

    /// <summary>The lower bound (never reached).</summary>
    public double Low { get; }

    /// <summary>The upper bound (never reached).</summary>
    public double High { get; }

    /// <summary>fastai's <c>sigmoid_range(x, low, high)</c>.</summary>
    public static torch.Tensor Apply(torch.Tensor x, double low, double high) => x.sigmoid().mul(high - low).add(low);

    /// <inheritdoc />
    public override torch.Tensor forward(torch.Tensor input) => Apply(input, Low, High);
}
