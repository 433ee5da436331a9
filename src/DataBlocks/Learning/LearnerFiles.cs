using System;
using System.Collections.Generic;
using System.IO;
using DataBlocks.Serialization;
using TorchSharp;

namespace DataBlocks.Learning;

/// <summary>
/// Saving and loading a learner's weights and optimizer state, as a <see cref="DataBlocksFile"/> of kind
/// <see cref="DataBlocksFile.Weights"/> (sections <c>weights</c> and <c>optimizer</c>). fastai: <c>learn.save</c>, <c>learn.load</c>.
/// </summary>
public static class LearnerFiles
{
    /// <summary>
    /// Saves the model weights (and, with <paramref name="withOpt"/>, the optimizer state) to
    /// <c>{ModelDirectory}/{name}.dbw</c>, atomically: a crash mid-save leaves the previous file intact. Returns the path.
    /// Under mixed precision the fp32 master weights are saved, so the file is the same whatever the precision and loads
    /// into an fp32, bf16 or fp16 learner alike. fastai: <c>learn.save(file, with_opt=True)</c>.
    /// </summary>
    public static string Save(this Learner learn, string name, bool withOpt = true)
    {
        string path = learn.WeightsPath(name);
        DataBlocksFile.Write(path, DataBlocksFile.Weights, file => WriteWeights(learn, file, withOpt));
        return path;
    }

    /// <summary>
    /// Loads what <see cref="Save"/> wrote: the weights (strictly: every name and shape must match) and, with
    /// <paramref name="withOpt"/>, the optimizer state when the file has it. Everything is checked before anything is
    /// changed: a file that does not fit leaves the learner as it was. fastai: <c>learn.load(file, with_opt=True)</c>.
    /// </summary>
    /// <exception cref="DataBlocksException">Missing, truncated or foreign file, a file saved by an older version of
    /// DataBlocks, weights that do not fit the model, or optimizer state of another optimizer.</exception>
    public static void Load(this Learner learn, string name, bool withOpt = true)
    {
        string path = learn.WeightsPath(name);
        if (!File.Exists(path)) throw new DataBlocksException($"There is no saved model '{path}'.");
        ReadWeights(learn, DataBlocksFile.Read(path, DataBlocksFile.Weights), withOpt);
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

    /// <summary>Adds the sections <c>weights</c> (<see cref="StateTensors"/>) and, with <paramref name="withOpt"/>, <c>optimizer</c>.</summary>
    internal static void WriteWeights(Learner learn, SectionWriter file, bool withOpt)
    {
        file.Add("weights", w => StateDictIO.Write(w, learn.StateTensors()));
        if (withOpt && learn.Optimizer is { } opt) file.Add("optimizer", opt.Save);
    }

    /// <summary>
    /// Reads what <see cref="WriteWeights"/> wrote: the weights are read and checked, then the optimizer's header; the
    /// optimizer state is loaded before the weights are copied (Adam's all or nothing; SGD's through TorchSharp, which the
    /// tests find leaves it as it was when the state is truncated), so a file that fails leaves the learner as it was.
    /// </summary>
    internal static void ReadWeights(Learner learn, Sections file, bool withOpt)
    {
        using var scope = torch.NewDisposeScope();
        var target = learn.StateTensors();
        var loaded = file.Read("weights", r => StateDictIO.Read(r, target, file.Source));
        using var optimizer = withOpt && file.Has("optimizer") ? file.Open("optimizer") : null;
        if (optimizer is not null) (learn.Optimizer ?? learn.CreateOptimizer()).ReadHeader(optimizer, file.Source).Commit(optimizer);
        StateDictIO.Commit(target, loaded);
        learn.Raise(c => c.AfterModelStateLoaded());
    }

    /// <summary>
    /// A copy in memory of the weights, the optimizer state and the callbacks' states (mixed precision's loss scale, a
    /// tracker's best) — not the recorder's, which keeps what it recorded — to put back later: the lr finder's temporary
    /// save, the snapshot ensemble's.
    /// </summary>
    internal static StateSnapshot Snapshot(this Learner learn)
    {
        if (learn.Optimizer is null) learn.CreateOptimizer();
        using var stream = new MemoryStream();
        DataBlocksFile.Write(stream, DataBlocksFile.Snapshot, file =>
        {
            WriteWeights(learn, file, withOpt: true);
            Checkpoints.WriteCallbackStates(learn, file, skip: learn.Recorder);
        });
        return new StateSnapshot(learn, stream.ToArray());
    }

    internal sealed class StateSnapshot(Learner learn, byte[] data)
    {
        public void Restore()
        {
            var file = DataBlocksFile.Read(data, "the learner's snapshot", DataBlocksFile.Snapshot);
            ReadWeights(learn, file, withOpt: true);
            Checkpoints.ApplyCallbackStates(learn, Checkpoints.ReadCallbackStates(file));
        }
    }
}
