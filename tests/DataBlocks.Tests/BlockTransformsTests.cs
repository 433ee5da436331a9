using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.BlockTypes;
using DataBlocks.Data;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using SkiaSharp;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>Blocks bring their own transforms; transforms that can run inside collation say so themselves.</summary>
[Collection("Torch")]
public class BlockTransformsTests
{
    private static readonly DataLoaderOptions Cpu = new() { BatchSize = 4, Seed = 1, Workers = 0, Device = torch.CPU, Shuffle = false };

    [Fact]
    public void ImageBlock_Brings_IntToFloatTensor_And_Normalize_Only_When_Given()
    {
        Assert.IsType<IntToFloatTensor>(Assert.Single(((IBlock)new ImageFileBlock()).BatchTransforms));
        var pretrained = ((IBlock)new ImageFileBlock(Normalize.Imagenet)).BatchTransforms.ToArray();
        Assert.Equal(["IntToFloatTensor", Normalize.Imagenet.Name], pretrained.Select(t => t.Name));
        Assert.Empty(((IBlock)new ImageFileBlock()).ItemTransforms);
        Assert.Empty(((IBlock)new CategoryBlock<string>()).BatchTransforms);
    }

    [Fact]
    public void The_Loaders_Take_Their_Default_Transforms_From_The_Blocks()
    {
        using var dir = new TempDir();
        var files = TestData.Files(TestData.Shapes(dir.Path, trainPerClass: 2, validPerClass: 1));
        using var plain = DataLoaders<string>.Create(TestData.ImageCategory(), files, Cpu);
        Assert.IsType<IntToFloatTensor>(Assert.Single(plain.Train.BatchTransforms));
        using var b = plain.Valid.OneBatch();
        Assert.Equal(torch.float32, b.Inputs[0].dtype);

        // A block with statistics normalises without a declared Normalize; the numbers are those of a declared one.
        var definition = new DataBlockDefinition<string>("Pretrained",
            [
                new FieldDefinition<string, string>("Image", "Pretrained.Image", true, p => p, new ImageFileBlock(Normalize.Imagenet)),
                new FieldDefinition<string, string>("Shape", "Pretrained.Shape", false, Label.FromParentFolder, new CategoryBlock<string>()),
            ], new GrandparentSplitter());
        using var pretrained = DataLoaders<string>.Create(definition, files, Cpu);
        using var declared = DataLoaders<string>.Create(TestData.ImageCategory(), files, Cpu with { BatchTransforms = Normalize.Imagenet });
        Assert.Equal(declared.Train.BatchTransforms.Select(t => t.Name), pretrained.Train.BatchTransforms.Select(t => t.Name));
        using var p = pretrained.Valid.OneBatch();
        using var d = declared.Valid.OneBatch();
        Assert.Equal(d.Inputs[0].data<float>().ToArray(), p.Inputs[0].data<float>().ToArray());
    }

    [Fact]
    public void IntToFloatTensor_Then_Normalize_Fuse_Into_The_Map_Collation_Always_Used()
    {
        var n = Normalize.Imagenet;
        var map = n.FuseAfter(new IntToFloatTensor().FuseAfter(null));
        Assert.NotNull(map);
        var (scale, shift) = map.ToScaleShift();
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(1f / (255f * n.Std[c]), scale[c]);   // bit for bit: fused batches are the numbers they were
            Assert.Equal(-n.Mean[c] / n.Std[c], shift[c]);
        }
        Assert.Null(n.FuseAfter(null));                          // Normalize leaves bytes alone: it cannot come first
        Assert.Null(new IntToFloatTensor().FuseAfter(map));      // nor int-to-float follow a float map
    }

    [Fact]
    public void PointBlock_Scales_Its_Points_Itself()
    {
        Assert.IsType<PointScaler>(Assert.Single(((IBlock)new PointBlock<(float, float)>()).ItemTransforms));
        using var dir = new TempDir();
        // 40×20 images; a point at (30, 5) px is (0.5, -0.5) in [-1, 1]; Squish keeps the mapping whatever the size.
        var items = Enumerable.Range(0, 6).Select(i => SyntheticImages.Write(dir.Combine($"{i}.png"), 40, 20, SKColors.Gray)).ToArray();
        var definition = new DataBlockDefinition<string>("Faces",
            [
                new FieldDefinition<string, string>("Photo", "Faces.Photo", true, p => p, new ImageFileBlock()),
                new FieldDefinition<string, IEnumerable<(float, float)>>("Eyes", "Faces.Eyes", false, _ => [(30f, 5f), (10f, 15f)],
                    new PointBlock<(float, float)>()),
            ], new IndexSplitter([4, 5]), [new Resize(10, ResizeMethod.Squish)]);
        using var dls = DataLoaders<string>.Create(definition, items, Cpu);
        using var b = dls.Valid.OneBatch();
        Assert.Equal(new long[] { 2, 2, 2 }, b.Targets[0].shape);
        Assert.Equal(new[] { 0.5f, -0.5f, -0.5f, 0.5f, 0.5f, -0.5f, -0.5f, 0.5f }, b.Targets[0].data<float>().ToArray(), new ResizeTests.FloatComparer(1e-5f));
        Assert.Equal(["PointScaler", "Resize"], dls.Train.ItemTransforms.Select(t => t.Name.Split('(')[0]));
    }

    [Fact]
    public void A_Custom_Blocks_Fusable_Transform_Runs_Inside_Collation_On_The_Cpu()
    {
        var (fused, offset) = (Readings(streams: true), new Offset());
        using (var dls = DataLoaders<float[]>.Create(fused.Definition(offset), fused.Items, Cpu))
        {
            Assert.Empty(dls.Train.BatchTransforms.OfType<IntToFloatTensor>());
            using var b = dls.Valid.OneBatch();
            Assert.Equal(new[] { 2.5f, 3f, 3.5f, 5.5f, 6f, 6.5f }, b.Inputs[0].data<float>().ToArray());   // v / 2 + 2
            Assert.Equal(0, offset.Encoded);                                                              // the map ran, not Encode
            Assert.Equal(1, fused.Fused);
        }

        // A codec that cannot collate as it goes gets the same numbers from the transform on the batch tensor.
        var (plain, onTensor) = (Readings(streams: false), new Offset());
        using (var dls = DataLoaders<float[]>.Create(plain.Definition(onTensor), plain.Items, Cpu))
        {
            using var b = dls.Valid.OneBatch();
            Assert.Equal(new[] { 2.5f, 3f, 3.5f, 5.5f, 6f, 6.5f }, b.Inputs[0].data<float>().ToArray());
            Assert.Equal(1, onTensor.Encoded);
        }
    }

    private static ReadingSet Readings(bool streams) => new(streams);

    /// <summary>Three-channel readings, a block that brings <see cref="Offset"/> (v / 2 + 2) as its batch transform.</summary>
    private sealed class ReadingSet(bool streams)
    {
        public int Fused;

        public float[][] Items { get; } = Enumerable.Range(0, 8).Select(i => new float[] { 3 * i + 1, 3 * i + 2, 3 * i + 3 }).ToArray();

        public DataBlockDefinition<float[]> Definition(Offset offset) => new("Readings",
            [new FieldDefinition<float[], float[]>("Reading", "Readings.Reading", true, r => r, new ReadingBlock(this, offset, streams))],
            new IndexSplitter([0, 2]));
    }

    private sealed class ReadingBlock(ReadingSet set, Offset offset, bool streams) : IBlock<float[]>
    {
        public string Name => "ReadingBlock";

        public IEnumerable<IBatchTransform> BatchTransforms => [offset];

        public IFieldCodec<float[]> Setup(FieldInfo field, IReadOnlyList<float[]> trainValues) =>
            streams ? new StreamingReadingCodec(field, set) : new ReadingCodec(field);
    }

    private class ReadingCodec(FieldInfo info) : IFieldCodec<float[]>
    {
        public FieldInfo Field => info;
        public FieldKind Kind => FieldKind.Custom;
        public bool EncodesEagerly => false;
        public int OutputCount => 0;
        public Losses.ILossFunction? DefaultLoss => null;
        public object Encode(float[] value, string item) => value.ToArray();
        public object CloneSample(object sample) => sample;
        public string Show(torch.Tensor row) => "reading";

        public HostTensor Collate(IReadOnlyList<object> samples)
        {
            var host = HostTensor.Floats(samples.Count, 3);
            for (int i = 0; i < samples.Count; i++) ((float[])samples[i]).CopyTo(host.Span<float>().Slice(3 * i, 3));
            return host;
        }
    }

    private sealed class StreamingReadingCodec(FieldInfo info, ReadingSet set) : ReadingCodec(info), IStreamingCollation
    {
        public IBatchCollector Begin(int count, float[]? scale, float[]? shift)
        {
            if (scale is not null) set.Fused++;
            return new Collector(HostTensor.Floats(count, 3), scale ?? [1f, 1f, 1f], shift ?? [0f, 0f, 0f]);
        }

        private sealed class Collector(HostTensor host, float[] scale, float[] shift) : IBatchCollector
        {
            public void Add(int position, object sample)
            {
                var v = (float[])sample;
                for (int c = 0; c < 3; c++) host.Span<float>()[3 * position + c] = v[c] * scale[c] + shift[c];
            }

            public HostTensor Finish() => host;

            public void Dispose()
            {
            }
        }
    }

    /// <summary>v / 2 + 2 on the readings, either as a map inside collation or on the batch tensor.</summary>
    private sealed class Offset : IFusableBatchTransform
    {
        public int Encoded;
        public int Order => 5;
        public string Name => "Offset";
        public bool ActsOn(IFieldCodec codec) => codec.Field.Name == "Reading";
        public ChannelMap? FuseAfter(ChannelMap? before) => before is null ? new ChannelMap([2f, 2f, 2f], [2f, 2f, 2f]) : null;

        public void Encode(Batch batch, bool isTraining)
        {
            Encoded++;
            using var scope = torch.NewDisposeScope();
            batch.Replace(0, (batch.Fields[0] / 2f + 2f).MoveToOuterDisposeScope());
        }

        public void Decode(Batch batch)
        {
        }
    }
}
