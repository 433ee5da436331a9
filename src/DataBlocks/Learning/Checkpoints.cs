using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using TorchSharp;

namespace DataBlocks.Learning;

/// <summary>
/// Checkpoints and resuming (<see cref="LearnerOptions.Checkpoint"/>): every fit method numbers its fit, describes its
/// arguments, and runs through <see cref="Run"/>, which restores a checkpoint of the same fit and adds the
/// <see cref="CheckpointCallback"/> that writes them.
/// </summary>
public static class Checkpoints
{
    private const string CheckpointMagic = "DataBlocks.Checkpoint/2";

    /// <summary>
    /// The checkpoint file of this learner's fit number <paramref name="fit"/> (0 = its first fit; <c>FineTune</c> counts
    /// as two): <c>{ModelDirectory}/{Checkpoint}.fit{fit}.ckpt</c>; null without <see cref="LearnerOptions.Checkpoint"/>.
    /// </summary>
    public static string? CheckpointPath(this Learner learn, int fit) =>
        learn.Options.Checkpoint is { } name
            ? Path.Combine(learn.ModelDirectory, string.Create(CultureInfo.InvariantCulture, $"{name}.fit{fit}.ckpt"))
            : null;

    /// <summary>
    /// Runs a numbered fit. With checkpoints on, <paramref name="resume"/> restores this fit's checkpoint (a finished fit
    /// returns its rows without training; an unfinished one continues after its last completed epoch), and the fit writes
    /// its own. <paramref name="fit"/> gets the epoch to resume at (null: the caller's start, optimizer reset as asked) and
    /// the callbacks to add.
    /// </summary>
    internal static IReadOnlyList<EpochResult> Run(Learner learn, string description, bool resume,
        Func<int?, IReadOnlyList<Callback>, IReadOnlyList<EpochResult>> fit)
    {
        if (resume && learn.Options.Checkpoint is null)
            throw new InvalidOperationException("resume: true needs LearnerOptions.Checkpoint, the name checkpoints are written under.");
        int number = learn.NumberedFits++;
        if (learn.Options.Checkpoint is null) return fit(null, []);
        int firstRow = learn.History.Count;
        var restored = resume ? Restore(learn, number, description) : null;
        if (restored is { Completed: true })
        {
            learn.Options.Output?.WriteLine($"{description} already ran to its end: restored from {learn.CheckpointPath(number)}.");
            return learn.History.Skip(restored.FirstRow).ToArray();
        }
        if (restored is not null)
        {
            firstRow = restored.FirstRow;
            learn.Options.Output?.WriteLine($"Resuming {description} at epoch {restored.NextEpoch} from {learn.CheckpointPath(number)}.");
        }
        fit(restored?.NextEpoch, [new CheckpointCallback(number, description, firstRow, restored?.CallbackStates)]);
        return learn.History.Skip(firstRow).ToArray();
    }

    /// <summary>
    /// A description of a fit call, stored in checkpoints so a resume continues the same fit: every argument written
    /// culture-invariantly with all its digits.
    /// </summary>
    internal static string Describe(string method, int nEpoch, params object?[] args)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nEpoch, 1);
        return string.Create(CultureInfo.InvariantCulture, $"{method}(nEpoch={nEpoch}, {string.Join(", ", args.Select(DescribeArgument))})");
    }

    private static string DescribeArgument(object? value) => value switch
    {
        null => "default",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        LR lr => lr.ToRoundTripString(),
        ValueTuple<double, double, double> t => $"({DescribeArgument(t.Item1)}, {DescribeArgument(t.Item2)}, {DescribeArgument(t.Item3)})",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// Writes the checkpoint of fit <paramref name="fit"/>: which fit it is, how far it got, the table rows, the loader's and
    /// torch's random states, the callbacks' states (the recorder, trackers, mixed precision's loss scale), the weights and
    /// the optimizer state — atomically.
    /// </summary>
    internal static void Write(Learner learn, int fit, string description, int firstRow, bool completed)
    {
        var rows = learn.History.ToArray();
        AtomicFile.Write(learn.CheckpointPath(fit)!, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            w.Write(CheckpointMagic);
            w.Write(fit);
            w.Write(description);
            w.Write(learn.NEpoch);
            w.Write(learn.Epoch);
            w.Write(completed);
            w.Write(firstRow);
            w.Write(learn.Dls.Train.Epoch);
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
            WriteCallbackStates(learn, w);
            LearnerFiles.WriteWeights(learn, w, withOpt: true);
        });
    }

    /// <summary>Where a checkpoint left its fit.</summary>
    private sealed record Position(int NextEpoch, bool Completed, int FirstRow, IReadOnlyDictionary<string, byte[]> CallbackStates);

    /// <summary>
    /// Restores the checkpoint of fit <paramref name="fit"/> (weights, optimizer, rows, random states) and says where it
    /// left off; the callbacks' states are applied by the fit's <see cref="CheckpointCallback"/> after <c>BeforeFit</c>.
    /// Null when there is none.
    /// </summary>
    /// <exception cref="DataBlocksException">The checkpoint belongs to a different fit, or is damaged.</exception>
    private static Position? Restore(Learner learn, int fit, string description)
    {
        string path = learn.CheckpointPath(fit)!;
        if (!File.Exists(path)) return null;
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        T Read<T>(Func<T> read) => StateDictIO.Guard(read, path);
        string magic = Read(r.ReadString);
        if (magic != CheckpointMagic)
            throw new DataBlocksException($"'{path}' is not a DataBlocks checkpoint of this version (found '{magic}', expected '{CheckpointMagic}').");
        int savedIndex = Read(r.ReadInt32);
        string savedFit = Read(r.ReadString);
        if (savedIndex != fit || savedFit != description)
            throw new DataBlocksException(
                $"The checkpoint '{path}' belongs to another fit ({savedFit}), not {description}: the script's fits changed since it was " +
                "written. Delete the checkpoints, or choose another LearnerOptions.Checkpoint name.");
        Read(r.ReadInt32);                 // the fit's epoch count, part of the description already
        int epoch = Read(r.ReadInt32);
        bool completed = Read(r.ReadBoolean);
        int firstRow = Read(r.ReadInt32);
        int loaderEpoch = Read(r.ReadInt32);
        int count = Read(r.ReadInt32);
        var rows = new List<EpochResult>(count);
        for (int i = 0; i < count; i++)
        {
            int e = Read(r.ReadInt32);
            double train = Read(r.ReadDouble), valid = Read(r.ReadDouble);
            var time = TimeSpan.FromTicks(Read(r.ReadInt64));
            int metrics = Read(r.ReadInt32);
            var values = new KeyValuePair<string, double>[metrics];
            for (int m = 0; m < metrics; m++) values[m] = new(Read(r.ReadString), Read(r.ReadDouble));
            rows.Add(new EpochResult(e, train, valid, values, time));
        }
        byte[] rng = Read(() => r.ReadBytes(r.ReadInt32()));
        var states = ReadCallbackStates(r, path);
        LearnerFiles.ReadWeights(learn, r, path, withOpt: true);
        using (var state = torch.tensor(rng, torch.uint8)) torch.set_rng_state(state);
        learn.Recorder.RestoreHistory(rows);
        learn.Dls.Train.SetEpoch(loaderEpoch);
        return new Position(epoch + 1, completed, firstRow, states);
    }

    /// <summary>Writes each callback's state (but <paramref name="skip"/>'s), keyed by its type and its position among callbacks of that type.</summary>
    internal static void WriteCallbackStates(Learner learn, BinaryWriter w, Callback? skip = null)
    {
        var states = new List<(string, byte[])>();
        foreach (var (cb, key) in Keyed(learn))
        {
            if (ReferenceEquals(cb, skip)) continue;
            using var buffer = new MemoryStream();
            using (var bw = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) cb.WriteState(bw);
            if (buffer.Length > 0) states.Add((key, buffer.ToArray()));
        }
        w.Write(states.Count);
        foreach (var (key, blob) in states)
        {
            w.Write(key);
            w.Write(blob.Length);
            w.Write(blob);
        }
    }

    /// <summary>Reads what <see cref="WriteCallbackStates"/> wrote.</summary>
    internal static Dictionary<string, byte[]> ReadCallbackStates(BinaryReader r, string path)
    {
        int n = StateDictIO.Guard(r.ReadInt32, path);
        var states = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++) states[StateDictIO.Guard(r.ReadString, path)] = StateDictIO.Guard(() => r.ReadBytes(r.ReadInt32()), path);
        return states;
    }

    /// <summary>Gives each callback the state written for it.</summary>
    internal static void ApplyCallbackStates(Learner learn, IReadOnlyDictionary<string, byte[]> states)
    {
        foreach (var (cb, key) in Keyed(learn))
        {
            if (!states.TryGetValue(key, out var blob)) continue;
            using var r = new BinaryReader(new MemoryStream(blob), Encoding.UTF8);
            cb.ReadState(r);
        }
    }

    private static IEnumerable<(Callback Callback, string Key)> Keyed(Learner learn)
    {
        var seen = new Dictionary<Type, int>();
        foreach (var cb in learn.Callbacks.ToArray())
        {
            int n = seen.GetValueOrDefault(cb.GetType());
            seen[cb.GetType()] = n + 1;
            yield return (cb, string.Create(CultureInfo.InvariantCulture, $"{cb.GetType().FullName}#{n}"));
        }
    }
}

/// <summary>
/// Writes the learner's checkpoint after every epoch but the last, and once more at the end of the fit; on a resume, gives
/// the callbacks their saved states after their <c>BeforeFit</c>. It runs last (order <see cref="int.MaxValue"/>): the
/// final checkpoint holds what the fit left (the best model a SaveModelCallback loaded back, or the state where early
/// stopping ended it). See <see cref="LearnerOptions.Checkpoint"/>.
/// </summary>
internal sealed class CheckpointCallback(int fit, string description, int firstRow, IReadOnlyDictionary<string, byte[]>? restored) : Callback
{
    public override int Order => int.MaxValue;

    public override void BeforeFit()
    {
        if (restored is not null) Checkpoints.ApplyCallbackStates(Learner, restored);
    }

    public override void AfterEpoch()
    {
        if (Learner.EpochCompleted && Learner.Epoch < Learner.NEpoch - 1) Checkpoints.Write(Learner, fit, description, firstRow, completed: false);
    }

    public override void AfterFit() => Checkpoints.Write(Learner, fit, description, firstRow, completed: true);
}
