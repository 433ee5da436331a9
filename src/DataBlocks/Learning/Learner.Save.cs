using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using TorchSharp;

namespace DataBlocks.Learning;

public sealed partial class Learner
{
    private const string WeightsMagic = "DataBlocks.Learner/1";
    private const string CheckpointMagic = "DataBlocks.Checkpoint/1";

    /// <summary>
    /// Saves the model weights (and, with <paramref name="withOpt"/>, the optimizer state) to
    /// <c>{ModelDirectory}/{name}.dbw</c>, atomically: a crash mid-save leaves the previous file intact. Returns the path.
    /// fastai: <c>learn.save(file, with_opt=True)</c>.
    /// </summary>
    public string Save(string name, bool withOpt = true)
    {
        string path = WeightsPath(name);
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            w.Write(WeightsMagic);
            Model.save(w);
            bool opt = withOpt && _opt is not null;
            w.Write(opt);
            if (opt) _opt!.Save(w);
        });
        return path;
    }

    /// <summary>
    /// Loads what <see cref="Save"/> wrote: the weights (strictly: every name and shape must match) and, with
    /// <paramref name="withOpt"/>, the optimizer state when the file has it. fastai: <c>learn.load(file, with_opt=True)</c>.
    /// </summary>
    /// <exception cref="DataBlocksException">Missing file, another format, or weights that do not fit the model.</exception>
    public void Load(string name, bool withOpt = true)
    {
        string path = WeightsPath(name);
        if (!File.Exists(path)) throw new DataBlocksException($"There is no saved model '{path}'.");
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        ReadWeights(r, path, withOpt);
    }

    /// <summary>The file <see cref="Save"/> writes for <paramref name="name"/>.</summary>
    public string WeightsPath(string name) => Path.Combine(ModelDirectory, name + ".dbw");

    private void ReadWeights(BinaryReader r, string path, bool withOpt)
    {
        string magic;
        try
        {
            magic = r.ReadString();
        }
        catch (EndOfStreamException e)
        {
            throw new DataBlocksException($"'{path}' is empty or truncated.", e);
        }
        if (magic != WeightsMagic) throw new DataBlocksException($"'{path}' is not a DataBlocks model file.");
        try
        {
            Model.load(r, strict: true);
            _mixed?.SyncMastersFromModel();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException)
        {
            throw new DataBlocksException($"The weights in '{path}' do not fit this model: {e.Message}", e);
        }
        bool hasOpt = r.ReadBoolean();
        if (!hasOpt || !withOpt) return;
        if (_opt is null) CreateOptimizer();
        _opt!.Load(r, path);
    }

    // ---- checkpoints ----------------------------------------------------------------------------------------------

    /// <summary>The checkpoint file of <see cref="LearnerOptions.Checkpoint"/>.</summary>
    public string? CheckpointPath => Options.Checkpoint is { } name ? Path.Combine(ModelDirectory, name + ".ckpt") : null;

    /// <summary>
    /// Writes the checkpoint after an epoch: which fit it belongs to, how far it got, the weights, the optimizer state,
    /// the recorded rows, the loader and torch random states — atomically.
    /// </summary>
    internal void WriteCheckpoint(string fit, bool completed)
    {
        string path = CheckpointPath!;
        var rows = History.ToArray();
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            w.Write(CheckpointMagic);
            w.Write(fit);
            w.Write(NEpoch);
            w.Write(Epoch);
            w.Write(completed);
            w.Write(Dls.Train.Epoch);
            w.Write(rows.Length);
            foreach (var row in rows)
            {
                w.Write(row.Epoch);
                w.Write(row.TrainLoss);
                w.Write(row.ValidLoss);
                w.Write(row.Time.Ticks);
                w.Write(row.Metrics.Count);
                foreach (var m in row.Metrics)
                {
                    w.Write(m.Key);
                    w.Write(m.Value);
                }
            }
            using (var rng = torch.get_rng_state())
            {
                var bytes = rng.bytes.ToArray();
                w.Write(bytes.Length);
                w.Write(bytes);
            }
            w.Write(WeightsMagic);
            Model.save(w);
            w.Write(true);
            _opt!.Save(w);
        });
    }

    /// <summary>The fit a checkpoint belongs to, or null when there is none.</summary>
    internal string? CheckpointFit()
    {
        if (CheckpointPath is not { } path || !File.Exists(path)) return null;
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        return r.ReadString() == CheckpointMagic ? r.ReadString() : null;
    }

    /// <summary>The saved position of a checkpoint for fit <paramref name="fit"/>, after restoring its state; null when there is none.</summary>
    /// <exception cref="DataBlocksException">The checkpoint belongs to a different fit.</exception>
    internal (int NextEpoch, bool Completed)? RestoreCheckpoint(string fit)
    {
        string path = CheckpointPath!;
        if (!File.Exists(path)) return null;
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        if (r.ReadString() != CheckpointMagic) throw new DataBlocksException($"'{path}' is not a DataBlocks checkpoint.");
        string savedFit = r.ReadString();
        if (savedFit != fit)
            throw new DataBlocksException(
                $"The checkpoint '{path}' belongs to another fit ({savedFit}), not {fit}. Delete it, or choose another LearnerOptions.Checkpoint name.");
        r.ReadInt32();                 // the fit's epoch count, part of the description already
        int epoch = r.ReadInt32();
        bool completed = r.ReadBoolean();
        int loaderEpoch = r.ReadInt32();
        int count = r.ReadInt32();
        var rows = new List<EpochResult>(count);
        for (int i = 0; i < count; i++)
        {
            int e = r.ReadInt32();
            double train = r.ReadDouble(), valid = r.ReadDouble();
            var time = TimeSpan.FromTicks(r.ReadInt64());
            int metrics = r.ReadInt32();
            var values = new KeyValuePair<string, double>[metrics];
            for (int m = 0; m < metrics; m++) values[m] = new(r.ReadString(), r.ReadDouble());
            rows.Add(new EpochResult(e, train, valid, values, time));
        }
        byte[] rng = r.ReadBytes(r.ReadInt32());
        if (_opt is null) CreateOptimizer();
        ReadWeights(r, path, withOpt: true);
        using (var state = torch.tensor(rng, torch.uint8)) torch.set_rng_state(state);
        Recorder.RestoreHistory(rows);
        Dls.Train.SetEpoch(loaderEpoch);
        return (epoch + 1, completed);
    }

    /// <summary>A description of a fit call, stored in checkpoints so a resume continues the same fit.</summary>
    private static string Describe(string method, int nEpoch, params object?[] args) =>
        string.Create(CultureInfo.InvariantCulture, $"{method}(nEpoch={nEpoch}, {string.Join(", ", args.Select(a => a?.ToString() ?? "default"))})");
}
