using System;
using System.IO;
using DataBlocks.Layers;
using DataBlocks.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;

namespace DataBlocks.Collab;

/// <summary>
/// The dot-product collaborative filtering model: user and item factors and biases;
/// <c>r = Σ_f U[u,f]·I[i,f] + b_u[u] + b_i[i]</c>, squashed by <c>sigmoid_range</c> when a range is given. Input
/// <c>int64 [B, 2]</c> (user index, item index); output <c>float32 [B]</c>. Embeddings start from fastai's truncated
/// normal (std 0.01). State-dict names are fastai's (<c>u_weight</c>, <c>i_weight</c>, <c>u_bias</c>, <c>i_bias</c>).
/// An export holds its architecture as the model writes it (kind <c>EmbeddingDotBias</c>: factors, users, items, range).
/// fastai: <c>EmbeddingDotBias(n_factors, n_users, n_items, y_range)</c>.
/// </summary>
public sealed class EmbeddingDotBias : torch.nn.Module<torch.Tensor, torch.Tensor>, ICollabModel, IExportableModel
{
    private readonly int _nUsers, _nItems;
    [ComponentName(Name = "u_weight")] private readonly Embedding _userWeight;
    [ComponentName(Name = "i_weight")] private readonly Embedding _itemWeight;
    [ComponentName(Name = "u_bias")] private readonly Embedding _userBias;
    [ComponentName(Name = "i_bias")] private readonly Embedding _itemBias;

    /// <summary>Creates the model.</summary>
    /// <param name="nFactors">Latent factors per user and item.</param>
    /// <param name="nUsers">Users, the <c>#na#</c> slot included.</param>
    /// <param name="nItems">Items, the <c>#na#</c> slot included.</param>
    /// <param name="yRange">The range of predictions (<c>sigmoid_range</c>); null or infinite bounds = unbounded.</param>
    public EmbeddingDotBias(int nFactors, int nUsers, int nItems, (double Low, double High)? yRange = null) : base(nameof(EmbeddingDotBias))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nFactors, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nUsers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nItems, 1);
        NFactors = nFactors;
        (_nUsers, _nItems) = (nUsers, nItems);
        YRange = CollabRange.Normalize(yRange);
        _userWeight = Init.Embedding(nUsers, nFactors);
        _itemWeight = Init.Embedding(nItems, nFactors);
        _userBias = Init.Embedding(nUsers, 1);
        _itemBias = Init.Embedding(nItems, 1);
        RegisterComponents();
    }

    /// <summary>Latent factors per user and item.</summary>
    public int NFactors { get; }

    /// <inheritdoc />
    public (double Low, double High)? YRange { get; }

    // Each read of these properties is a new handle to the same storage (TorchSharp's Module.weight): read them inside a
    // dispose scope, or dispose what you read.

    /// <summary>The user factors <c>[nUsers, nFactors]</c> (a new handle on each read: dispose it or read it in a dispose scope).</summary>
    public Parameter UserWeight => _userWeight.weight!;

    /// <summary>The item factors <c>[nItems, nFactors]</c> (a new handle on each read).</summary>
    public Parameter ItemWeight => _itemWeight.weight!;

    /// <summary>The user biases <c>[nUsers, 1]</c> (a new handle on each read).</summary>
    public Parameter UserBias => _userBias.weight!;

    /// <summary>The item biases <c>[nItems, 1]</c> (a new handle on each read).</summary>
    public Parameter ItemBias => _itemBias.weight!;

    /// <inheritdoc />
    public torch.Tensor UserFactors => UserWeight;

    /// <inheritdoc />
    public torch.Tensor ItemFactors => ItemWeight;

    /// <inheritdoc />
    public torch.Tensor? ItemBiases => ItemBias;

    string IExportableModel.ArchitectureKind => nameof(EmbeddingDotBias);

    void IExportableModel.WriteArchitecture(BinaryWriter writer)
    {
        writer.Write(NFactors);
        writer.Write(_nUsers);
        writer.Write(_nItems);
        ArchitectureReader.WriteRange(writer, YRange);
    }

    /// <summary>Rebuilds the model from the descriptor <see cref="IExportableModel.WriteArchitecture"/> wrote (untrained).</summary>
    internal static EmbeddingDotBias ReadArchitecture(ArchitectureReader reader)
    {
        int factors = reader.Count(), users = reader.Count(), items = reader.Count();
        var range = reader.Range();
        reader.Allocates((users + (double)items) * (factors + 1.0));
        return new EmbeddingDotBias(factors, users, items, range);
    }

    /// <inheritdoc />
    public override torch.Tensor forward(torch.Tensor input)
    {
        if (input.dim() != 2 || input.shape[1] != 2)
            throw new ArgumentException($"EmbeddingDotBias takes [batch, 2] (user, item) indices, not [{string.Join(", ", input.shape)}].", nameof(input));
        using var scope = torch.NewDisposeScope();
        var users = input.select(1, 0);
        var items = input.select(1, 1);
        var dot = _userWeight.call(users).mul(_itemWeight.call(items)).sum(1);
        var result = dot.add(_userBias.call(users).squeeze(-1)).add(_itemBias.call(items).squeeze(-1));
        if (YRange is { } range) result = SigmoidRange.Apply(result, range.Low, range.High);
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>What the collaborative-filtering analysis needs from a model. Each property read is a new handle to the model's storage: read it inside a dispose scope.</summary>
public interface ICollabModel
{
    /// <summary>The range predictions are squashed into, or null.</summary>
    (double Low, double High)? YRange { get; }

    /// <summary>The user embedding matrix <c>[nUsers, d]</c> (index 0 = <c>#na#</c>).</summary>
    torch.Tensor UserFactors { get; }

    /// <summary>The item embedding matrix <c>[nItems, d]</c> (index 0 = <c>#na#</c>).</summary>
    torch.Tensor ItemFactors { get; }

    /// <summary>The item biases <c>[nItems, 1]</c>, or null for a model without biases (the neural one).</summary>
    torch.Tensor? ItemBiases { get; }
}

internal static class CollabRange
{
    /// <summary>A range with an infinite bound means "unbounded".</summary>
    public static (double Low, double High)? Normalize((double Low, double High)? range)
    {
        if (range is not { } r || double.IsInfinity(r.Low) || double.IsInfinity(r.High)) return null;
        if (double.IsNaN(r.Low) || double.IsNaN(r.High) || r.Low >= r.High)
            throw new ArgumentException($"The prediction range ({r.Low}, {r.High}) needs low < high.", nameof(range));
        return r;
    }
}
