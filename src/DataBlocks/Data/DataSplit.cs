using System;
using System.Collections.Generic;

namespace DataBlocks.Data;

/// <summary>Training and validation indices into an item list.</summary>
public sealed record DataSplit(IReadOnlyList<int> Train, IReadOnlyList<int> Valid)
{
    /// <summary>Checks that every index is in range and used at most once; <paramref name="splitterName"/> names the culprit.</summary>
    public void Validate(int itemCount, string splitterName)
    {
        var seen = new bool[itemCount];
        Check(Train, "training");
        Check(Valid, "validation");

        void Check(IReadOnlyList<int> idxs, string which)
        {
            foreach (int i in idxs)
            {
                if ((uint)i >= (uint)itemCount)
                    throw new DataBlocksException(
                        $"{splitterName} returned {which} index {i}, but there are only {itemCount} items (valid indices are 0..{itemCount - 1}).");
                if (seen[i])
                    throw new DataBlocksException(
                        $"{splitterName} put item #{i} in more than one split; each item must be either training or validation.");
                seen[i] = true;
            }
        }
    }

    internal static int[] Complement(int count, IEnumerable<int> valid)
    {
        var isValid = new bool[count];
        foreach (int i in valid)
        {
            if ((uint)i >= (uint)count)
                throw new DataBlocksException($"Validation index {i} is out of range: there are {count} items.");
            isValid[i] = true;
        }
        var train = new List<int>(count);
        for (int i = 0; i < count; i++)
            if (!isValid[i]) train.Add(i);
        return train.ToArray();
    }

    internal static void RequireFraction(double pct, string name)
    {
        if (!(pct > 0 && pct < 1))
            throw new ArgumentOutOfRangeException(name, pct, $"{name} must be strictly between 0 and 1.");
    }
}
