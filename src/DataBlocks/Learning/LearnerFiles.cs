using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using TorchSharp;

namespace DataBlocks.Learning;

/// <summary>Saving and loading a learner's weights and optimizer state. fastai: <c>learn.save</c>, <c>learn.load</c>.</summary>
public static class LearnerFiles
{
    private const string WeightsMagic = "DataBlocks.Learner/2";

    /// <summary>
    /// Saves the model weights (and, with <paramref name="withOpt"/>, the optimizer state) to
    /// <c>{ModelDirectory}/{name}.dbw</c>, atomically: a crash mid-save leaves the previous file intact. Returns the path.
    /// Under mixed precision the fp32 master weights are saved, so the file is the same whatever the precision and loads
    /// into an fp32, bf16 or fp16 learner alike. fastai: <c>learn.save(file, with_opt=True)</c>.
    /// </summary>
    public static string Save(this Learner learn, string name, bool withOpt = true)
    {
        string path = learn.WeightsPath(name);
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            WriteWeights(learn, w, withOpt);
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
    public static void Load(this Learner learn, string name, bool withOpt = true)
    {
        string path = learn.WeightsPath(name);
        if (!File.Exists(path)) throw new DataBlocksException($"There is no saved model '{path}'.");
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        ReadWeights(learn, r, path, withOpt);
    }

    /// <summary>
    /// The tensors the model's saved state is written from and loaded into, by state-dict name: the model's parameters and
    /// buffers, or what a callback stands in for them (<see cref="Callback.ModelStateTensors"/>: mixed precision's fp32 masters).
    /// </summary>
    public static IReadOnlyDictionary<string, torch.Tensor> StateTensors(this Learner learn)
    {
        var tensors = new Dictionary<string, torch.Tensor>(learn.Model.state_dict(), StringComparer.Ordinal);
        learn.Raise(c => c.ModelStateTensors(tensors));
        return tensors;
    }

    /// <summary>The file <see cref="Save"/> writes for <paramref name="name"/>.</summary>
    public static string WeightsPath(this Learner learn, string name) => Path.Combine(learn.ModelDirectory, name + ".dbw");

    /// <summary>Writes the weights (<see cref="StateTensors"/>) and, with <paramref name="withOpt"/>, the optimizer state.</summary>
    internal static void WriteWeights(Learner learn, BinaryWriter w, bool withOpt)
    {
        w.Write(WeightsMagic);
        StateDictIO.Write(w, learn.StateTensors());
        bool opt = withOpt && learn.Optimizer is not null;
        w.Write(opt);
        if (opt) learn.Optimizer!.Save(w);
    }

    /// <summary>Reads what <see cref="WriteWeights"/> wrote, checking the weights and the optimizer's header before committing either.</summary>
    internal static void ReadWeights(Learner learn, BinaryReader r, string path, bool withOpt)
    {
        string magic = StateDictIO.Guard(r.ReadString, path);
        if (magic != WeightsMagic)
            throw new DataBlocksException(magic.StartsWith("DataBlocks.Learner/", StringComparison.Ordinal)
                ? $"'{path}' was saved by another version of DataBlocks ({magic}); this one reads {WeightsMagic}."
                : $"'{path}' is not a DataBlocks model file.");
        using var scope = torch.NewDisposeScope();
        var target = learn.StateTensors();
        var loaded = StateDictIO.Read(r, target, path);
        LearnerOptimizer.PendingState? opt = null;
        if (StateDictIO.Guard(r.ReadBoolean, path) && withOpt) opt = (learn.Optimizer ?? learn.CreateOptimizer()).ReadHeader(r, path);
        StateDictIO.Commit(target, loaded);
        learn.Raise(c => c.AfterModelStateLoaded());
        opt?.Commit(r);
    }

    /// <summary>
    /// A copy in memory of the weights, the optimizer state and the callbacks' states (mixed precision's loss scale, a
    /// tracker's best) — not the recorder's, which keeps what it recorded — to put back later: the lr finder's temporary
    /// save, the snapshot ensemble's.
    /// </summary>
    internal static StateSnapshot Snapshot(this Learner learn)
    {
        if (learn.Optimizer is null) learn.CreateOptimizer();
        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            WriteWeights(learn, w, withOpt: true);
            Checkpoints.WriteCallbackStates(learn, w, skip: learn.Recorder);
        }
        return new StateSnapshot(learn, stream);
    }

    internal sealed class StateSnapshot(Learner learn, MemoryStream stream) : IDisposable
    {
        public void Restore()
        {
            stream.Position = 0;
            using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            ReadWeights(learn, r, "the learner's snapshot", withOpt: true);
            Checkpoints.ApplyCallbackStates(learn, Checkpoints.ReadCallbackStates(r, "the learner's snapshot"));
        }

        public void Dispose() => stream.Dispose();
    }
}
