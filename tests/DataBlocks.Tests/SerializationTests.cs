using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using DataBlocks.Collab;
using DataBlocks.Data;
using DataBlocks.Learning;
using DataBlocks.Serialization;
using DataBlocks.Synthetic;
using DataBlocks.TestKit;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>
/// The one file format (<see cref="DataBlocksFile"/>) of saved weights, checkpoints and collab exports: what it names
/// when a file is truncated, foreign, of an older version, of an unknown architecture or lacks a section.
/// </summary>
[Collection("Torch")]
public class SerializationTests
{
    /// <summary>
    /// Writes a copy of the DataBlocks file at <paramref name="path"/> (to <paramref name="to"/>, or a new file beside it)
    /// with section <paramref name="name"/> changed by <paramref name="change"/> (null: left out); returns the copy's path.
    /// </summary>
    internal static string Rewrite(string path, string kind, string name, Func<byte[], byte[]?> change, string? to = null)
    {
        var file = DataBlocksFile.Read(path, kind);
        to ??= Path.Combine(Path.GetDirectoryName(path)!, $"{Guid.NewGuid():N}{Path.GetExtension(path)}");
        using var stream = new MemoryStream();
        DataBlocksFile.Write(stream, kind, sections =>
        {
            foreach (string n in file.Names)
                if ((n == name ? change(file.Bytes(n)) : file.Bytes(n)) is { } payload) sections.Add(n, payload);
        });
        File.WriteAllBytes(to, stream.ToArray());
        return to;
    }

    private static void Truncate(string path) => File.WriteAllBytes(path, File.ReadAllBytes(path)[..(int)(new FileInfo(path).Length / 2)]);

    private static DataBlocksException Refused(Action load) => Assert.Throws<DataBlocksException>(load);

    /// <summary>A learner with a saved weights file, a checkpoint of its first fit, and a collab model's export, in one folder.</summary>
    private sealed class Files : IDisposable
    {
        private readonly TempDir _dir = new();
        private readonly DataLoaders _collabLoaders;

        public Files(OptimizerSettings? optimizer = null)
        {
            Options = new LearnerOptions { Path = _dir.Path, Checkpoint = "run", Optimizer = optimizer ?? OptimizerSettings.Adam };
            Learner = TinyRegression.ThreeGroups(TinyRegression.Loaders(), Options);
            Learner.Fit(1, 1e-2);
            Weights = Learner.Save("model");
            Checkpoint = Learner.CheckpointPath(0)!;
            var data = RatingsDataset.Generate(users: 10, items: 20, ratings: 150, seed: 4);
            var dls = DataLoaders<SyntheticRating>.Create(ColumnarLoaderTests.Ratings(), data.Rows,
                new DataLoaderOptions { BatchSize = 16, Workers = 0, Device = torch.CPU });
            _collabLoaders = dls;
            using var collab = CollabLearner.Create(dls, nFactors: 3, options: TinyRegression.Silent);
            Export = CollabModel<int, string>.From(collab).Export(_dir.Combine("ratings.dbcollab"));
        }

        public LearnerOptions Options { get; }
        public Learner Learner { get; }
        public string Weights { get; }
        public string Checkpoint { get; }
        public string Export { get; }

        public string Combine(string name) => _dir.Combine(name);

        /// <summary>Loads <c>model.dbw</c> into the learner: it must refuse, and leave the weights as they were.</summary>
        public DataBlocksException RefuseWeights()
        {
            var before = TinyRegression.Weights(Learner);
            var e = Refused(() => Learner.Load("model"));
            TensorAssert.Same(TinyRegression.Weights(Learner), before);
            return e;
        }

        /// <summary>Resumes the first fit from <c>run.fit0.ckpt</c> in a new learner: it must refuse.</summary>
        public DataBlocksException RefuseCheckpoint()
        {
            using var learn = TinyRegression.ThreeGroups(TinyRegression.Loaders(), Options);
            return Refused(() => learn.Fit(1, 1e-2, resume: true));
        }

        public DataBlocksException RefuseExport() => Refused(() => CollabModel<int, string>.Load(Export, torch.CPU).Dispose());

        /// <summary>The three files.</summary>
        public string[] All => [Weights, Checkpoint, Export];

        /// <summary>Each file is refused with a message that holds <paramref name="expected"/> of its path.</summary>
        public void EachRefused(Func<string, string> expected)
        {
            Assert.Contains(expected(Weights), RefuseWeights().Message);
            Assert.Contains(expected(Checkpoint), RefuseCheckpoint().Message);
            Assert.Contains(expected(Export), RefuseExport().Message);
        }

        public void Dispose()
        {
            Learner.Dispose();
            _collabLoaders.Dispose();
            _dir.Dispose();
        }
    }

    [Fact]
    public void The_Container_Reads_Its_Sections_Back_And_Names_A_Truncation_At_Any_Byte()
    {
        using var stream = new MemoryStream();
        DataBlocksFile.Write(stream, DataBlocksFile.Weights, file =>
        {
            file.Add("first", [1, 2, 3]);
            file.Add("second", w => w.Write("text"));
            Assert.Throws<ArgumentException>(() => file.Add("first", [4]));
        });
        byte[] bytes = stream.ToArray();
        var sections = DataBlocksFile.Read(bytes, "memory.dbw", DataBlocksFile.Weights);
        Assert.Equal(["first", "second"], sections.Names);
        Assert.Equal([1, 2, 3], sections.Bytes("first"));
        Assert.Equal("text", sections.Read("second", r => r.ReadString()));
        Assert.Contains("'memory.dbw' is damaged: its 'first' section holds 2 bytes more than it should",
            Refused(() => sections.Read("first", r => r.ReadByte())).Message);
        Assert.Contains("its 'first' section ends early", Refused(() => sections.Read("first", r => r.ReadInt64())).Message);
        Assert.Contains("'memory.dbw' is damaged: it has no 'third' section (it has 'first', 'second')", Refused(() => sections.Open("third")).Message);

        for (int n = 0; n < bytes.Length; n++)
            Assert.Contains("'memory.dbw' is empty or truncated", Refused(() => DataBlocksFile.Read(bytes[..n], "memory.dbw", DataBlocksFile.Weights)).Message);

        var newer = (byte[])bytes.Clone();
        BitConverter.GetBytes(DataBlocksFile.Version + 1).CopyTo(newer, 16);
        Assert.Contains($"'memory.dbw' was saved by a newer version of DataBlocks (format {DataBlocksFile.Version + 1})",
            Refused(() => DataBlocksFile.Read(newer, "memory.dbw", DataBlocksFile.Weights)).Message);
        Assert.Contains("'memory.dbw' holds a model's saved weights, not a checkpoint",
            Refused(() => DataBlocksFile.Read(bytes, "memory.dbw", DataBlocksFile.Checkpoint)).Message);
    }

    [Fact]
    public void A_Truncated_File_Of_Each_Kind_Names_The_File()
    {
        using var files = new Files();
        foreach (string path in files.All) Truncate(path);
        files.EachRefused(path => $"'{path}' is empty or truncated");
    }

    [Fact]
    public void A_Foreign_File_Or_One_Of_Another_Kind_Is_Refused()
    {
        using var files = new Files();
        File.Copy(files.Checkpoint, files.Weights, overwrite: true);
        Assert.Contains($"'{files.Weights}' holds a checkpoint, not a model's saved weights", files.RefuseWeights().Message);
        foreach (string path in files.All) File.WriteAllText(path, "name,rating\nsomeone,4\n");
        Assert.Contains($"'{files.Weights}' is not a DataBlocks file (a model's saved weights was expected)", files.RefuseWeights().Message);
        files.EachRefused(path => $"'{path}' is not a DataBlocks file");
    }

    [Fact]
    public void A_File_Of_An_Older_Format_Asks_To_Be_Saved_Again()
    {
        using var files = new Files();
        var formats = new Dictionary<string, string>
        {
            [files.Weights] = "DataBlocks.Learner/2", [files.Checkpoint] = "DataBlocks.Checkpoint/2", [files.Export] = "DataBlocks.Collab/1",
        };
        foreach (var (path, format) in formats)
        {
            using var w = new BinaryWriter(File.Create(path), Encoding.UTF8);
            w.Write(format);   // the old formats began with their name, as BinaryWriter writes a string
            w.Write(3);
            w.Write("u_weight.weight");
        }
        files.EachRefused(path => $"'{path}' was saved by an older version of DataBlocks ({formats[path]}); re-save it with this version");
    }

    [Fact]
    public void A_Missing_Section_Is_Named_And_Changes_Nothing()
    {
        using var files = new Files();
        var missing = new Dictionary<string, (string Kind, string Section)>
        {
            [files.Weights] = (DataBlocksFile.Weights, "weights"), [files.Checkpoint] = (DataBlocksFile.Checkpoint, "history"),
            [files.Export] = (DataBlocksFile.CollabExport, "ratings"),
        };
        foreach (var (path, (kind, section)) in missing) Rewrite(path, kind, section, _ => null, to: path);
        files.EachRefused(path => $"'{path}' is damaged: it has no '{missing[path].Section}' section");
        Assert.Contains("(it has 'optimizer')", files.RefuseWeights().Message);
    }

    [Fact]
    public void An_Unknown_Architecture_Is_Named()
    {
        using var files = new Files();
        Rewrite(files.Export, DataBlocksFile.CollabExport, "architecture", a =>
        {
            using var buffer = new MemoryStream();
            using (var w = new BinaryWriter(buffer)) w.Write("Transformer");
            return [.. buffer.ToArray(), .. a[(1 + nameof(EmbeddingDotBias).Length)..]];
        }, to: files.Export);
        Assert.Contains($"'{files.Export}' holds a model of an unknown architecture 'Transformer'; this version of DataBlocks rebuilds 'EmbeddingDotBias', 'EmbeddingNN'",
            files.RefuseExport().Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Damaged_Optimizer_State_Leaves_The_Weights_And_The_Optimizer_As_They_Were(bool sgd)
    {
        using var files = new Files(sgd ? OptimizerSettings.SgdMomentum : null);
        // The section's length is right, but it ends halfway through the Adam moments, after a header that reads.
        Rewrite(files.Weights, DataBlocksFile.Weights, "optimizer", o => o[..(o.Length / 2)], to: files.Weights);
        files.Learner.Fit(1, 3e-2);   // the learner moves on from what the file holds: other weights, moments and rates
        var lrs = files.Learner.Optimizer!.Lr.ToArray();
        using var before = files.Learner.Optimizer.SaveToMemory();
        Assert.Contains($"'{files.Weights}'", files.RefuseWeights().Message);
        Assert.Equal(lrs, files.Learner.Optimizer.Lr);
        using var after = files.Learner.Optimizer.SaveToMemory();
        Assert.Equal(before.ToArray(), after.ToArray());
    }

    [Fact]
    public void Weights_Without_Optimizer_State_Load_And_A_Checkpoint_Of_The_New_Format_Resumes()
    {
        using var files = new Files();
        string path = files.Learner.Save("bare", withOpt: false);
        Assert.Equal(["weights"], DataBlocksFile.Read(path, DataBlocksFile.Weights).Names);
        Assert.Equal(["position", "history", "rng"], DataBlocksFile.Read(files.Checkpoint, DataBlocksFile.Checkpoint).Names.Take(3));
        using var other = TinyRegression.ThreeGroups(TinyRegression.Loaders(), files.Options);
        other.Load("bare");
        TensorAssert.Same(TinyRegression.Weights(other), TinyRegression.Weights(files.Learner));
        Assert.Null(other.Optimizer);
        var resumed = other.Fit(1, 1e-2, resume: true);   // the first fit had ended: restored, not retrained
        Assert.Equal(files.Learner.History.Select(r => r.ValidLoss), resumed.Select(r => r.ValidLoss));
    }
}
