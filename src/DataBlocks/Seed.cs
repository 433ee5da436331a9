using System;
using TorchSharp;

namespace DataBlocks;

/// <summary>Seeding helpers. DataBlocks' own randomness (splitters, shuffling, augmentation) never reads global state:
/// each of them takes its seed explicitly. Torch's global generators (weight initialisation, dropout) do, and are
/// seeded here.</summary>
public static class Seed
{
    /// <summary>Seeds torch's CPU generator and, when present, every CUDA generator.</summary>
    public static void Everything(int seed)
    {
        torch.manual_seed(seed);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
    }

    /// <summary>A well-mixed 32-bit seed derived from several integers (SplitMix64 finaliser).</summary>
    public static int Mix(long a, long b = 0, long c = 0, long d = 0)
    {
        ulong x = (ulong)a;
        x = Round(x ^ (ulong)b * 0x9E3779B97F4A7C15UL);
        x = Round(x ^ (ulong)c * 0xBF58476D1CE4E5B9UL);
        x = Round(x ^ (ulong)d * 0x94D049BB133111EBUL);
        return (int)(x ^ (x >> 32));

        static ulong Round(ulong z)
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>A fresh seed when the caller gave none (fastai's seedless default).</summary>
    internal static int OrRandom(int? seed) => seed ?? Random.Shared.Next();
}
