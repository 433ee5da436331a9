using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using DataBlocks.Serialization;
using TorchSharp;

namespace DataBlocks.Learning;

/// <summary>
/// Checkpoints and resuming (<see cref="LearnerOptions.Checkpoint"/>): every fit method numbers its fit, describes its
/// arguments, and runs through <see cref="Run"/>, which restores a checkpoint of the same fit and adds the
/// <see cref="CheckpointCallback"/> that writes them.
/// </summary>
public static class Checkpoints
{
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
    /// Writes the checkpoint of fit <paramref name="fit"/> atomically, a <see cref="DataBlocksFile"/> of kind
    /// <see cref="DataBlocksFile.Checkpoint"/>: which fit it is and how far it got (<c>position</c>), the table rows
    /// (<c>history</c>), torch's random state (<c>rng</c>), the callbacks' states (the recorder, trackers, mixed precision's
    /// loss scale), the weights and the optimizer state.
    /// </summary>
    internal static void Write(Learner learn, int fit, string description, int firstRow, bool completed)
    {
        var rows = learn.History.ToArray();
        DataBlocksFile.Write(learn.CheckpointPath(fit)!, DataBlocksFile.Checkpoint, file =>
        {
            file.Add("position", w =>
            {
                w.Write(fit);
                w.Write(description);
                w.Write(learn.Epoch);
                w.Write(completed);
                w.Write(firstRow);
                w.Write(learn.Dls.Train.Epoch);
            });
            file.Add("history", w =>
            {
                w.Write(rows.Length);
                foreach (var row in rows) WriteRow(w, row);
            });
            using (var rng = torch.get_rng_state()) file.Add("rng", rng.bytes.ToArray());
            WriteCallbackStates(learn, file);
            LearnerFiles.WriteWeights(learn, file, withOpt: true);
        });
    }

    private static void WriteRow(BinaryWriter w, EpochResult row)
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

    private static EpochResult ReadRow(BinaryReader r)
    {
        int epoch = r.ReadInt32();
        double train = r.ReadDouble(), valid = r.ReadDouble();
        var time = TimeSpan.FromTicks(r.ReadInt64());
        var values = new KeyValuePair<string, double>[r.ReadInt32()];
        for (int m = 0; m < values.Length; m++) values[m] = new(r.ReadString(), r.ReadDouble());
        return new EpochResult(epoch, train, valid, values, time);
    }

    /// <summary>Where a checkpoint left its fit.</summary>
    private sealed record Position(int NextEpoch, bool Completed, int FirstRow, IReadOnlyDictionary<string, byte[]> CallbackStates);

    /// <summary>
    /// Restores the checkpoint of fit <paramref name="fit"/> (weights, optimizer, rows, random states) and says where it
    /// left off; the callbacks' states are applied by the fit's <see cref="CheckpointCallback"/> after <c>BeforeFit</c>.
    /// Everything is read and checked before anything changes. Null when there is none.
    /// </summary>
    /// <exception cref="DataBlocksException">The checkpoint belongs to a different fit, is damaged, or was written by an older version.</exception>
    private static Position? Restore(Learner learn, int fit, string description)
    {
        string path = learn.CheckpointPath(fit)!;
        if (!File.Exists(path)) return null;
        var file = DataBlocksFile.Read(path, DataBlocksFile.Checkpoint);
        var (savedIndex, savedFit, epoch, completed, firstRow, loaderEpoch) = file.Read("position",
            r => (r.ReadInt32(), r.ReadString(), r.ReadInt32(), r.ReadBoolean(), r.ReadInt32(), r.ReadInt32()));
        if (savedIndex != fit || savedFit != description)
            throw new DataBlocksException(
                $"The checkpoint '{path}' belongs to another fit ({savedFit}), not {description}: the script's fits changed since it was " +
                "written. Delete the checkpoints, or choose another LearnerOptions.Checkpoint name.");
        var rows = file.Read("history", r => Enumerable.Range(0, r.ReadInt32()).Select(_ => ReadRow(r)).ToArray());
        byte[] rng = file.Bytes("rng");
        var states = ReadCallbackStates(file);
        LearnerFiles.ReadWeights(learn, file, withOpt: true);
        using (var state = torch.tensor(rng, torch.uint8)) torch.set_rng_state(state);
        learn.Recorder.RestoreHistory(rows);
        learn.Dls.Train.SetEpoch(loaderEpoch);
        return new Position(epoch + 1, completed, firstRow, states);
    }

    private const string CallbackSection = "callback ";

    /// <summary>
    /// Adds a section per callback with a state (but <paramref name="skip"/>): <c>callback {type}#{n}</c>, keyed by its type
    /// and its position among callbacks of that type.
    /// </summary>
    internal static void WriteCallbackStates(Learner learn, SectionWriter file, Callback? skip = null)
    {
        foreach (var (cb, key) in Keyed(learn))
        {
            if (ReferenceEquals(cb, skip)) continue;
            using var buffer = new MemoryStream();
            using (var bw = new BinaryWriter(buffer, DataBlocksFile.Utf8, leaveOpen: true)) cb.WriteState(bw);
            if (buffer.Length > 0) file.Add(CallbackSection + key, buffer.ToArray());
        }
    }

    /// <summary>Reads what <see cref="WriteCallbackStates"/> wrote: each callback's state by its key.</summary>
    internal static Dictionary<string, byte[]> ReadCallbackStates(Sections file) =>
        file.Names.Where(n => n.StartsWith(CallbackSection, StringComparison.Ordinal))
            .ToDictionary(n => n[CallbackSection.Length..], file.Bytes, StringComparer.Ordinal);

    /// <summary>Gives each callback the state written for it.</summary>
    internal static void ApplyCallbackStates(Learner learn, IReadOnlyDictionary<string, byte[]> states)
    {
        foreach (var (cb, key) in Keyed(learn))
        {
            if (!states.TryGetValue(key, out var blob)) continue;
            using var r = new BinaryReader(new MemoryStream(blob), DataBlocksFile.Utf8);
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
