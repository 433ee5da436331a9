using System;
using System.Collections.Generic;

namespace DataBlocks.Data;

/// <summary>fastai 0.7's cross-validation helpers.</summary>
public static class CrossValidation
{
    /// <summary>
    /// The validation indices of fold <paramref name="cvIdx"/>: fastai 0.7's <c>get_cv_idxs(n, cv_idx=0, val_pct=0.2, seed=42)</c>.
    /// </summary>
    /// <remarks>
    /// Exactly NumPy's legacy stream: <c>np.random.seed(seed)</c>, <c>perm = np.random.permutation(n)</c>,
    /// <c>n_val = int(val_pct * n)</c>, result <c>perm[cv_idx*n_val : cv_idx*n_val + n_val]</c>. So the same seed selects the
    /// same images as the course notebooks. (Before 21 Nov 2017 fastai's default fold was 4, the last fifth.)
    /// </remarks>
    public static int[] GetCvIdxs(int n, int cvIdx = 0, double valPct = 0.2, uint seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(cvIdx);
        DataSplit.RequireFraction(valPct, nameof(valPct));
        int nVal = (int)(valPct * n);
        int start = cvIdx * nVal;
        if (start + nVal > n)   // never with nVal = 0 (start is 0 then), so the division below is safe
            throw new ArgumentOutOfRangeException(nameof(cvIdx), cvIdx,
                $"Fold {cvIdx} of {nVal} items starts past the end of {n} items (at most {n / nVal - 1}).");
        int[] perm = NumPyLegacyRandom.Permutation(n, seed);
        return perm[start..(start + nVal)];
    }

    /// <summary>A splitter whose validation set is <see cref="GetCvIdxs"/> (fastai 0.7's <c>val_idxs</c> default).</summary>
    public static ISplitter Splitter(int cvIdx = 0, double valPct = 0.2, uint seed = 42) => new CvSplitter(cvIdx, valPct, seed);

    private sealed class CvSplitter(int cvIdx, double valPct, uint seed) : ISplitter
    {
        public DataSplit Split<TItem>(IReadOnlyList<TItem> items)
        {
            int[] valid = GetCvIdxs(items.Count, cvIdx, valPct, seed);
            return new DataSplit(DataSplit.Complement(items.Count, valid), valid);
        }
    }
}

/// <summary>NumPy's legacy <c>RandomState</c> (MT19937), enough of it for <c>seed</c> + <c>permutation</c>.</summary>
internal sealed class NumPyLegacyRandom
{
    private const int N = 624, M = 397;
    private readonly uint[] _mt = new uint[N];
    private int _index;

    public NumPyLegacyRandom(uint seed)
    {
        // np.random.seed(int) → init_genrand(seed)
        _mt[0] = seed;
        for (int i = 1; i < N; i++)
            _mt[i] = unchecked(1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + (uint)i);
        _index = N;
    }

    public static int[] Permutation(int n, uint seed)
    {
        var rng = new NumPyLegacyRandom(seed);
        var arr = new int[n];
        for (int i = 0; i < n; i++) arr[i] = i;
        // RandomState.shuffle on a 1-d array: Fisher–Yates from the end with random_interval(i).
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)rng.Interval((uint)i);
            (arr[i], arr[j]) = (arr[j], arr[i]);
        }
        return arr;
    }

    /// <summary>Uniform integer in [0, max] by masked rejection (NumPy's legacy <c>random_interval</c>).</summary>
    public uint Interval(uint max)
    {
        if (max == 0) return 0;
        uint mask = max;
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16;
        uint value;
        while ((value = NextUInt32() & mask) > max) { }
        return value;
    }

    public uint NextUInt32()
    {
        if (_index >= N) Twist();
        uint y = _mt[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    private void Twist()
    {
        for (int i = 0; i < N; i++)
        {
            uint y = (_mt[i] & 0x80000000u) | (_mt[(i + 1) % N] & 0x7fffffffu);
            uint next = _mt[(i + M) % N] ^ (y >> 1);
            if ((y & 1) != 0) next ^= 0x9908b0dfu;
            _mt[i] = next;
        }
        _index = 0;
    }
}
