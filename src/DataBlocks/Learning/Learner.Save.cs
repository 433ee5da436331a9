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
    private const string WeightsMagic = "DataBlocks.Learner/2";
    private const string CheckpointMagic = "DataBlocks.Checkpoint/2";

    /// <summary>
    /// Saves the model weights (and, with <paramref name="withOpt"/>, the optimizer state) to
    /// <c>{ModelDirectory}/{name}.dbw</c>, atomically: a crash mid-save leaves the previous file intact. Returns the path.
    /// Under mixed precision the fp32 master weights are saved, so the file is the same whatever the precision and loads
    /// into an fp32, bf16 or fp16 learner alike. fastai: <c>learn.save(file, with_opt=True)</c>.
    /// </summary>
    public string Save(string name, bool withOpt = true)
    {
        string path = WeightsPath(name);
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            WriteWeights(w, withOpt);
        });
        return path;
    }

    /// <summary>
    /// Loads what <see cref="Save"/> wrote: the weights (strictly: every name and shape must match) and, with
    /// <paramref name="withOpt"/>, the optimizer state when the file has it. Everything is checked before anything is
    /// changed: a file that does not fit leaves the learner as it was. fastai: <c>learn.load(file, with_opt=True)</c>.
    /// </summary>
    /// <exception cref="DataBlocksException">Missing file, another format, weights that do not fit the model, or optimizer
    /// state of another optimizer.</exception>
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

    private void WriteWeights(BinaryWriter w, bool withOpt)
    {
        w.Write(WeightsMagic);
        WriteModelState(w);
        bool opt = withOpt && _opt is not null;
        w.Write(opt);
        if (opt) _opt!.Save(w);
    }

    private void ReadWeights(BinaryReader r, string path, bool withOpt)
    {
        string magic = Read(r.ReadString, path);
        if (magic != WeightsMagic)
            throw new DataBlocksException(magic.StartsWith("DataBlocks.Learner/", StringComparison.Ordinal)
                ? $"'{path}' was saved by another version of DataBlocks ({magic}); this one reads {WeightsMagic}."
                : $"'{path}' is not a DataBlocks model file.");
        using var scope = torch.NewDisposeScope();
        var loaded = ReadModelState(r, path);
        LearnerOptimizer.PendingState? opt = null;
        if (Read(r.ReadBoolean, path) && withOpt)
        {
            if (_opt is null) CreateOptimizer();
            opt = _opt!.ReadHeader(r, path);
        }
        CommitModelState(loaded);
        opt?.Commit(r);
    }

    /// <summary>
    /// Writes every parameter and buffer by name. Under mixed precision the fp32 masters stand in for the half-precision
    /// parameters, and half-precision buffers are written as fp32.
    /// </summary>
    internal void WriteModelState(BinaryWriter w)
    {
        var masters = _mixed?.MastersByName();
        StateDictIO.Write(w, Model.state_dict(), masters is null ? null : name => masters.GetValueOrDefault(name));
    }

    /// <summary>Reads a state written by <see cref="WriteModelState"/> into new tensors and checks it against the model, changing nothing.</summary>
    private Dictionary<string, torch.Tensor> ReadModelState(BinaryReader r, string path) => StateDictIO.Read(r, Model.state_dict(), path);

    /// <summary>Copies checked tensors into the model (and into the fp32 masters under mixed precision).</summary>
    private void CommitModelState(Dictionary<string, torch.Tensor> loaded)
    {
        var masters = _mixed?.MastersByName();
        StateDictIO.Commit(Model.state_dict(), loaded, masters is null ? null : name => masters.GetValueOrDefault(name));
    }

    private static T Read<T>(Func<T> read, string path) => StateDictIO.Guard(read, path);

    // ---- checkpoints ----------------------------------------------------------------------------------------------

    /// <summary>
    /// The checkpoint file of this learner's fit number <paramref name="fit"/> (0 = its first fit; <see cref="FineTune"/>
    /// counts as two): <c>{ModelDirectory}/{Checkpoint}.fit{fit}.ckpt</c>; null without <see cref="LearnerOptions.Checkpoint"/>.
    /// </summary>
    public string? CheckpointPath(int fit) =>
        Options.Checkpoint is { } name ? Path.Combine(ModelDirectory, string.Create(CultureInfo.InvariantCulture, $"{name}.fit{fit}.ckpt")) : null;

    /// <summary>
    /// Writes the checkpoint of fit <paramref name="fit"/>: which fit it is, how far it got, the table rows, the loader's and
    /// torch's random states, the callbacks' states (the recorder, trackers, mixed precision's loss scale), the weights and
    /// the optimizer state — atomically.
    /// </summary>
    internal void WriteCheckpoint(int fit, string description, int firstRow, bool completed)
    {
        string path = CheckpointPath(fit)!;
        var rows = History.ToArray();
        var states = CallbackStates();
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            w.Write(CheckpointMagic);
            w.Write(fit);
            w.Write(description);
            w.Write(NEpoch);
            w.Write(Epoch);
            w.Write(completed);
            w.Write(firstRow);
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
            w.Write(states.Count);
            foreach (var (key, blob) in states)
            {
                w.Write(key);
                w.Write(blob.Length);
                w.Write(blob);
            }
            WriteWeights(w, withOpt: true);
        });
    }

    /// <summary>Where a checkpoint left its fit.</summary>
    internal sealed record CheckpointPosition(int NextEpoch, bool Completed, int FirstRow, IReadOnlyDictionary<string, byte[]> CallbackStates);

    /// <summary>
    /// Restores the checkpoint of fit <paramref name="fit"/> (weights, optimizer, rows, random states) and says where it
    /// left off; the callbacks' states are applied by the fit after <c>BeforeFit</c>. Null when there is none.
    /// </summary>
    /// <exception cref="DataBlocksException">The checkpoint belongs to a different fit, or is damaged.</exception>
    internal CheckpointPosition? RestoreCheckpoint(int fit, string description)
    {
        string path = CheckpointPath(fit)!;
        if (!File.Exists(path)) return null;
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        string magic = Read(r.ReadString, path);
        if (magic != CheckpointMagic)
            throw new DataBlocksException($"'{path}' is not a DataBlocks checkpoint of this version (found '{magic}', expected '{CheckpointMagic}').");
        int savedIndex = Read(r.ReadInt32, path);
        string savedFit = Read(r.ReadString, path);
        if (savedIndex != fit || savedFit != description)
            throw new DataBlocksException(
                $"The checkpoint '{path}' belongs to another fit ({savedFit}), not {description}: the script's fits changed since it was " +
                "written. Delete the checkpoints, or choose another LearnerOptions.Checkpoint name.");
        Read(r.ReadInt32, path);                 // the fit's epoch count, part of the description already
        int epoch = Read(r.ReadInt32, path);
        bool completed = Read(r.ReadBoolean, path);
        int firstRow = Read(r.ReadInt32, path);
        int loaderEpoch = Read(r.ReadInt32, path);
        int count = Read(r.ReadInt32, path);
        var rows = new List<EpochResult>(count);
        for (int i = 0; i < count; i++)
        {
            int e = Read(r.ReadInt32, path);
            double train = Read(r.ReadDouble, path), valid = Read(r.ReadDouble, path);
            var time = TimeSpan.FromTicks(Read(r.ReadInt64, path));
            int metrics = Read(r.ReadInt32, path);
            var values = new KeyValuePair<string, double>[metrics];
            for (int m = 0; m < metrics; m++) values[m] = new(Read(r.ReadString, path), Read(r.ReadDouble, path));
            rows.Add(new EpochResult(e, train, valid, values, time));
        }
        byte[] rng = Read(() => r.ReadBytes(r.ReadInt32()), path);
        int nStates = Read(r.ReadInt32, path);
        var states = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (int i = 0; i < nStates; i++) states[Read(r.ReadString, path)] = Read(() => r.ReadBytes(r.ReadInt32()), path);
        ReadWeights(r, path, withOpt: true);
        using (var state = torch.tensor(rng, torch.uint8)) torch.set_rng_state(state);
        Recorder.RestoreHistory(rows);
        Dls.Train.SetEpoch(loaderEpoch);
        return new CheckpointPosition(epoch + 1, completed, firstRow, states);
    }

    /// <summary>Each callback's state, keyed by its type and its position among callbacks of that type.</summary>
    private List<(string Key, byte[] Blob)> CallbackStates()
    {
        var states = new List<(string, byte[])>();
        foreach (var (cb, key) in KeyedCallbacks())
        {
            using var buffer = new MemoryStream();
            using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) cb.WriteState(w);
            if (buffer.Length > 0) states.Add((key, buffer.ToArray()));
        }
        return states;
    }

    /// <summary>Gives each callback the state it wrote into the checkpoint (after <c>BeforeFit</c> reset it).</summary>
    private void ApplyCallbackStates(IReadOnlyDictionary<string, byte[]> states)
    {
        foreach (var (cb, key) in KeyedCallbacks())
        {
            if (!states.TryGetValue(key, out var blob)) continue;
            using var r = new BinaryReader(new MemoryStream(blob), Encoding.UTF8);
            cb.ReadState(r);
        }
    }

    private IEnumerable<(Callback Callback, string Key)> KeyedCallbacks()
    {
        var seen = new Dictionary<Type, int>();
        foreach (var cb in _running)
        {
            int n = seen.GetValueOrDefault(cb.GetType());
            seen[cb.GetType()] = n + 1;
            yield return (cb, string.Create(CultureInfo.InvariantCulture, $"{cb.GetType().FullName}#{n}"));
        }
    }

    /// <summary>
    /// A description of a fit call, stored in checkpoints so a resume continues the same fit: every argument written
    /// culture-invariantly with all its digits.
    /// </summary>
    private static string Describe(string method, int nEpoch, params object?[] args) =>
        string.Create(CultureInfo.InvariantCulture, $"{method}(nEpoch={nEpoch}, {string.Join(", ", args.Select(DescribeArgument))})");

    private static string DescribeArgument(object? value) => value switch
    {
        null => "default",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        LR lr => lr.ToRoundTripString(),
        ValueTuple<double, double, double> t => $"({DescribeArgument(t.Item1)}, {DescribeArgument(t.Item2)}, {DescribeArgument(t.Item3)})",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
