using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;

namespace DataBlocks.Learning;

/// <summary>
/// The learner's optimizer over logical parameter groups (layer groups, body first, head last), with per-group
/// hyper-parameters set by schedules every batch. Each logical group becomes up to two TorchSharp groups — one with
/// weight decay, one without (biases and normalisation layers, fastai's <c>wd_bn_bias=False</c>) — so a learning rate or
/// momentum set on a group reaches both halves. fastai: <c>Optimizer</c> with <c>hypers</c> and <c>set_hyper</c>.
/// </summary>
public sealed class LearnerOptimizer : IDisposable
{
    private readonly IReadOnlyList<IReadOnlyList<Parameter>> _groups;
    private readonly HashSet<Parameter> _noDecay;
    private readonly double[] _lr, _mom, _sqrMom, _wd, _eps;
    private torch.optim.Optimizer _inner;
    private int[] _logicalOf = [];
    private bool[] _decays = [];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="groups">The parameters of each logical group.</param>
    /// <param name="noDecay">Parameters that never get weight decay.</param>
    /// <param name="settings">Algorithm and default hyper-parameters.</param>
    /// <param name="lr">The initial learning rate of every group.</param>
    public LearnerOptimizer(IReadOnlyList<IReadOnlyList<Parameter>> groups, ISet<Parameter> noDecay, OptimizerSettings settings, double lr)
    {
        if (groups.Count == 0) throw new ArgumentException("There are no parameter groups.", nameof(groups));
        _groups = groups;
        _noDecay = new HashSet<Parameter>(noDecay, ReferenceEqualityComparer.Instance);
        Settings = settings;
        int n = groups.Count;
        _lr = Enumerable.Repeat(lr, n).ToArray();
        _mom = Enumerable.Repeat(settings.Mom, n).ToArray();
        _sqrMom = Enumerable.Repeat(settings.SqrMom, n).ToArray();
        _wd = Enumerable.Repeat(settings.Wd, n).ToArray();
        _eps = Enumerable.Repeat(settings.Eps, n).ToArray();
        _inner = Build();
    }

    /// <summary>The algorithm and defaults.</summary>
    public OptimizerSettings Settings { get; }

    /// <summary>The number of logical groups.</summary>
    public int GroupCount => _groups.Count;

    /// <summary>The parameters of each logical group.</summary>
    public IReadOnlyList<IReadOnlyList<Parameter>> Groups => _groups;

    /// <summary>Learning rate of each group.</summary>
    public IReadOnlyList<double> Lr => _lr;

    /// <summary>Momentum (Adam's β1) of each group.</summary>
    public IReadOnlyList<double> Mom => _mom;

    /// <summary>Weight decay of each group.</summary>
    public IReadOnlyList<double> Wd => _wd;

    /// <summary>Whether a parameter is excluded from weight decay.</summary>
    public bool IsNoDecay(Parameter p) => _noDecay.Contains(p);

    /// <summary>Sets the learning rate of every group (fastai: <c>set_hyper('lr', ...)</c>).</summary>
    public void SetLr(IReadOnlyList<double> values) => Set(_lr, values, "learning rates");

    /// <summary>Sets the momentum of every group (Adam's β1, SGD's momentum).</summary>
    public void SetMom(IReadOnlyList<double> values) => Set(_mom, values, "momentums");

    /// <summary>Sets the weight decay of every group.</summary>
    public void SetWd(IReadOnlyList<double> values) => Set(_wd, values, "weight decays");

    /// <summary>One optimizer step over every parameter that has a gradient (frozen ones have none).</summary>
    public void Step()
    {
        Apply();
        if (Settings.Kind == OptimizerKind.Sgd)
        {
            // TorchSharp's SGD applies weight decay as L2 on the gradient; fastai's SGD decouples it: p ← p·(1 − lr·wd).
            using var noGrad = torch.no_grad();
            for (int g = 0; g < _groups.Count; g++)
            {
                if (_wd[g] == 0) continue;
                foreach (var p in _groups[g])
                {
                    if (_noDecay.Contains(p)) continue;
                    using var grad = p.grad;
                    if (grad is null) continue;
                    p.mul_(1 - _lr[g] * _wd[g]);
                }
            }
        }
        _inner.step();
    }

    /// <summary>Zeroes the gradients (fastai: <c>zero_grad</c>).</summary>
    public void ZeroGrad() => _inner.zero_grad();

    /// <summary>Forgets the moving averages and step counts (fastai: <c>clear_state</c>, done by freeze/unfreeze).</summary>
    public void ClearState()
    {
        _inner.Dispose();
        _inner = Build();
    }

    private const string StateMagic = "DataBlocks.LearnerOptimizer/2";

    /// <summary>Writes the optimizer state (moments, steps) and our per-group hyper-parameters.</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(StateMagic);
        writer.Write(Settings.Kind.ToString());
        writer.Write(_groups.Count);
        foreach (var group in _groups) writer.Write(group.Count);
        foreach (var values in new[] { _lr, _mom, _sqrMom, _wd, _eps })
            foreach (double v in values) writer.Write(v);
        Apply();
        ((OptimizerHelper)_inner).save_state_dict(writer);
    }

    /// <summary>Reads what <see cref="Save"/> wrote.</summary>
    /// <exception cref="DataBlocksException">The state is of another optimizer, for other parameter groups, or another format; nothing was changed.</exception>
    public void Load(BinaryReader reader, string source) => ReadHeader(reader, source).Commit(reader);

    /// <summary>
    /// Reads and checks the header of saved state (format, algorithm, groups and their sizes, hyper-parameters) without
    /// changing anything; <see cref="PendingState.Commit"/> then loads it. Lets the learner check the optimizer state
    /// before it overwrites the weights.
    /// </summary>
    internal PendingState ReadHeader(BinaryReader reader, string source)
    {
        string magic = ReadOrThrow(reader.ReadString, source);
        if (magic != StateMagic)
            throw new DataBlocksException($"'{source}' does not hold DataBlocks optimizer state of this version (found '{magic}', expected '{StateMagic}').");
        string kind = ReadOrThrow(reader.ReadString, source);
        if (kind != Settings.Kind.ToString())
            throw new DataBlocksException(
                $"'{source}' holds the state of a {kind} optimizer, but this learner uses {Settings.Kind}. Load it with withOpt: false, or use the same optimizer.");
        int groups = ReadOrThrow(reader.ReadInt32, source);
        if (groups != _groups.Count)
            throw new DataBlocksException($"'{source}' holds optimizer state for {groups} parameter groups, but the learner has {_groups.Count}.");
        for (int g = 0; g < groups; g++)
        {
            int count = ReadOrThrow(reader.ReadInt32, source);
            if (count != _groups[g].Count)
                throw new DataBlocksException(
                    $"'{source}' holds optimizer state for {count} parameters in group {g}, but the learner's group {g} has {_groups[g].Count}.");
        }
        var hypers = new double[5][];
        for (int h = 0; h < hypers.Length; h++)
        {
            hypers[h] = new double[groups];
            for (int i = 0; i < groups; i++) hypers[h][i] = ReadOrThrow(reader.ReadDouble, source);
        }
        return new PendingState(this, hypers, source);
    }

    private static T ReadOrThrow<T>(Func<T> read, string source)
    {
        try
        {
            return read();
        }
        catch (EndOfStreamException e)
        {
            throw new DataBlocksException($"'{source}' is truncated: its optimizer state ends early.", e);
        }
    }

    /// <summary>Checked optimizer state, ready to load (see <see cref="ReadHeader"/>).</summary>
    internal sealed class PendingState(LearnerOptimizer owner, double[][] hypers, string source)
    {
        /// <summary>Sets the hyper-parameters and reads the moments and step counts that follow the header.</summary>
        public void Commit(BinaryReader reader)
        {
            var targets = new[] { owner._lr, owner._mom, owner._sqrMom, owner._wd, owner._eps };
            for (int h = 0; h < targets.Length; h++) hypers[h].CopyTo(targets[h], 0);
            owner.Apply();
            try
            {
                ((OptimizerHelper)owner._inner).load_state_dict(reader);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or EndOfStreamException or InvalidOperationException)
            {
                throw new DataBlocksException($"The optimizer state in '{source}' does not fit this learner: {e.Message}", e);
            }
        }
    }

    /// <summary>Disposes the TorchSharp optimizer and its state.</summary>
    public void Dispose() => _inner.Dispose();

    private static void Set(double[] target, IReadOnlyList<double> values, string what)
    {
        if (values.Count == 1) Array.Fill(target, values[0]);
        else if (values.Count == target.Length) for (int i = 0; i < target.Length; i++) target[i] = values[i];
        else throw new ArgumentException($"Trying to set {values.Count} {what}, but there are {target.Length} parameter groups.");
    }

    private torch.optim.Optimizer Build()
    {
        var logical = new List<int>();
        var decays = new List<bool>();
        torch.optim.Optimizer optimizer;
        if (Settings.Kind == OptimizerKind.Adam)
        {
            var torchGroups = new List<AdamW.ParamGroup>();
            for (int g = 0; g < _groups.Count; g++)
                foreach (bool decay in new[] { true, false })
                {
                    var ps = _groups[g].Where(p => decay != _noDecay.Contains(p)).ToArray();
                    if (ps.Length == 0) continue;
                    torchGroups.Add(new AdamW.ParamGroup(ps, _lr[g], _mom[g], _sqrMom[g], _eps[g], decay ? _wd[g] : 0.0, false, false));
                    logical.Add(g);
                    decays.Add(decay);
                }
            optimizer = torch.optim.AdamW(torchGroups, _lr[0], Settings.Mom, Settings.SqrMom, Settings.Eps, Settings.Wd, false, false);
        }
        else
        {
            var torchGroups = new List<SGD.ParamGroup>();
            for (int g = 0; g < _groups.Count; g++)
                foreach (bool decay in new[] { true, false })
                {
                    var ps = _groups[g].Where(p => decay != _noDecay.Contains(p)).ToArray();
                    if (ps.Length == 0) continue;
                    torchGroups.Add(new SGD.ParamGroup(ps, _lr[g], _mom[g], 0.0, 0.0, false, false));
                    logical.Add(g);
                    decays.Add(decay);
                }
            optimizer = torch.optim.SGD(torchGroups, _lr[0], Settings.Mom, 0.0, 0.0, false, false);
        }
        _logicalOf = logical.ToArray();
        _decays = decays.ToArray();
        return optimizer;
    }

    /// <summary>Pushes our per-group hyper-parameters into the TorchSharp groups.</summary>
    private void Apply()
    {
        int i = 0;
        foreach (var group in _inner.ParamGroups)
        {
            int g = _logicalOf[i];
            group.LearningRate = _lr[g];
            var options = ((ParamGroup)group).Options;
            switch (options)
            {
                case AdamW.Options adam:
                    adam.beta1 = _mom[g];
                    adam.beta2 = _sqrMom[g];
                    adam.eps = _eps[g];
                    adam.weight_decay = _decays[i] ? _wd[g] : 0.0;
                    break;
                case SGD.Options sgd:
                    // fastai's SGD with mom=0 steps without momentum whatever a schedule sets (its momentum is unused).
                    sgd.momentum = Settings.Mom == 0 ? 0.0 : _mom[g];
                    sgd.weight_decay = 0.0;
                    break;
            }
            i++;
        }
    }
}
