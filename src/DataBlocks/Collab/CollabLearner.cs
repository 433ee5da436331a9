using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Layers;
using DataBlocks.Learning;
using DataBlocks.Losses;
using DataBlocks.Metrics;

namespace DataBlocks.Collab;

/// <summary>
/// Builds a learner for collaborative filtering from loaders whose inputs are categorical ids (<c>CategoricalBlock</c>:
/// user, item — any key type) and whose target is a rating (<c>RegressionBlock</c>). fastai: <c>collab_learner</c>.
/// </summary>
public static class CollabLearner
{
    /// <summary>The prediction range used when none is given: (0, 5.5), so that a 5-star rating is reachable (fastbook).</summary>
    public static readonly (double Low, double High) DefaultYRange = (0, 5.5);

    /// <summary>
    /// Creates the learner: <see cref="EmbeddingDotBias"/> with <paramref name="nFactors"/> factors, or with
    /// <paramref name="useNn"/> an <see cref="EmbeddingNN"/> with fastai's embedding sizes (or <paramref name="embeddingSizes"/>)
    /// and hidden <paramref name="layers"/> (default <c>[nFactors]</c>, as fastai); MSE loss; one parameter group; weight
    /// decay (<see cref="LearnerOptions.Wd"/>, or <c>wd</c> of a fit) is the regulariser — fastbook trains with
    /// <c>FitOneCycle(5, 5e-3, wd: 0.1)</c>.
    /// </summary>
    /// <param name="dls">Loaders with categorical inputs and a rating target.</param>
    /// <param name="nFactors">Latent factors of the dot-product model (and the default hidden size of the neural one).</param>
    /// <param name="yRange">Predictions are squashed into this range with <c>sigmoid_range</c>; null = <see cref="DefaultYRange"/>;
    /// an infinite bound leaves them unbounded (fastai's <c>y_range=None</c>).</param>
    /// <param name="useNn">The neural model instead of the dot product.</param>
    /// <param name="layers">Hidden sizes of the neural model.</param>
    /// <param name="embeddingSizes">Embedding size per input for the neural model (default: fastai's rule, <see cref="Init.EmbeddingSizeRule"/>).</param>
    /// <param name="metrics">Validation metrics (e.g. <see cref="Rmse"/>).</param>
    /// <param name="options">Learner options.</param>
    /// <exception cref="DataBlocksException">The loaders' inputs are not categorical ids, or the target is not one number.</exception>
    public static Learner Create(DataLoaders dls, int nFactors = 50, (double Low, double High)? yRange = null, bool useNn = false,
        IReadOnlyList<int>? layers = null, IReadOnlyList<int>? embeddingSizes = null, IEnumerable<IMetric>? metrics = null,
        LearnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dls);
        var range = yRange ?? DefaultYRange;
        var inputs = dls.Codecs.Take(dls.NInputs).ToArray();
        string name = dls.Datasets.Name;
        if (inputs.Length < 2 || inputs.Any(c => c.Kind != FieldKind.Categorical))
            throw new DataBlocksException(
                $"{name}: collaborative filtering needs categorical id inputs (CategoricalBlock: user, item), but its inputs are " +
                $"{string.Join(", ", inputs.Select(c => $"{c.Field.Name} ({c.Kind})"))}.");
        if (dls.Target is not { Kind: FieldKind.Regression, OutputCount: 1 })
            throw new DataBlocksException($"{name}: collaborative filtering needs one rating to predict (a RegressionBlock of one number) as its target.");
        TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model;
        if (useNn)
        {
            if (embeddingSizes is not null && embeddingSizes.Count != inputs.Length)
                throw new ArgumentException($"Give one embedding size per input ({inputs.Length}), not {embeddingSizes.Count}.", nameof(embeddingSizes));
            var sizes = inputs.Select((c, i) => (c.OutputCount, embeddingSizes?[i] ?? Init.EmbeddingSizeRule(c.OutputCount))).ToArray();
            model = new EmbeddingNN(sizes, layers ?? [nFactors], range);
        }
        else
        {
            if (inputs.Length != 2)
                throw new DataBlocksException(
                    $"{name}: the dot-product model takes exactly two ids (user, item), but there are {inputs.Length} inputs; use useNn: true for more.");
            model = new EmbeddingDotBias(nFactors, inputs[0].OutputCount, inputs[1].OutputCount, range);
        }
        return new Learner(dls, model, new MSELossFlat(), metrics, options);
    }
}
