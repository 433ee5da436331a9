using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Serialization;
using TorchSharp;
using TorchSharp.Modules;

namespace DataBlocks.Learning;

/// <summary>
/// The learner's optimizer over logical parameter groups (layer groups, body first, head last), with per-group
/// hyper-parameters set by schedules every batch; biases and normalisation layers get no weight decay (fastai's
/// <c>wd_bn_bias=False</c>). Adam is fastai's (decoupled weight decay), stepped by our own kernel — one vectorised pass
/// per parameter on the CPU; SGD is TorchSharp's over two groups per logical group (with and without weight decay), with
/// the decay decoupled as fastai does. fastai: <c>Optimizer</c> with <c>hypers</c> and <c>set_hyper</c>.
/// </summary>
public sealed class LearnerOptimizer : IDisposable
{
    private IReadOnlyList<IReadOnlyList<Parameter>> _groups;
    private HashSet<Parameter> _noDecay;
    private readonly double[] _lr, _mom, _sqrMom, _wd, _eps;
    private torch.optim.Optimizer? _inner;                                                        // SGD: TorchSharp's
    private readonly Dictionary<Parameter, AdamState> _adam = new(ReferenceEqualityComparer.Instance);   // Adam: ours
    private int[] _logicalOf = [];

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
        if (Settings.Kind == OptimizerKind.Adam)
        {
            using var noGrad = torch.no_grad();   // once for the step, not per parameter
            for (int g = 0; g < _groups.Count; g++)
                foreach (var p in _groups[g])
                {
                    using var grad = p.grad;
                    if (grad is null) continue;
                    if (!_adam.TryGetValue(p, out var state)) _adam[p] = state = new AdamState(p);
                    AdamStep.Apply(p, grad, state, _lr[g], _mom[g], _sqrMom[g], _eps[g], _noDecay.Contains(p) ? 0.0 : _wd[g]);
                }
            return;
        }
        Apply();
        // TorchSharp's SGD applies weight decay as L2 on the gradient; fastai's SGD decouples it: p ← p·(1 − lr·wd).
        using (torch.no_grad())
        {
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
        _inner!.step();
    }

    /// <summary>Zeroes the gradients (fastai: <c>zero_grad</c>).</summary>
    public void ZeroGrad()
    {
        if (_inner is not null)
        {
            _inner.zero_grad();
            return;
        }
        foreach (var group in _groups)
            foreach (var p in group)
            {
                using var grad = p.grad;
                grad?.zero_();
            }
    }

    /// <summary>
    /// Steps other parameters in place of these, group by group (mixed precision's fp32 masters), forgetting any state;
    /// hyper-parameters and weight-decay exclusions carry over to the stand-ins.
    /// </summary>
    internal void ReplaceParameters(Func<Parameter, Parameter> standIn)
    {
        _groups = _groups.Select(g => (IReadOnlyList<Parameter>)g.Select(standIn).ToArray()).ToArray();
        _noDecay = new HashSet<Parameter>(_noDecay.Select(standIn), ReferenceEqualityComparer.Instance);
        ClearState();
    }

    /// <summary>Forgets the moving averages and step counts (fastai: <c>clear_state</c>, done by freeze/unfreeze).</summary>
    public void ClearState()
    {
        _inner?.Dispose();
        ClearAdam();
        _inner = Build();
    }

    private const string StateMagic = "DataBlocks.LearnerOptimizer/3";

    /// <summary>Writes the optimizer state (moments, steps) and our per-group hyper-parameters.</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(StateMagic);
        writer.Write(Settings.Kind.ToString());
        writer.Write(_groups.Count);
        foreach (var group in _groups) writer.Write(group.Count);
        foreach (var values in Hypers)
            foreach (double v in values) writer.Write(v);
        if (_inner is null)
        {
            foreach (var group in _groups)
                foreach (var p in group)
                {
                    bool has = _adam.TryGetValue(p, out var state);
                    writer.Write(has);
                    if (!has) continue;
                    writer.Write(state!.Step);
                    using var scope = torch.NewDisposeScope();
                    state.ExpAvg.cpu().contiguous().Save(writer);   // whatever the moments' strides (a channels-last model)
                    state.ExpAvgSq.cpu().contiguous().Save(writer);
                }
            return;
        }
        Apply();
        ((OptimizerHelper)_inner).save_state_dict(writer);
    }

    /// <summary>The state <see cref="Save"/> writes, in memory, ready to read (to carry over to a rebuilt optimizer).</summary>
    internal MemoryStream SaveToMemory()
    {
        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) Save(w);
        stream.Position = 0;
        return stream;
    }

    /// <summary>Loads state kept by <see cref="SaveToMemory"/>.</summary>
    internal void LoadFromMemory(MemoryStream state, string source)
    {
        using var r = new BinaryReader(state, System.Text.Encoding.UTF8, leaveOpen: true);
        Load(r, source);
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
        string magic = StateDictIO.Guard(reader.ReadString, source);
        if (magic != StateMagic)
            throw new DataBlocksException($"'{source}' does not hold DataBlocks optimizer state of this version (found '{magic}', expected '{StateMagic}').");
        string kind = StateDictIO.Guard(reader.ReadString, source);
        if (kind != Settings.Kind.ToString())
            throw new DataBlocksException(
                $"'{source}' holds the state of a {kind} optimizer, but this learner uses {Settings.Kind}. Load it with withOpt: false, or use the same optimizer.");
        int groups = StateDictIO.Guard(reader.ReadInt32, source);
        if (groups != _groups.Count)
            throw new DataBlocksException($"'{source}' holds optimizer state for {groups} parameter groups, but the learner has {_groups.Count}.");
        for (int g = 0; g < groups; g++)
        {
            int count = StateDictIO.Guard(reader.ReadInt32, source);
            if (count != _groups[g].Count)
                throw new DataBlocksException(
                    $"'{source}' holds optimizer state for {count} parameters in group {g}, but the learner's group {g} has {_groups[g].Count}.");
        }
        var hypers = new double[Hypers.Length][];
        for (int h = 0; h < hypers.Length; h++)
        {
            hypers[h] = new double[groups];
            for (int i = 0; i < groups; i++) hypers[h][i] = StateDictIO.Guard(reader.ReadDouble, source);
        }
        return new PendingState(this, hypers, source);
    }

    /// <summary>Checked optimizer state, ready to load (see <see cref="ReadHeader"/>).</summary>
    internal sealed class PendingState(LearnerOptimizer owner, double[][] hypers, string source)
    {
        /// <summary>
        /// Reads the moments and step counts that follow the header, then sets the hyper-parameters: state that does not
        /// read (damaged, or of other shapes) leaves the optimizer as it was.
        /// </summary>
        public void Commit(BinaryReader reader)
        {
            if (owner._inner is null) owner.LoadAdam(reader, source);
            else LoadSgd((OptimizerHelper)owner._inner, reader);
            var targets = owner.Hypers;
            for (int h = 0; h < targets.Length; h++) hypers[h].CopyTo(targets[h], 0);
        }

        /// <summary>Loads TorchSharp's SGD state (the tests find a damaged one refused with the state left as it was).</summary>
        private void LoadSgd(OptimizerHelper inner, BinaryReader reader)
        {
            owner.Apply();
            try
            {
                inner.load_state_dict(reader);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or EndOfStreamException or InvalidOperationException)
            {
                throw new DataBlocksException($"The optimizer state in '{source}' does not fit this learner: {e.Message}", e);
            }
        }
    }

    /// <summary>Reads Adam's per-parameter state: every entry is read and checked before the current state is replaced.</summary>
    private void LoadAdam(BinaryReader reader, string source)
    {
        var loaded = new List<(Parameter, AdamState)>();
        try
        {
            foreach (var group in _groups)
                foreach (var p in group)
                {
                    if (!StateDictIO.Guard(reader.ReadBoolean, source)) continue;
                    long step = StateDictIO.Guard(reader.ReadInt64, source);
                    using var scope = torch.NewDisposeScope();
                    var avg = StateDictIO.Guard(() => TensorExtensionMethods.Load(reader), source);
                    var sq = StateDictIO.Guard(() => TensorExtensionMethods.Load(reader), source);
                    if (!avg.shape.SequenceEqual(p.shape) || !sq.shape.SequenceEqual(p.shape))
                        throw new DataBlocksException(
                            $"The optimizer state in '{source}' is for a parameter of shape [{string.Join(", ", avg.shape)}], not [{string.Join(", ", p.shape)}].");
                    loaded.Add((p, new AdamState(step, avg.to(p.dtype, p.device).DetachFromDisposeScope(), sq.to(p.dtype, p.device).DetachFromDisposeScope())));
                }
        }
        catch
        {
            foreach (var (_, state) in loaded) state.Dispose();
            throw;
        }
        ClearAdam();
        foreach (var (p, state) in loaded) _adam[p] = state;
    }

    /// <summary>Disposes the optimizer state.</summary>
    public void Dispose()
    {
        _inner?.Dispose();
        ClearAdam();
    }

    private void ClearAdam()
    {
        foreach (var state in _adam.Values) state.Dispose();
        _adam.Clear();
    }

    /// <summary>The per-group hyper-parameters, in the order state files hold them.</summary>
    private double[][] Hypers => [_lr, _mom, _sqrMom, _wd, _eps];

    private static void Set(double[] target, IReadOnlyList<double> values, string what)
    {
        if (values.Count == 1) Array.Fill(target, values[0]);
        else if (values.Count == target.Length) for (int i = 0; i < target.Length; i++) target[i] = values[i];
        else throw new ArgumentException($"Trying to set {values.Count} {what}, but there are {target.Length} parameter groups.");
    }

    /// <summary>TorchSharp's SGD over our groups; Adam is ours (<see cref="AdamStep"/>) and needs no inner optimizer.</summary>
    private torch.optim.Optimizer? Build()
    {
        if (Settings.Kind == OptimizerKind.Adam) return null;
        // Each group split into decayed and undecayed parameters (the saved state's layout); decay itself is ours (Step).
        var logical = new List<int>();
        var torchGroups = new List<SGD.ParamGroup>();
        for (int g = 0; g < _groups.Count; g++)
            foreach (bool decay in new[] { true, false })
            {
                var ps = _groups[g].Where(p => decay != _noDecay.Contains(p)).ToArray();
                if (ps.Length == 0) continue;
                torchGroups.Add(new SGD.ParamGroup(ps, _lr[g], _mom[g], 0.0, 0.0, false, false));
                logical.Add(g);
            }
        _logicalOf = logical.ToArray();
        return torch.optim.SGD(torchGroups, _lr[0], Settings.Mom, 0.0, 0.0, false, false);
    }

    /// <summary>Pushes our per-group hyper-parameters into the TorchSharp groups.</summary>
    private void Apply()
    {
        if (_inner is null) return;
        int i = 0;
        foreach (var group in _inner.ParamGroups)
        {
            int g = _logicalOf[i];
            group.LearningRate = _lr[g];
            var sgd = (SGD.Options)((ParamGroup)group).Options;   // the inner optimizer is always SGD
            // fastai's SGD with mom=0 steps without momentum whatever a schedule sets (its momentum is unused).
            sgd.momentum = Settings.Mom == 0 ? 0.0 : _mom[g];
            sgd.weight_decay = 0.0;
            i++;
        }
    }
}
