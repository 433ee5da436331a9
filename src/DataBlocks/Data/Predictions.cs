using TorchSharp;

namespace DataBlocks.Data;

/// <summary>Helpers that decode activated predictions row by row (used by generated <c>DecodePredictions</c>).</summary>
public static class Predictions
{
    /// <summary>The rows of <paramref name="activated"/> (batch dimension first), each flattened, on the CPU.</summary>
    public static float[][] Rows(torch.Tensor activated)
    {
        using var scope = torch.NewDisposeScope();
        long n = activated.shape.Length == 0 ? 1 : activated.shape[0];
        var flat = activated.to(torch.float32).cpu().reshape(n, -1).contiguous();
        long width = flat.shape[1];
        float[] all = flat.data<float>().ToArray();
        var rows = new float[n][];
        for (long i = 0; i < n; i++)
        {
            rows[i] = new float[width];
            System.Array.Copy(all, i * width, rows[i], 0, width);
        }
        return rows;
    }

    /// <summary>The index of the largest value (the first one on ties, as <c>argmax</c>).</summary>
    public static int ArgMax(float[] row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }
}
