using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DataBlocks.Data;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

[Collection("Torch")]
public class DataLoaderTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _root;

    public DataLoaderTests() => _root = TestData.Shapes(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private DataLoaders<string> Loaders(int bs = 8, int? seed = 3, int workers = 0, IItemTransform? item = null, IBatchTransform? batch = null) =>
        DataLoaders<string>.Create(TestData.ImageCategory(), TestData.Files(_root),
            new DataLoaderOptions { BatchSize = bs, Seed = seed, Workers = workers, Device = torch.CPU, ItemTransforms = item, BatchTransforms = batch });

    [Fact]
    public void Batches_Have_Fastai_Shapes_And_Types()
    {
        var dls = Loaders();
        using var b = dls.Train.OneBatch();
        Assert.Equal(new long[] { 8, 3, 32, 32 }, b.Inputs[0].shape);
        Assert.Equal(torch.float32, b.Inputs[0].dtype);
        Assert.InRange(b.Inputs[0].max().item<float>(), 0.5f, 1f);
        Assert.Equal(new long[] { 8 }, b.Targets[0].shape);
        Assert.Equal(torch.int64, b.Targets[0].dtype);
        Assert.Equal(3, dls.C);
    }

    [Fact]
    public void Labels_In_A_Batch_Match_The_Items()
    {
        var dls = Loaders();
        using var b = dls.Valid.OneBatch();
        var vocab = new[] { "circle", "square", "triangle" };
        var labels = b.Targets[0].data<long>().ToArray();
        for (int i = 0; i < b.Size; i++) Assert.Equal(Label.FromParentFolder(b.Items[i]), vocab[labels[i]]);
    }

    [Fact]
    public void Training_Drops_The_Last_Partial_Batch_And_Validation_Keeps_It()
    {
        var dls = Loaders(bs: 10);
        Assert.Equal(2, dls.Train.Count);   // 24 items
        Assert.Equal(2, dls.Valid.Count);   // 12 items: 10 + 2
        Assert.Equal(new[] { 10, 10 }, dls.Train.Select(b => b.Size).ToArray());
        Assert.Equal(new[] { 10, 2 }, dls.Valid.Select(b => b.Size).ToArray());
    }

    [Fact]
    public void Validation_Is_Not_Shuffled_And_Training_Is_Reshuffled_Each_Epoch()
    {
        var dls = Loaders();
        Assert.Equal(dls.Datasets.ValidIndices, dls.Valid.SelectMany(b => b.Indices).ToArray());
        var first = dls.Train.SelectMany(b => b.Indices).ToArray();
        var second = dls.Train.SelectMany(b => b.Indices).ToArray();
        Assert.NotEqual(first, second);
        Assert.Equal(first.OrderBy(i => i), second.OrderBy(i => i));
    }

    [Fact]
    public void Same_Seed_Gives_The_Same_Batches_Whatever_The_Worker_Count()
    {
        var resize = new Resize(24);   // a random crop on training: augmentation must be reproducible too
        float[] Pixels(DataLoaders<string> dls) => dls.Train.SelectMany(b => b.Inputs[0].data<float>().ToArray()).ToArray();
        var a = Pixels(Loaders(workers: 0, item: resize));
        var b = Pixels(Loaders(workers: 2, item: resize));
        var c = Pixels(Loaders(workers: 3, item: resize));
        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.NotEqual(a, Pixels(Loaders(seed: 4, workers: 0, item: resize)));
    }

    [Fact]
    public void Settings_Are_Resolved_Once_For_Every_Split()
    {
        var dls = DataLoaders<string>.Create(TestData.ImageCategory(), TestData.Files(_root),
            new DataLoaderOptions { BatchSize = 8, ValidBatchSize = 5, Seed = 3, Workers = 1, Device = torch.CPU });
        var train = dls.Train.Settings;
        Assert.Equal((true, 8, true, true, 3, 1), (train.IsTraining, train.BatchSize, train.Shuffle, train.DropLast, train.Seed, train.Workers));
        Assert.Equal(train with { IsTraining = false, BatchSize = 5, Shuffle = false, DropLast = false, Seed = DataBlocks.Seed.Mix(3, 1) },
            dls.Valid.Settings);
        using var test = dls.TestDataLoader(TestData.Files(_root).Take(3));
        Assert.Equal(dls.Valid.Settings with { Seed = 3 }, test.Settings);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LoaderSettings { BatchSize = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new LoaderSettings { Workers = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => DataLoaders<string>.Create(TestData.ImageCategory(), TestData.Files(_root),
            new DataLoaderOptions { BatchSize = 8, ValidBatchSize = 0, Workers = 0, Device = torch.CPU }));
    }

    [Fact]
    public void A_Batch_Size_Larger_Than_The_Training_Split_Is_An_Error()
    {
        var e = Assert.Throws<DataBlocksException>(() => Loaders(bs: 100));
        Assert.Contains("24 items", e.Message);
        Assert.Contains("batch size 100", e.Message);
    }

    [Fact]
    public void Images_Of_Different_Sizes_Without_Resize_Name_Both_Files()
    {
        SyntheticImages.Write(Path.Combine(_root, "train", "circle", "big.png"), 40, 30, SkiaSharp.SKColors.Red);
        var dls = DataLoaders<string>.Create(TestData.ImageCategory(), TestData.Files(_root),
            new DataLoaderOptions { BatchSize = 25, Seed = 1, Workers = 0, Device = torch.CPU, Shuffle = false });
        var e = Assert.Throws<DataBlocksException>(() => dls.Train.OneBatch());
        Assert.Contains("big.png", e.Message);
        Assert.Contains("Resize", e.Message);
    }

    [Fact]
    public void A_Bad_File_Fails_The_Batch_With_Its_Name_From_A_Worker_Thread()
    {
        TestData.Damage(TestData.Files(Path.Combine(_root, "valid"))[3]);
        var dls = Loaders(workers: 2);
        var e = Assert.Throws<BadItemException>(() => dls.Valid.Select(b => b.Size).ToArray());
        Assert.Contains("valid", e.Path);
    }

    [Fact]
    public void Test_Loader_Loads_Inputs_Only_Or_Checks_Labels_When_Asked()
    {
        var dls = Loaders();
        var files = TestData.Files(Path.Combine(_root, "valid")).Take(5).ToArray();
        using (var b = dls.TestDataLoader(files).OneBatch())
        {
            Assert.Single(b.Fields);
            Assert.Equal(5, b.Size);
            Assert.Throws<InvalidOperationException>(() => b.Field(1, "Shape"));
        }
        using (var b = dls.TestDataLoader(files, withLabels: true).OneBatch()) Assert.Equal(2, b.Fields.Count);

        string odd = Path.Combine(_dir.Path, "hexagon", "h.jpg");
        Directory.CreateDirectory(Path.GetDirectoryName(odd)!);
        File.Copy(files[0], odd);
        var e = Assert.Throws<DataBlocksException>(() => dls.TestDataLoader([odd], withLabels: true));
        Assert.Contains("'hexagon'", e.Message);
    }

    [Fact]
    public void Normalize_Decodes_Back_For_Display()
    {
        var dls = Loaders(batch: Normalize.Imagenet);
        using var raw = Loaders().Valid.OneBatch();
        using var normalized = dls.Valid.OneBatch();
        Assert.True(normalized.Inputs[0].min().item<float>() < 0);
        using var decoded = dls.Valid.Decode(normalized);
        Assert.True(decoded.Inputs[0].allclose(raw.Inputs[0], rtol: 1e-4, atol: 1e-5));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Added_Batch_Transforms_Reach_Every_Loader_As_If_Declared(int workers)
    {
        var dls = Loaders(workers: workers);
        var declared = Loaders(workers: workers, batch: Normalize.Imagenet);
        var files = TestData.Files(Path.Combine(_root, "valid")).Take(3).ToArray();
        using var earlyTest = dls.TestDataLoader(files).OneBatch();
        dls.AddBatchTransforms(Normalize.Imagenet);
        Assert.Equal(["IntToFloatTensor", Normalize.Imagenet.Name], dls.Train.BatchTransforms.Select(t => t.Name));
        Assert.Equal(["IntToFloatTensor", Normalize.Imagenet.Name], dls.Valid.BatchTransforms.Select(t => t.Name));
        Assert.Equal(dls.Train.BatchTransforms, dls.Train.Settings.BatchTransforms);
        // The same numbers as loaders that declared it (fused into collation on the CPU, like theirs).
        Assert.Equal(Pixels(declared.Train), Pixels(dls.Train));
        Assert.Equal(Pixels(declared.Valid), Pixels(dls.Valid));
        using var test = dls.TestDataLoader(files).OneBatch();
        using var declaredTest = declared.TestDataLoader(files).OneBatch();
        Assert.Equal(declaredTest.Inputs[0].data<float>().ToArray(), test.Inputs[0].data<float>().ToArray());
        Assert.True(earlyTest.Inputs[0].min().item<float>() >= 0, "a loader made before keeps its transforms");
        // One of a type already there replaces it, as when declared.
        var other = new Normalize([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        dls.AddBatchTransforms(other);
        Assert.Equal(["IntToFloatTensor", other.Name], dls.Valid.BatchTransforms.Select(t => t.Name));
    }

    [Fact]
    public void Transforms_Added_During_An_Epoch_Apply_From_The_Next()
    {
        var dls = Loaders(bs: 4, workers: 2);
        var mins = new List<float>();
        foreach (var b in dls.Valid)
        {
            if (mins.Count == 0) dls.AddBatchTransforms(Normalize.Imagenet);
            mins.Add(b.Inputs[0].min().item<float>());
        }
        Assert.All(mins, m => Assert.True(m >= 0, "the epoch under way keeps the transforms it started with"));
        Assert.All(dls.Valid, b => Assert.True(b.Inputs[0].min().item<float>() < 0));
    }

    private static float[] Pixels(DataLoader loader) => [.. loader.SelectMany(b => b.Inputs[0].data<float>().ToArray())];

    /// <summary>An image block of the user's that cannot collate to float: IntToFloatTensor and Normalize must still run.</summary>
    private sealed class PlainImages : BlockTypes.ImageFileBlock, IBlock<string>
    {
        IFieldCodec<string> IBlock<string>.Setup(FieldInfo field, System.Collections.Generic.IReadOnlyList<string> trainValues) =>
            new PlainCodec(new BlockTypes.ImageCodec(field));

        private sealed class PlainCodec(BlockTypes.ImageCodec inner) : IFieldCodec<string>
        {
            public FieldInfo Field => inner.Field;
            public FieldKind Kind => FieldKind.Image;
            public bool EncodesEagerly => false;
            public int OutputCount => 0;
            public Losses.ILossFunction? DefaultLoss => null;
            public HostTensor Collate(System.Collections.Generic.IReadOnlyList<object> samples) => inner.Collate(samples);
            public string Show(torch.Tensor row) => inner.Show(row);
            public object CloneSample(object sample) => sample;
            public object Encode(string value, string item) => inner.Encode(value, item);
        }
    }

    [Fact]
    public void Image_Codecs_That_Cannot_Fuse_Still_Get_Float_And_Normalize_On_The_Cpu()
    {
        var definition = new DataBlockDefinition<string>("Custom",
            [
                new FieldDefinition<string, string>("Image", "Custom.Image", true, p => p, new PlainImages()),
                new FieldDefinition<string, string>("Shape", "Custom.Shape", false, Label.FromParentFolder, new BlockTypes.CategoryBlock<string>()),
            ], new GrandparentSplitter());
        var options = new DataLoaderOptions { BatchSize = 8, Seed = 3, Workers = 0, Device = torch.CPU, BatchTransforms = Normalize.Imagenet };
        var custom = DataLoaders<string>.Create(definition, TestData.Files(_root), options);
        var standard = DataLoaders<string>.Create(TestData.ImageCategory(), TestData.Files(_root), options);
        using var a = custom.Valid.OneBatch();
        using var b = standard.Valid.OneBatch();
        Assert.Equal(torch.float32, a.Inputs[0].dtype);
        Assert.True(a.Inputs[0].allclose(b.Inputs[0], rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public async Task Stopping_Early_Releases_The_Workers()
    {
        var dls = Loaders(bs: 4, workers: 2);
        void Abandon(int epochs)
        {
            for (int i = 0; i < epochs; i++)
                foreach (var b in dls.Train) { Assert.Equal(4, b.Size); break; }
        }
        // Leaving an epoch joins its workers: a worker that did not stop would hang this (so it runs under a time limit)
        // or leave its prefetched batches alive. Tensors are counted per thread: both counts are taken on the task's.
        var run = Task.Run(() =>
        {
            Abandon(1);
            long before = MemoryProbe.LiveTensors;
            Abandon(20);
            return (Before: before, After: MemoryProbe.LiveTensors);
        });
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromMinutes(2))) == run, "abandoned epochs did not release their workers");
        var tensors = await run;
        Assert.Equal(tensors.Before, tensors.After);
    }

    [Fact]
    public void Memory_Stays_Flat_Over_300_Batches()
    {
        var dls = Loaders(bs: 8, workers: 2, item: new Resize(64), batch: Normalize.Imagenet);
        long volume = 0;   // bytes of the batches' tensors, as they came
        long liveAt(int batches)
        {
            int seen = 0;
            while (seen < batches)
                foreach (var b in dls.Train)
                {
                    using var scope = torch.NewDisposeScope();
                    _ = b.Inputs[0].mean().item<float>();
                    volume += b.Fields.Sum(t => t.NumberOfElements * t.ElementSize);
                    if (++seen == batches) break;
                }
            return MemoryProbe.LiveTensors;
        }
        liveAt(20);
        long tensorsBefore = MemoryProbe.LiveTensors;
        long rssBefore = MemoryProbe.WorkingSet();
        volume = 0;
        liveAt(300);
        long tensorsAfter = MemoryProbe.LiveTensors;
        long rssAfter = MemoryProbe.WorkingSet();
        Assert.Equal(tensorsBefore, tensorsAfter);
        // 300 batches of 8×3×64×64 floats are ~118 MB: keeping half of each batch (~59 MB) already fails (a flat run
        // grows ~16–18 MB, allocator and GC heap warming up).
        Assert.Equal(300L * (8 * 3 * 64 * 64 * 4 + 8 * 8), volume);
        Assert.True(rssAfter - rssBefore < volume / 2,
            $"working set grew by {(rssAfter - rssBefore) >> 20} MiB over 300 batches of {volume >> 20} MiB in all");
    }

    /// <summary>Counts the items decoded (an item transform runs once per item, on the thread that builds its batch); some are slow.</summary>
    private sealed class FetchCounter(Func<int, bool>? slow = null) : IItemTransform
    {
        private int _count;
        public int Count => Volatile.Read(ref _count);
        public int Order => 0;
        public string Name => nameof(FetchCounter);
        public void Apply(Sample sample, ItemContext context)
        {
            if (slow?.Invoke(sample.Index) == true) Thread.Sleep(5);
            Interlocked.Increment(ref _count);
        }
    }

    private static DataLoaders<float> Line(int workers, int prefetch, IItemTransform counter) =>
        TinyRegression.Loaders(new DataLoaderOptions { BatchSize = 4, Seed = 5, Workers = workers, PrefetchPerWorker = prefetch, Device = torch.CPU,
            ItemTransforms = counter }, train: 64, valid: 8);

    [Fact]
    public void Workers_Decode_Batches_Before_They_Are_Asked_For_Up_To_The_Queue_Bound()
    {
        var counter = new FetchCounter();
        var dls = Line(workers: 2, prefetch: 2, counter);
        void Settles(int items)
        {
            Assert.True(SpinWait.SpinUntil(() => counter.Count >= items, TimeSpan.FromSeconds(30)), $"{counter.Count} items decoded, expected {items}");
            Thread.Sleep(300);
            Assert.Equal(items, counter.Count);   // and no more
        }
        using (var batches = dls.Train.GetEnumerator())
        {
            Assert.True(batches.MoveNext());
            // Batch 0 handed out: its queue slot is free again, so the 2 workers × 2 slots hold batches 1–4 (16 items)
            // decoded before anyone asks for them, 20 in all.
            Settles(20);
            Assert.True(batches.MoveNext());
            Settles(24);
        }
        // Without workers nothing is decoded ahead: a batch is made when it is asked for.
        var lazyCounter = new FetchCounter();
        using (var batches = Line(workers: 0, prefetch: 2, lazyCounter).Train.GetEnumerator())
        {
            Assert.True(batches.MoveNext());
            Thread.Sleep(100);
            Assert.Equal(4, lazyCounter.Count);
        }
    }

    [Fact]
    public void Prefetching_Does_Not_Change_Batch_Content_Or_Order()
    {
        // Every fifth item decodes slowly, so with several workers later batches are often ready before earlier ones.
        (int[] Indices, float[] X)[] TwoEpochs(int workers, int prefetch)
        {
            var dls = Line(workers, prefetch, new FetchCounter(i => i % 5 == 0));
            return Enumerable.Range(0, 2).SelectMany(_ => dls.Train.Select(b => (b.Indices.ToArray(), b.Inputs[0].data<float>().ToArray())).ToArray()).ToArray();
        }
        var expected = TwoEpochs(0, 1);
        Assert.Equal(32, expected.Length);
        foreach (var (workers, prefetch) in new[] { (2, 1), (3, 4), (4, 8) })
        {
            var got = TwoEpochs(workers, prefetch);
            Assert.Equal(expected.Select(b => b.Indices), got.Select(b => b.Indices));
            Assert.Equal(expected.Select(b => b.X), got.Select(b => b.X));
        }
    }
}
