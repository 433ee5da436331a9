using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;

namespace DataBlocks.Data;

/// <summary>
/// A random fraction of the items is validation. fastai: <c>RandomSplitter(valid_pct=0.2, seed=None)</c>.
/// </summary>
/// <remarks>
/// The permutation is <c>torch.randperm(n)</c> drawn from a private generator seeded with <paramref name="seed"/>,
/// so with the same seed the validation set is the one fastai picks (fastai seeds the global torch generator
/// instead; we leave global state alone). Validation = the first <c>int(validPct * n)</c> entries.
/// </remarks>
/// <param name="validPct">Fraction of items in the validation set, in (0, 1).</param>
/// <param name="seed">Seed of the permutation; <c>null</c> gives a different split on every call, as in fastai.</param>
public sealed class RandomSplitter(double validPct = 0.2, int? seed = null) : ISplitter
{
    /// <summary>Fraction of items in the validation set.</summary>
    public double ValidPct { get; } = validPct;

    /// <summary>The seed, or null for a fresh split each time.</summary>
    public int? Seed { get; } = seed;

    /// <inheritdoc />
    public DataSplit Split<TItem>(IReadOnlyList<TItem> items)
    {
        DataSplit.RequireFraction(ValidPct, nameof(validPct));
        int n = items.Count;
        int[] perm = Permutation(n, Seed ?? System.Random.Shared.Next());
        int cut = (int)(ValidPct * n);
        return new DataSplit(perm[cut..], perm[..cut]);
    }

    /// <summary><c>torch.randperm(n)</c> from a generator seeded with <paramref name="seed"/>.</summary>
    internal static int[] Permutation(int n, long seed)
    {
        using var scope = torch.NewDisposeScope();
        using var gen = new torch.Generator((ulong)seed);
        var perm = torch.randperm(n, generator: gen, dtype: torch.int64);
        return perm.data<long>().Select(v => (int)v).ToArray();
    }
}
