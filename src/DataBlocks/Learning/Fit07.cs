using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using TorchSharp;
using DataLoader = DataBlocks.Data.DataLoader;

namespace DataBlocks.Learning;

/// <summary>fastai 0.7's <c>fit</c> with cycles (SGDR with warm-up) and the snapshot ensemble of its cycle saves.</summary>
public static class Fit07
{
    private static readonly ConditionalWeakTable<Learner, IReadOnlyList<string>> Snapshots = new();

    /// <summary>
    /// fastai 0.7's <c>learn.fit(lrs, n_cycle, cycle_len=None, cycle_mult=1, cycle_save_name=None)</c>. Without
    /// <paramref name="cycleLen"/>: <paramref name="nCycle"/> epochs at constant rates. With it: SGDR as 0.7 did it — a
    /// warm-up at <c>lr/100</c> for the first 1/20 of the first cycle, then per cycle a cosine from each group's rate down
    /// to 0, restarting each cycle; cycle <c>k</c> lasts <c>cycleLen·cycleMult^k</c> epochs (3 cycles, length 1, mult 2 =
    /// 1+2+4 epochs). With <paramref name="cycleSaveName"/> the weights are saved at the end of every cycle as
    /// <c>{name}_cyc_{k}</c>, for a snapshot ensemble (<see cref="GetEnsemblePreds"/>). <paramref name="resume"/> continues from
    /// this fit's checkpoint (<see cref="LearnerOptions.Checkpoint"/>), as the other fits do.
    /// </summary>
    /// <remarks>0.7 trained with SGD and momentum 0.9 (<see cref="OptimizerSettings.SgdMomentum"/>); this uses the learner's optimizer.</remarks>
    /// <returns>The rows of the epoch table.</returns>
    public static IReadOnlyList<EpochResult> Fit(this Learner learn, LR lrs, int nCycle, int? cycleLen, int cycleMult = 1, string? cycleSaveName = null,
        double? wd = null, IEnumerable<Callback>? callbacks = null, bool resume = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nCycle, 1);
        if (cycleLen is null)
            return Checkpoints.Run(learn, Checkpoints.Describe("Fit07", nCycle, lrs, wd), resume, (at, extra) =>
                learn.RunFit(nCycle, lrs, wd, [.. callbacks ?? [], .. extra], resetOpt: false, at ?? 0));
        ArgumentOutOfRangeException.ThrowIfLessThan(cycleLen.Value, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cycleMult, 1);
        int nEpoch = Learner.SgdrEpochs(nCycle, cycleLen.Value, cycleMult);
        CosAnnealCallback? anneal = null;
        var rows = learn.FitScheduled(nEpoch, lrs, wd, callbacks, resetOpt: false, 0, resume,
            Checkpoints.Describe("Fit07", nEpoch, lrs, nCycle, cycleLen, cycleMult, cycleSaveName, wd),
            initial => anneal = new CosAnnealCallback(initial, learn.Dls.Train.Count * cycleLen.Value, cycleMult, cycleSaveName));
        Snapshots.AddOrUpdate(learn, anneal!.Saved.ToArray());
        return rows;
    }

    extension(Learner learn)
    {
        /// <summary>The weight files saved at the end of each cycle by the last <c>Fit(..., cycleSaveName)</c>.</summary>
        public IReadOnlyList<string> CycleSnapshots => Snapshots.TryGetValue(learn, out var names) ? names : [];
    }

    /// <summary>
    /// A snapshot ensemble: the activated predictions of each saved model (default: the last fit's cycle snapshots) on
    /// <paramref name="loader"/>, averaged, with the targets. The learner's own weights are restored afterwards. The caller
    /// disposes both tensors. fastai 0.7: averaging the predictions of the <c>cycle_save_name</c> models.
    /// </summary>
    /// <exception cref="ArgumentException">No models to ensemble.</exception>
    public static (torch.Tensor Predictions, torch.Tensor? Targets) GetEnsemblePreds(this Learner learn, IEnumerable<string>? savedNames = null, DataLoader? loader = null)
    {
        var names = (savedNames ?? learn.CycleSnapshots).ToArray();
        if (names.Length == 0) throw new ArgumentException("There are no saved models to ensemble; fit with a cycleSaveName first.", nameof(savedNames));
        var current = learn.Snapshot();
        torch.Tensor? sum = null;
        torch.Tensor? targets = null;
        try
        {
            foreach (string name in names)
            {
                learn.Load(name, withOpt: false);
                var (preds, t) = learn.GetPreds(loader);
                if (sum is null) sum = preds;
                else
                {
                    sum.add_(preds);
                    preds.Dispose();
                }
                if (targets is null) targets = t;
                else t?.Dispose();
            }
        }
        finally
        {
            current.Restore();
        }
        sum!.div_(names.Length);
        return (sum, targets);
    }
}

/// <summary>
/// fastai 0.7's <c>CosAnneal</c> schedule (SGDR), with its warm-up and cycle snapshots. Order 60.
/// </summary>
internal sealed class CosAnnealCallback(double[] initial, int cycleBatches, int cycleMult, string? saveName) : Callback
{
    private int _ci, _nb, _cycle;

    public List<string> Saved { get; } = [];

    public override int Order => 60;

    public override bool RunOnValid => false;

    public override void BeforeFit()
    {
        _ci = 0;
        _nb = cycleBatches;
        _cycle = 0;
        Saved.Clear();
    }

    public override void BeforeBatch()
    {
        // Training batches only (RunOnValid is false). The first 1/20 of the first cycle warms up at lr/100; then a cosine from each group's rate to 0 over the cycle.
        // Learner.TrainIter counts this fit's training batches (resumed with the epoch).
        double factor = Learner.TrainIter < cycleBatches / 20.0 ? 0.01 : (1 + Math.Cos(Math.PI * _ci / _nb)) / 2;
        Learner.Optimizer!.SetLr(initial.Select(lr => lr * factor).ToArray());
    }

    public override void AfterBatch()
    {
        if (++_ci < _nb) return;
        _ci = 0;
        _nb *= cycleMult;
        if (saveName is not null)
        {
            string name = $"{saveName}_cyc_{_cycle}";
            Learner.Save(name, withOpt: false);
            Saved.Add(name);
        }
        _cycle++;
    }

    protected internal override void WriteState(System.IO.BinaryWriter writer)
    {
        foreach (int v in new[] { _ci, _nb, _cycle }) writer.Write(v);
        writer.Write(Saved.Count);
        foreach (string name in Saved) writer.Write(name);
    }

    protected internal override void ReadState(System.IO.BinaryReader reader)
    {
        _ci = reader.ReadInt32();
        _nb = reader.ReadInt32();
        _cycle = reader.ReadInt32();
        Saved.Clear();
        int n = reader.ReadInt32();
        for (int i = 0; i < n; i++) Saved.Add(reader.ReadString());
    }
}
