using System.Numerics;

namespace DataBlocks.BlockTypes;

/// <summary>Decodes a <see cref="PointBlock{TPoint}"/> target's predictions (used by generated <c>DecodePredictions</c>).</summary>
public static class PointPredictions
{
    /// <summary>A row of x, y pairs (x first, as the block encodes them) → points; an odd last value is ignored.</summary>
    public static Vector2[] Decode(float[] row)
    {
        var points = new Vector2[row.Length / 2];
        for (int i = 0; i < points.Length; i++) points[i] = new Vector2(row[2 * i], row[2 * i + 1]);
        return points;
    }
}
