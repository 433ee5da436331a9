using System;
using System.Collections.Generic;
using System.Globalization;

namespace DataBlocks.Synthetic;

/// <summary>One synthetic rating: a user id, an item title and a rating.</summary>
/// <param name="User">The user id (1-based, as MovieLens numbers its users).</param>
/// <param name="Item">The item's title, <c>"item 0007"</c>.</param>
/// <param name="Rating">The rating, in [1, 5].</param>
public sealed record SyntheticRating(int User, string Item, float Rating);

/// <summary>
/// Ratings made from known latent factors: <c>rating = clamp(mean + userBias + itemBias + userFactors·itemFactors + noise, 1, 5)</c>.
/// A model that learns them back recovers the biases and the factor products; tests, the benchmark and the quick start
/// use it where no real ratings are at hand.
/// </summary>
public sealed class RatingsDataset
{
    private RatingsDataset(IReadOnlyList<SyntheticRating> rows, float[][] userFactors, float[][] itemFactors, float[] userBias, float[] itemBias,
        float mean, double noise)
    {
        Rows = rows;
        UserFactors = userFactors;
        ItemFactors = itemFactors;
        UserBias = userBias;
        ItemBias = itemBias;
        Mean = mean;
        Noise = noise;
    }

    /// <summary>The ratings, in generation order.</summary>
    public IReadOnlyList<SyntheticRating> Rows { get; }

    /// <summary>The true factors of user <c>u</c> at index <c>u − 1</c>.</summary>
    public IReadOnlyList<float[]> UserFactors { get; }

    /// <summary>The true factors of item <c>i</c> (title <see cref="ItemName"/>(i)) at index <c>i</c>.</summary>
    public IReadOnlyList<float[]> ItemFactors { get; }

    /// <summary>The true user biases (index <c>u − 1</c>).</summary>
    public IReadOnlyList<float> UserBias { get; }

    /// <summary>The true item biases.</summary>
    public IReadOnlyList<float> ItemBias { get; }

    /// <summary>The global mean.</summary>
    public float Mean { get; }

    /// <summary>The standard deviation of the noise added to each rating.</summary>
    public double Noise { get; }

    /// <summary>The title of item <paramref name="index"/>.</summary>
    public static string ItemName(int index) => string.Create(CultureInfo.InvariantCulture, $"item {index:D4}");

    /// <summary>The rating the factors give, before noise and clamping.</summary>
    public float TrueRating(int user, int item)
    {
        float r = Mean + UserBias[user - 1] + ItemBias[item];
        var u = UserFactors[user - 1];
        var v = ItemFactors[item];
        for (int f = 0; f < u.Length; f++) r += u[f] * v[f];
        return r;
    }

    /// <summary>Generates <paramref name="ratings"/> distinct (user, item) ratings.</summary>
    /// <param name="users">Number of users (ids 1 … users).</param>
    /// <param name="items">Number of items.</param>
    /// <param name="ratings">Number of ratings, at most <c>users · items</c>.</param>
    /// <param name="factors">Latent dimensions.</param>
    /// <param name="noise">Standard deviation of the Gaussian noise.</param>
    /// <param name="seed">Seed: the same arguments give the same ratings.</param>
    public static RatingsDataset Generate(int users = 100, int items = 150, int ratings = 5000, int factors = 3, double noise = 0.2, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(factors, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(noise);
        if (ratings < 1 || (long)ratings > (long)users * items)
            throw new ArgumentOutOfRangeException(nameof(ratings), ratings, $"Between 1 and users·items ({(long)users * items}).");
        var random = new Random(seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        float scale = (float)(0.9 / Math.Sqrt(factors));   // factor products of variance ≈ 0.65 whatever the dimension
        float[][] Factors(int n)
        {
            var result = new float[n][];
            for (int i = 0; i < n; i++)
            {
                result[i] = new float[factors];
                for (int f = 0; f < factors; f++) result[i][f] = (float)Gauss() * scale;
            }
            return result;
        }
        float[] Biases(int n, double sd)
        {
            var result = new float[n];
            for (int i = 0; i < n; i++) result[i] = (float)(Gauss() * sd);
            return result;
        }
        var rows = new List<SyntheticRating>(ratings);
        var dataset = new RatingsDataset(rows, Factors(users), Factors(items), Biases(users, 0.3), Biases(items, 0.4), 3.4f, noise);
        var seen = new HashSet<long>();
        while (rows.Count < ratings)
        {
            int user = random.Next(users) + 1, item = random.Next(items);
            if (!seen.Add((long)user * items + item)) continue;
            float r = dataset.TrueRating(user, item) + (float)(Gauss() * noise);
            rows.Add(new SyntheticRating(user, ItemName(item), Math.Clamp(r, 1f, 5f)));
        }
        return dataset;
    }
}
