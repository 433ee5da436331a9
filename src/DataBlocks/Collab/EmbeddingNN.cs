using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Layers;
using DataBlocks.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch.nn;

namespace DataBlocks.Collab;

/// <summary>
/// The neural collaborative filtering model: one embedding per categorical input (sizes from fastai's rule),
/// concatenated, then <c>LinBnDrop</c> blocks (<c>Linear(bias: false)</c> → ReLU → <c>BatchNorm1d</c>), a final
/// <c>Linear(last, 1)</c> and <c>SigmoidRange</c>. Input <c>int64 [B, n]</c>; output <c>float32 [B]</c>. State-dict names
/// are fastai's (<c>embeds.0.weight</c>, <c>layers.0.0.weight</c>, …) except that there is no <c>bn_cont</c>: fastai builds
/// an empty <c>BatchNorm1d(0)</c> for the absent continuous inputs, which has no weights to carry. An export holds its
/// architecture as the model writes it (kind <c>EmbeddingNN</c>: embedding sizes, hidden sizes, range). fastai:
/// <c>EmbeddingNN(emb_szs, layers, y_range)</c> = <c>TabularModel(emb_szs, n_cont=0, out_sz=1, layers, use_bn=True, lin_first=True)</c>.
/// </summary>
public sealed class EmbeddingNN : Module<torch.Tensor, torch.Tensor>, ICollabModel, IExportableModel
{
    [ComponentName(Name = "embeds")] private readonly ModuleList<Embedding> _embeds;
    [ComponentName(Name = "layers")] private readonly Sequential _layers;

    /// <summary>Creates the model.</summary>
    /// <param name="embeddingSizes">Per categorical input: (classes with <c>#na#</c>, embedding size).</param>
    /// <param name="layers">Hidden sizes (fastai's collab default is <c>[nFactors]</c>; the book uses <c>[100, 50]</c>).</param>
    /// <param name="yRange">The range of predictions; null or infinite bounds = unbounded.</param>
    public EmbeddingNN(IReadOnlyList<(int Count, int Size)> embeddingSizes, IReadOnlyList<int> layers, (double Low, double High)? yRange = null)
        : base(nameof(EmbeddingNN))
    {
        if (embeddingSizes.Count == 0) throw new ArgumentException("Give at least one embedding.", nameof(embeddingSizes));
        if (layers.Any(l => l < 1)) throw new ArgumentException("Hidden sizes must be positive.", nameof(layers));
        if (embeddingSizes.Any(e => e.Count < 1 || e.Size < 1))
            throw new ArgumentException(
                $"Every embedding needs at least one class and one dimension, not [{string.Join(", ", embeddingSizes.Select(e => $"({e.Count}, {e.Size})"))}].",
                nameof(embeddingSizes));
        EmbeddingSizes = embeddingSizes.ToArray();
        Layers = layers.ToArray();
        YRange = CollabRange.Normalize(yRange);
        _embeds = new ModuleList<Embedding>(EmbeddingSizes.Select(e => Init.Embedding(e.Count, e.Size)).ToArray());
        var stack = new List<Module<torch.Tensor, torch.Tensor>>();
        long width = EmbeddingSizes.Sum(e => e.Size);
        foreach (int size in Layers)
        {
            stack.Add(LinBnDrop.Create(width, size, act: ReLU(inplace: true), linFirst: true));
            width = size;
        }
        stack.Add(LinBnDrop.Create(width, 1, bn: false, linFirst: true));
        if (YRange is { } r) stack.Add(new SigmoidRange(r.Low, r.High));
        _layers = Sequential(stack.ToArray());   // TorchSharp names the entries "0", "1", … as PyTorch does
        RegisterComponents();
    }

    /// <summary>Per input: (classes, embedding size).</summary>
    public IReadOnlyList<(int Count, int Size)> EmbeddingSizes { get; }

    /// <summary>The hidden sizes.</summary>
    public IReadOnlyList<int> Layers { get; }

    /// <inheritdoc />
    public (double Low, double High)? YRange { get; }

    /// <summary>The embedding of input <paramref name="index"/>.</summary>
    public Embedding Embedding(int index) => _embeds[index];

    /// <inheritdoc />
    public torch.Tensor UserFactors => _embeds[0].weight!;

    /// <inheritdoc />
    public torch.Tensor ItemFactors => _embeds[Math.Min(1, _embeds.Count - 1)].weight!;

    /// <inheritdoc />
    public torch.Tensor? ItemBiases => null;

    string IExportableModel.ArchitectureKind => nameof(EmbeddingNN);

    void IExportableModel.WriteArchitecture(BinaryWriter writer)
    {
        writer.Write(EmbeddingSizes.Count);
        foreach (var (count, size) in EmbeddingSizes)
        {
            writer.Write(count);
            writer.Write(size);
        }
        writer.Write(Layers.Count);
        foreach (int l in Layers) writer.Write(l);
        ArchitectureReader.WriteRange(writer, YRange);
    }

    /// <summary>Rebuilds the model from the descriptor <see cref="IExportableModel.WriteArchitecture"/> wrote (untrained).</summary>
    internal static EmbeddingNN ReadArchitecture(ArchitectureReader reader)
    {
        var sizes = reader.List(() => (reader.Count(), reader.Count()));
        var layers = reader.List(reader.Count);
        var range = reader.Range();
        double weights = sizes.Sum(e => (double)e.Item1 * e.Item2), width = sizes.Sum(e => (double)e.Item2);
        foreach (int l in layers)
        {
            weights += width * l;
            width = l;
        }
        reader.Allocates(weights + width);
        return new EmbeddingNN(sizes, layers, range);
    }

    /// <inheritdoc />
    public override torch.Tensor forward(torch.Tensor input)
    {
        if (input.dim() != 2 || input.shape[1] != _embeds.Count)
            throw new ArgumentException($"This EmbeddingNN takes [batch, {_embeds.Count}] indices, not [{string.Join(", ", input.shape)}].", nameof(input));
        using var scope = torch.NewDisposeScope();
        var parts = new torch.Tensor[_embeds.Count];
        for (int i = 0; i < parts.Length; i++) parts[i] = _embeds[i].call(input.select(1, i));
        var output = _layers.call(torch.cat(parts, 1)).squeeze(-1);
        return output.MoveToOuterDisposeScope();
    }
}
