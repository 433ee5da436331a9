using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Collab;
using DataBlocks.Data;
using DataBlocks.Learning;
using DataBlocks.Metrics;
using DataBlocks.Synthetic;
using DataBlocks.TestKit;
using TorchSharp;
using Xunit;
using static DataBlocks.Blocks;

namespace DataBlocks.EndToEnd.Tests;

/// <summary>Ratings from a delimited file, declared with the DSL: user and item ids in, a rating out.</summary>
[Block(CategoricalBlock, CategoricalBlock, RegressionBlock)]
public partial class FilmRatings
{
    public sealed record Row(int User, string Film, float Stars);

    [GetItems] static IReadOnlyList<Row> Read(string path) => DelimitedFile.Read<Row>(path, new DelimitedOptions { Delimiter = "\t", HasHeader = false });
    [GetX(0)] static int User(Row r) => r.User;
    [GetX(1)] static string Film(Row r) => r.Film;
    [GetY] static float Stars(Row r) => r.Stars;
    [Splitter] static ISplitter Split => new RandomSplitter(0.2, seed: 42);
}

[Trait("Category", "E2E")]
public class CollabTests
{
    [Fact]
    public void Ratings_From_A_Tsv_Train_A_Dot_Product_Model_That_Exports_And_Loads()
    {
        using var dir = new TempDir();
        var data = RatingsDataset.Generate(users: 120, items: 200, ratings: 8000, factors: 4, noise: 0.25, seed: 5);
        string path = dir.Combine("ratings.tsv");
        File.WriteAllLines(path, data.Rows.Select(r => $"{r.User}\t{r.Item}\t{r.Rating.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));

        using var dls = FilmRatings.DataLoaders(path, bs: 64, seed: 1, device: torch.CPU);
        Assert.True(dls.Train.IsColumnar);
        Assert.Equal(121, dls.UserVocab.Count);   // 120 users and #na#
        using var batch = dls.Train.OneBatch();
        Assert.Equal(torch.int64, batch.User.dtype);
        Assert.Equal(torch.float32, batch.Stars.dtype);

        Seed.Everything(1);
        var output = new StringWriter();
        using var learn = CollabLearner.Create(dls, nFactors: 16, yRange: (0.5, 5.5), metrics: [new Rmse()],
            options: new LearnerOptions { Output = output, Progress = ProgressMode.Plain });
        var rows = learn.FitOneCycle(8, 1e-2, wd: 0.05);
        var mean = data.Rows.Average(r => r.Rating);
        double variance = data.Rows.Average(r => (r.Rating - mean) * (r.Rating - mean));
        Assert.True(rows[^1].ValidLoss < 0.4 * variance, $"validation MSE {rows[^1].ValidLoss:F3} against a variance of {variance:F3}\n{output}");
        Assert.Equal(System.Math.Sqrt(rows[^1].ValidLoss), rows[^1].Metric("_rmse"), 3);

        var model = CollabModel<int, string>.From(learn);
        using var loaded = CollabModel<int, string>.Load(model.Export(dir.Combine("films.dbcollab")), torch.CPU);
        var pairs = data.Rows.Take(50).Select(r => (r.User, r.Item)).ToArray();
        Assert.Equal(model.Predict(pairs), loaded.Predict(pairs));
        Assert.Equal(model.Recommend(7, 3), loaded.Recommend(7, 3));

        // New rows through the generated loaders: the learner predicts what the model does, and an unknown user is named
        // unless the cold start is asked for.
        var fresh = data.Rows.Take(50).Select(r => new FilmRatings.Row(r.User, r.Item, r.Rating)).ToArray();
        using (var scope = torch.NewDisposeScope())
        using (var dl = dls.TestDataLoader(fresh))
        {
            float[] preds = learn.GetPreds(dl).Predictions.flatten().data<float>().ToArray();
            float[] expected = model.Predict(pairs);
            Assert.Equal(expected.Length, preds.Length);
            for (int i = 0; i < preds.Length; i++) Assert.Equal(expected[i], preds[i], 1e-5f);
        }
        var stranger = new FilmRatings.Row(100_000, data.Rows[0].Item, 3);
        Assert.Contains("'100000'", Assert.Throws<DataBlocksException>(() => dls.TestDataLoader([stranger])).Message);
        using (var dl = dls.TestDataLoader([stranger], unknownKeys: UnknownKeys.UseNa))
        using (var b = dl.OneBatch())
            Assert.Equal(0L, b.User[0].item<long>());
    }
}
