using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.BlockTypes;
using DataBlocks.Collab;
using DataBlocks.Data;
using DataBlocks.Layers;
using DataBlocks.Learning;
using DataBlocks.Serialization;
using DataBlocks.Synthetic;
using DataBlocks.TestKit;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>Collaborative filtering: fastai's formulas, shapes and initialisation; learning known factors back; inference and export.</summary>
[Collection("Torch")]
public class CollabTests
{
    private static readonly LearnerOptions Quiet = TinyRegression.Silent;

    private static DataLoaders<SyntheticRating> Loaders(RatingsDataset data, int bs = 64) =>
        DataLoaders<SyntheticRating>.Create(ColumnarLoaderTests.Ratings(), data.Rows,
            new DataLoaderOptions { BatchSize = bs, Seed = 1, Workers = 0, Device = torch.CPU });

    private static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double ma = a.Average(), mb = b.Average();
        double cov = a.Zip(b).Sum(p => (p.First - ma) * (p.Second - mb));
        return cov / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(x => (x - mb) * (x - mb)));
    }

    /// <summary>A dot-product model trained on known factors (shared by the inference tests: training is the slow part).</summary>
    private static (Learner Learn, DataLoaders<SyntheticRating> Dls, RatingsDataset Data) Trained(bool useNn = false)
    {
        var data = RatingsDataset.Generate(users: 80, items: 120, ratings: 4000, factors: 3, noise: 0.2, seed: 11);
        var dls = Loaders(data);
        Seed.Everything(3);
        var learn = CollabLearner.Create(dls, nFactors: 8, yRange: (0.5, 5.5), useNn: useNn, layers: useNn ? [32] : null, options: Quiet);
        learn.FitOneCycle(12, 1e-2, wd: 0.02);
        return (learn, dls, data);
    }

    [Fact]
    public void Embedding_Size_Rule_And_Sigmoid_Range_Are_Fastais()
    {
        Assert.Equal(74, Init.EmbeddingSizeRule(944));
        Assert.Equal(101, Init.EmbeddingSizeRule(1635));
        Assert.Equal(102, Init.EmbeddingSizeRule(1665));
        Assert.Equal(6, Init.EmbeddingSizeRule(10));
        Assert.Equal(600, Init.EmbeddingSizeRule(10_000_000));
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { -2f, 0f, 3f });
        float[] y = SigmoidRange.Apply(x, 0, 5.5).data<float>().ToArray();
        Assert.Equal([(float)(5.5 / (1 + Math.Exp(2))), 2.75f, (float)(5.5 / (1 + Math.Exp(-3)))], y);
    }

    [Fact]
    public void Embeddings_Start_From_Fastais_Truncated_Normal()
    {
        Seed.Everything(42);
        using var model = new EmbeddingDotBias(50, 944, 1665);
        using var scope = torch.NewDisposeScope();
        var w = model.UserWeight.detach();
        Assert.True(w.abs().max().item<float>() <= 0.02f);                       // fmod(2) · 0.01
        Assert.InRange(w.std().item<float>(), 0.0080f, 0.0094f);                // fastai: 0.008682 (a wrapped normal, narrower than 0.01)
        Assert.InRange(w.mean().item<float>(), -0.0005f, 0.0005f);
    }

    [Fact]
    public void Models_Free_Their_Memory_On_Dispose()
    {
        long before = MemoryProbe.LiveTensors;
        using (var dot = new EmbeddingDotBias(8, 50, 60)) Assert.Equal(before + 4, MemoryProbe.LiveTensors);
        using (var nn = new EmbeddingNN([(50, 6), (60, 7)], [8])) { }
        Assert.Equal(before, MemoryProbe.LiveTensors);
    }

    [Fact]
    public void Batch_Norm_Starts_As_Fastais()
    {
        using var bn = LinBnDrop.BatchNorm(5);
        using var scope = torch.NewDisposeScope();
        Assert.Equal(Enumerable.Repeat(1e-3f, 5), bn.bias!.data<float>().ToArray());
        Assert.Equal(Enumerable.Repeat(1f, 5), bn.weight!.data<float>().ToArray());
    }

    [Fact]
    public void Models_Have_Fastais_Shapes_And_State_Names()
    {
        using var dot = new EmbeddingDotBias(50, 944, 1665, (0, 5.5));
        Assert.Equal(new Dictionary<string, long[]>
        {
            ["u_weight.weight"] = [944, 50], ["i_weight.weight"] = [1665, 50], ["u_bias.weight"] = [944, 1], ["i_bias.weight"] = [1665, 1],
        }, dot.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape));

        using var nn = new EmbeddingNN([(944, 74), (1665, 102)], [100, 50], (0, 5.5));
        var shapes = nn.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal([944, 74], shapes["embeds.0.weight"]);
        Assert.Equal([1665, 102], shapes["embeds.1.weight"]);
        Assert.Equal([100, 176], shapes["layers.0.0.weight"]);   // Linear(176, 100, bias=False) → ReLU → BatchNorm1d(100)
        Assert.False(shapes.ContainsKey("layers.0.0.bias"));
        Assert.Equal([100], shapes["layers.0.2.running_mean"]);
        Assert.Equal([50, 100], shapes["layers.1.0.weight"]);
        Assert.Equal([1, 50], shapes["layers.2.0.weight"]);      // the final Linear(50, 1) has a bias and no batch norm
        Assert.Equal([1], shapes["layers.2.0.bias"]);
        Assert.DoesNotContain(shapes.Keys, k => k.StartsWith("layers.2.1", StringComparison.Ordinal));
    }

    [Fact]
    public void The_Dot_Model_Computes_Fastais_Formula()
    {
        using var model = new EmbeddingDotBias(4, 5, 6, (0, 5.5));
        using var scope = torch.NewDisposeScope();
        var input = torch.tensor(new long[] { 1, 2, 4, 0, 3, 5 }, [3, 2]);
        var expected = new float[3];
        var (u, i, bu, bi) = (model.UserWeight.detach(), model.ItemWeight.detach(), model.UserBias.detach(), model.ItemBias.detach());
        for (int r = 0; r < 3; r++)
        {
            long user = input[r, 0].item<long>(), item = input[r, 1].item<long>();
            double dot = (u[user] * i[item]).sum().item<float>() + bu[user, 0].item<float>() + bi[item, 0].item<float>();
            expected[r] = (float)(5.5 / (1 + Math.Exp(-dot)));
        }
        using (torch.no_grad())
            Assert.Equal(expected, model.call(input).data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.Throws<ArgumentException>(() => model.call(torch.zeros(3, 3, dtype: torch.int64)));
    }

    [Fact]
    public void The_Dot_Model_Learns_Known_Factors_Back()
    {
        var (learn, dls, data) = Trained();
        using (learn)
        using (dls)
        {
            double mse = learn.History[^1].ValidLoss;
            Assert.True(mse < 0.12, $"validation MSE {mse} (noise variance {data.Noise * data.Noise})");
            var model = CollabModel<int, string>.From(learn);
            // The biases come back (up to a shift), and so do the ratings the factors give, before noise.
            var items = Enumerable.Range(0, 120).Where(i => model.Items.TryGetIndex(RatingsDataset.ItemName(i), out _)).ToArray();
            var bias = ((EmbeddingDotBias)learn.Model).ItemBias.detach().reshape(-1).data<float>().ToArray();
            double biasCorrelation = Pearson(items.Select(i => (double)data.ItemBias[i]).ToArray(),
                items.Select(i => (double)bias[model.Items.IndexOf(RatingsDataset.ItemName(i))]).ToArray());
            Assert.True(biasCorrelation > 0.8, $"item bias correlation {biasCorrelation}");
            var pairs = (from user in Enumerable.Range(1, 80) from item in items.Take(40) select (user, item)).ToArray();
            var predicted = model.Predict(pairs.Select(p => (p.user, RatingsDataset.ItemName(p.item))));
            double ratingCorrelation = Pearson(pairs.Select(p => (double)Math.Clamp(data.TrueRating(p.user, p.item), 1f, 5f)).ToArray(),
                predicted.Select(v => (double)v).ToArray());
            Assert.True(ratingCorrelation > 0.85, $"rating correlation over every user × 40 items {ratingCorrelation}");
        }
    }

    [Fact]
    public void Predictions_Recommendations_Analysis_And_Unknown_Keys()
    {
        var (learn, dls, data) = Trained();
        using (learn)
        using (dls)
        {
            var model = CollabModel<int, string>.From(learn);
            var (user, item) = (data.Rows[0].User, data.Rows[0].Item);
            var rated = data.Rows.Where(r => r.User == user).Select(r => r.Item).ToHashSet();

            var top = model.Recommend(user, 10);
            Assert.Equal(10, top.Count);
            Assert.DoesNotContain(top, r => rated.Contains(r.Item));
            Assert.True(top.Zip(top.Skip(1)).All(p => p.First.Rating >= p.Second.Rating));
            Assert.Equal(top[0].Rating, model.Predict(user, top[0].Item), 5);
            var any = model.Recommend(user, 1, excludeSeen: false)[0];
            Assert.True(any.Rating >= top[0].Rating);

            var e = Assert.Throws<DataBlocksException>(() => model.Predict(99_999, item));
            Assert.Contains("user '99999' was not in the training split", e.Message);
            Assert.Contains("UnknownKeys.UseNa", e.Message);
            Assert.Throws<DataBlocksException>(() => model.Predict(user, "no such item"));
            // A cold start is the #na# user (row 0) with the item: 0.5 + 5·σ(u₀·vᵢ + b₀ + cᵢ) on the trained weights.
            var dot = (EmbeddingDotBias)learn.Model;
            float[] Row(TorchSharp.Modules.Parameter weight, int row)
            {
                using var scope = torch.NewDisposeScope();
                return weight.detach()[row].data<float>().ToArray();
            }
            int itemRow = model.Items.IndexOf(item);
            double z = Row(dot.UserWeight, 0).Zip(Row(dot.ItemWeight, itemRow)).Sum(p => (double)p.First * p.Second)
                       + Row(dot.UserBias, 0)[0] + Row(dot.ItemBias, itemRow)[0];
            float cold = model.Predict(99_999, item, UnknownKeys.UseNa);
            Assert.Equal(0.5 + 5.0 / (1 + Math.Exp(-z)), cold, 5);
            int knownUser = model.Users.IndexOf(user);
            double zKnown = Row(dot.UserWeight, knownUser).Zip(Row(dot.ItemWeight, itemRow)).Sum(p => (double)p.First * p.Second)
                            + Row(dot.UserBias, knownUser)[0] + Row(dot.ItemBias, itemRow)[0];
            Assert.Equal(0.5 + 5.0 / (1 + Math.Exp(-zKnown)), model.Predict(user, item), 5);

            long live = MemoryProbe.LiveTensors;
            var liked = model.MostLiked(5);
            Assert.Equal(live, MemoryProbe.LiveTensors);
            var disliked = model.LeastLiked(5);
            Assert.True(liked[0].Value > disliked[0].Value);
            Assert.Equal(liked.Select(s => s.Value).OrderDescending(), liked.Select(s => s.Value));
            var nearest = model.Nearest(item, 5);
            Assert.Equal(5, nearest.Count);
            Assert.DoesNotContain(nearest, s => s.Item == item);
            // The cosines of the item's factors with every other item's (not #na#), by hand: the nearest are the 5 highest.
            double[] Factors(int row) => Row(dot.ItemWeight, row).Select(v => (double)v).ToArray();
            double Cosine(double[] a, double[] b) =>
                a.Zip(b).Sum(p => p.First * p.Second) / Math.Sqrt(a.Sum(v => v * v) * b.Sum(v => v * v));
            var mine = Factors(itemRow);
            var expectedNearest = Enumerable.Range(1, model.Items.Count - 1).Where(i => i != itemRow)
                .Select(i => (Item: model.Items.Decode(i), Cosine: Cosine(mine, Factors(i)))).OrderByDescending(p => p.Cosine).Take(5).ToArray();
            Assert.Equal(expectedNearest.Select(p => p.Item), nearest.Select(s => s.Item));
            Assert.All(expectedNearest.Zip(nearest), p => Assert.Equal(p.First.Cosine, p.Second.Value, 5));

            var popular = model.MostRated(30);
            Assert.Equal(data.Rows.Count(r => r.Item == popular[0]), model.RatingCount(popular[0]));
            Assert.Throws<ArgumentOutOfRangeException>(() => model.ItemPca(popular.Take(2).ToArray(), 3));
            var pca = model.ItemPca(popular, 3);
            Assert.Equal(30, pca.Length);
            Assert.All(pca, row => Assert.Equal(3, row.Length));
            double Variance(int c) => pca.Select(r => (double)r[c] * r[c]).Sum();
            Assert.True(Variance(0) >= Variance(1) && Variance(1) >= Variance(2), "components come in decreasing variance");
            Assert.Equal(0, pca.Sum(r => (double)r[0] * r[1]), 3);   // uncorrelated
            using var dir = new TempDir();
            string png = model.PlotItemPca(dir.Combine("pca.png"), pool: 60, labelled: 20);
            using var image = SkiaSharp.SKBitmap.Decode(png);
            Assert.Equal((1000, 800), (image.Width, image.Height));

            Assert.Throws<DataBlocksException>(() => CollabModel<string, string>.From(learn));   // the users are ints
        }
    }

    [Fact]
    public void Export_And_Load_Predict_The_Same_Without_The_Data()
    {
        foreach (bool useNn in new[] { false, true })
        {
            var (learn, dls, data) = Trained(useNn);
            using (learn)
            using (dls)
            {
                using var dir = new TempDir();
                var model = CollabModel<int, string>.From(learn);
                string path = model.Export(dir.Combine("ratings.dbcollab"));
                using var loaded = CollabModel<int, string>.Load(path, torch.CPU);
                var pairs = data.Rows.Take(100).Select(r => (r.User, r.Item)).ToArray();
                Assert.Equal(model.Predict(pairs), loaded.Predict(pairs));
                Assert.Equal(model.Recommend(5, 5), loaded.Recommend(5, 5));
                Assert.Equal(model.Nearest(data.Rows[0].Item), loaded.Nearest(data.Rows[0].Item));
                Assert.Equal(model.MostRated(10), loaded.MostRated(10));
                if (useNn)
                {
                    Assert.IsType<EmbeddingNN>(loaded.Module);
                    Assert.Throws<InvalidOperationException>(() => loaded.MostLiked());   // no biases in the neural model
                }

                Assert.Contains("cannot load as CollabModel<String, String>",
                    Assert.Throws<DataBlocksException>(() => CollabModel<string, string>.Load(path)).Message);
                byte[] bytes = File.ReadAllBytes(path);
                string truncated = dir.Combine("truncated.dbcollab");
                File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
                Assert.Contains("truncated", Assert.Throws<DataBlocksException>(() => CollabModel<int, string>.Load(truncated)).Message);
                File.WriteAllText(dir.Combine("other.dbcollab"), "not a model");
                Assert.Throws<DataBlocksException>(() => CollabModel<int, string>.Load(dir.Combine("other.dbcollab")));
                string trailing = dir.Combine("trailing.dbcollab");
                File.WriteAllBytes(trailing, [.. bytes, 1, 2, 3]);
                Assert.Contains("3 bytes follow its last section", Assert.Throws<DataBlocksException>(() => CollabModel<int, string>.Load(trailing)).Message);
                string negative = SerializationTests.Rewrite(path, DataBlocksFile.CollabExport, "users", users => [.. BitConverter.GetBytes(-5), .. users[4..]]);
                Assert.Contains("is damaged", Assert.Throws<DataBlocksException>(() => CollabModel<int, string>.Load(negative)).Message);

                // A damaged size in the architecture is named before anything is allocated: a huge factor count, or an
                // embedding that does not match the vocabulary.
                int sizesAt = 1 + (useNn ? nameof(EmbeddingNN) : nameof(EmbeddingDotBias)).Length;   // after the kind
                string wrongSize = SerializationTests.Rewrite(path, DataBlocksFile.CollabExport, "architecture", a =>
                {
                    var resized = (byte[])a.Clone();
                    if (useNn) BitConverter.GetBytes(BitConverter.ToInt32(a, sizesAt + 4) + 1).CopyTo(resized, sizesAt + 4);
                    else BitConverter.GetBytes(1 << 28).CopyTo(resized, sizesAt);
                    return resized;
                });
                Assert.Contains(useNn ? "do not match its vocabularies" : "weights where",
                    Assert.Throws<DataBlocksException>(() => CollabModel<int, string>.Load(wrongSize)).Message);
                if (useNn)
                {
                    // Hidden sizes whose weight count wraps a long around to a small number (int.MaxValue × (2^31 − W)
                    // + W × int.MaxValue = 2^62 − 2^31, × 4 bytes): still named before Linear(W, int.MaxValue) is allocated.
                    string huge = SerializationTests.Rewrite(path, DataBlocksFile.CollabExport, "architecture", a =>
                    {
                        int sizeCount = BitConverter.ToInt32(a, sizesAt);
                        int width = Enumerable.Range(0, sizeCount).Sum(i => BitConverter.ToInt32(a, sizesAt + 4 + 8 * i + 4));
                        int layersAt = sizesAt + 4 + 8 * sizeCount;
                        int layerCount = BitConverter.ToInt32(a, layersAt);
                        return [.. a[..layersAt], .. BitConverter.GetBytes(2), .. BitConverter.GetBytes(int.MaxValue),
                            .. BitConverter.GetBytes(int.MaxValue - width + 1), .. a[(layersAt + 4 + 4 * layerCount)..]];
                    });
                    Assert.Contains("weights where", Assert.Throws<DataBlocksException>(() => CollabModel<int, string>.Load(huge)).Message);
                }
            }
        }
    }

    [Fact]
    public void A_Mixed_Precision_Learner_Exports_Its_Fp32_Masters()
    {
        var data = RatingsDataset.Generate(users: 30, items: 40, ratings: 600, factors: 2, noise: 0.2, seed: 5);
        using var dls = Loaders(data);
        using var learn = CollabLearner.Create(dls, nFactors: 6, options: Quiet).ToBf16();
        learn.Fit(1, 1e-2);   // the masters start as the bf16 weights widened; after steps they hold what bf16 rounds off
        using var dir = new TempDir();
        using var loaded = CollabModel<int, string>.Load(CollabModel<int, string>.From(learn).Export(dir.Combine("bf16.dbcollab")), torch.CPU);
        var state = loaded.Module.state_dict();
        foreach (var (name, parameter) in learn.Model.named_parameters())
        {
            Assert.Equal(torch.ScalarType.BFloat16, parameter.dtype);
            TensorAssert.Same([learn.MixedPrecision!.MasterOf(parameter)], [state[name]]);   // not the bf16-rounded weights
        }
    }

    [Fact]
    public void New_Items_With_Unknown_Keys_Are_An_Error_Unless_Cold_Start_Is_Asked_For()
    {
        var data = RatingsDataset.Generate(users: 10, items: 20, ratings: 150, seed: 4);
        using var dls = Loaders(data);
        var vocab = ((CategoricalCodec<int>)dls.Datasets.Codecs[0]).Vocab;
        var known = data.Rows.First(r => vocab.TryGetIndex(r.User, out _));
        var stranger = known with { User = 999 };

        var e = Assert.Throws<DataBlocksException>(() => dls.TestDataLoader([known, stranger]));
        Assert.Contains("'999'", e.Message);
        Assert.Contains("Ratings.User", e.Message);
        Assert.Contains("UnknownKeys.UseNa", e.Message);

        using var dl = dls.TestDataLoader([known, stranger], unknownKeys: UnknownKeys.UseNa);
        using var batch = dl.OneBatch();
        Assert.Equal([vocab.IndexOf(known.User), 0L], batch.Fields[0].data<long>().ToArray());
        Assert.Equal(2, batch.Fields.Count);   // the inputs only; withLabels: true loads the rating too
        using var labelled = dls.TestDataLoader([known], withLabels: true).OneBatch();
        Assert.Equal(3, labelled.Fields.Count);
    }

    [Fact]
    public void A_Key_Whose_Every_Training_Row_Was_Skipped_Has_No_Vocabulary_Slot()
    {
        // User 7's only ratings have no number: skipped, they must not leave user 7 a slot with an untrained embedding.
        var rows = RatingsDataset.Generate(users: 10, items: 20, ratings: 150, seed: 5).Rows
            .Select(r => r.User == 7 ? r with { Rating = float.NaN } : r).ToArray();
        var report = new StringWriter();
        using var dls = DataLoaders<SyntheticRating>.Create(ColumnarLoaderTests.Ratings(), rows,
            new DataLoaderOptions { BatchSize = 16, Workers = 0, Device = torch.CPU, Datasets = new DatasetsOptions { SkipBadItems = true, Report = report } });
        var users = ((CategoricalCodec<int>)dls.Datasets.Codecs[0]).Vocab;
        Assert.False(users.TryGetIndex(7, out _));
        Assert.True(users.TryGetIndex(6, out _));
        Assert.Equal(rows.Count(r => r.User == 7), dls.Datasets.Skipped.Count);
        Assert.Contains("NaN", report.ToString());
        Assert.DoesNotContain(dls.Train.SelectMany(b => b.Fields[0].data<long>().ToArray()), i => i == 0);
    }

    [Fact]
    public void A_Key_Type_Without_An_Order_Is_Named()
    {
        var definition = ColumnarLoaderTests.Ratings("Unordered", r => new Unordered(r.User));
        var rows = RatingsDataset.Generate(users: 5, items: 10, ratings: 40, seed: 1).Rows;
        var e = Assert.Throws<DataBlocksException>(() => DataLoaders<SyntheticRating>.Create(definition, rows));
        Assert.Contains("Unordered.User", e.Message);
        Assert.Contains("Unordered implements neither IComparable<Unordered> nor IComparable", e.Message);
    }

    private sealed record Unordered(int Id);

    [Fact]
    public void A_Cold_Start_Recommends_From_Every_Item_And_Keys_Must_Be_Valid_Text()
    {
        // User 99 appears only in the validation split: it encodes to #na#, and its ratings exclude nothing for others.
        var rows = RatingsDataset.Generate(users: 10, items: 30, ratings: 200, seed: 6).Rows.ToList();
        var definition = ColumnarLoaderTests.Ratings("Cold", r => r.User == 99 ? "late" : $"u{r.User}", new FuncSplitter<SyntheticRating>(r => r.User == 99));
        int items = rows.Select(r => r.Item).Distinct().Count();
        rows.AddRange(rows.Select(r => r.Item).Distinct().Take(10).Select(i => new SyntheticRating(99, i, 4)).ToArray());
        using var dls = DataLoaders<SyntheticRating>.Create(definition, rows, new DataLoaderOptions { BatchSize = 16, Workers = 0, Device = torch.CPU });
        using var learn = CollabLearner.Create(dls, nFactors: 4, options: Quiet);
        var model = CollabModel<string, string>.From(learn);
        Assert.Equal(items, model.Recommend("someone new", 1000, unknown: UnknownKeys.UseNa).Count);

        using var dir = new TempDir();
        var lone = ColumnarLoaderTests.Ratings("Lone", r => "u\uD800" + r.User);
        using var loneDls = DataLoaders<SyntheticRating>.Create(lone, rows, new DataLoaderOptions { BatchSize = 16, Workers = 0, Device = torch.CPU });
        using var loneLearn = CollabLearner.Create(loneDls, nFactors: 2, options: Quiet);
        var e = Assert.Throws<DataBlocksException>(() => CollabModel<string, string>.From(loneLearn).Export(dir.Combine("lone.dbcollab")));
        Assert.Contains("lone surrogate", e.Message);

        var blank = ColumnarLoaderTests.Ratings("Blank", r => r.User == 3 ? " " : $"u{r.User}");
        var blankError = Assert.Throws<DataBlocksException>(
            () => DataLoaders<SyntheticRating>.Create(blank, rows, new DataLoaderOptions { BatchSize = 16, Workers = 0, Device = torch.CPU }).Dispose());
        Assert.Contains("Blank.User returned a blank key for item", blankError.Message);
    }

    [Fact]
    public void Any_Key_Type_Works_Guid_Users_Included()
    {
        var data = RatingsDataset.Generate(users: 20, items: 30, ratings: 300, seed: 2);
        var ids = Enumerable.Range(0, 21).Select(i => new Guid(i, 7, 7, new byte[8])).ToArray();
        var definition = ColumnarLoaderTests.Ratings("GuidRatings", r => ids[r.User]);
        using var dls = DataLoaders<SyntheticRating>.Create(definition, data.Rows, new DataLoaderOptions { BatchSize = 32, Seed = 1, Workers = 0, Device = torch.CPU });
        using var learn = CollabLearner.Create(dls, nFactors: 4, options: Quiet);
        learn.Fit(1, 1e-2);
        var model = CollabModel<Guid, string>.From(learn);
        using var dir = new TempDir();
        using var loaded = CollabModel<Guid, string>.Load(model.Export(dir.Combine("guid.dbcollab")), torch.CPU);
        Assert.Equal(model.Users.Values, loaded.Users.Values);
        Assert.Equal(model.Predict(ids[3], data.Rows[0].Item), loaded.Predict(ids[3], data.Rows[0].Item));
    }

    [Fact]
    public void The_Neural_Model_Takes_More_Than_Two_Ids()
    {
        var data = RatingsDataset.Generate(users: 30, items: 40, ratings: 600, seed: 4);
        var definition = new DataBlockDefinition<SyntheticRating>("ThreeIds",
            [
                new FieldDefinition<SyntheticRating, int>("User", "ThreeIds.User", true, r => r.User, new CategoricalBlock<int>()),
                new FieldDefinition<SyntheticRating, string>("Item", "ThreeIds.Item", true, r => r.Item, new CategoricalBlock<string>()),
                new FieldDefinition<SyntheticRating, int>("Decade", "ThreeIds.Decade", true, r => (r.Item[^1] - '0') % 4, new CategoricalBlock<int>()),
                new FieldDefinition<SyntheticRating, float>("Rating", "ThreeIds.Rating", false, r => r.Rating, new RegressionBlock<float>()),
            ],
            new RandomSplitter(0.2, seed: 1));
        using var dls = DataLoaders<SyntheticRating>.Create(definition, data.Rows, new DataLoaderOptions { BatchSize = 32, Seed = 1, Workers = 0, Device = torch.CPU });
        Assert.Contains("exactly two ids", Assert.Throws<DataBlocksException>(() => CollabLearner.Create(dls)).Message);
        Assert.Throws<ArgumentException>(() => CollabLearner.Create(dls, useNn: true, embeddingSizes: [0, 4, 4]));
        using var learn = CollabLearner.Create(dls, useNn: true, layers: [16], options: Quiet);
        Assert.Contains("CollabModel serves (user, item) models", Assert.Throws<DataBlocksException>(() => CollabModel<int, string>.From(learn)).Message);
        var sizes = ((EmbeddingNN)learn.Model).EmbeddingSizes;
        Assert.Equal([(31, Init.EmbeddingSizeRule(31)), (41, Init.EmbeddingSizeRule(41)), (5, 4)], sizes);
        var rows = learn.Fit(2, 1e-2);
        Assert.True(rows[^1].ValidLoss < rows[0].ValidLoss || rows[^1].TrainLoss < rows[0].TrainLoss);
    }

    [Fact]
    public void The_Learner_Factory_Names_What_Does_Not_Fit()
    {
        using var notIds = TinyRegression.Loaders();
        var e = Assert.Throws<DataBlocksException>(() => CollabLearner.Create(notIds));
        Assert.Contains("needs categorical id inputs", e.Message);
        Assert.Contains("X (Regression)", e.Message);

        var labels = new DataBlockDefinition<SyntheticRating>("Labels",
            [
                new FieldDefinition<SyntheticRating, int>("User", "Labels.User", true, r => r.User, new CategoricalBlock<int>()),
                new FieldDefinition<SyntheticRating, string>("Item", "Labels.Item", true, r => r.Item, new CategoricalBlock<string>()),
                new FieldDefinition<SyntheticRating, string>("Stars", "Labels.Stars", false, r => r.Rating >= 3 ? "good" : "bad", new CategoryBlock<string>()),
            ],
            new RandomSplitter(0.2, seed: 1));
        using var dls = DataLoaders<SyntheticRating>.Create(labels, RatingsDataset.Generate(10, 10, 50).Rows,
            new DataLoaderOptions { BatchSize = 8, Workers = 0, Device = torch.CPU });
        Assert.Contains("one rating to predict", Assert.Throws<DataBlocksException>(() => CollabLearner.Create(dls)).Message);
        Assert.Throws<ArgumentException>(() => new EmbeddingDotBias(4, 5, 5, (2, 1)));
    }
}
