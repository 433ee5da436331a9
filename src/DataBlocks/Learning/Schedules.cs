using System;
using System.Collections.Generic;
using System.Linq;

namespace DataBlocks.Learning;

/// <summary>
/// fastai's fit policies as extension methods that add a <see cref="ParamScheduler"/> for the fit: one-cycle, flat-cos,
/// SGDR and fine-tune. fastai: <c>callback/schedule.py</c>, which patches them onto <c>Learner</c>.
/// </summary>
public static class Schedules
{
    extension(Learner)
    {
        /// <summary>Epochs of an SGDR run: <c>cycleLen·(cycleMult^nCycles − 1)/(cycleMult − 1)</c>, or <c>cycleLen·nCycles</c> when the multiplier is 1.</summary>
        public static int SgdrEpochs(int nCycles, int cycleLen, int cycleMult) =>
            cycleMult == 1 ? cycleLen * nCycles : cycleLen * ((int)Math.Pow(cycleMult, nCycles) - 1) / (cycleMult - 1);
    }

    /// <summary>
    /// The 1cycle policy: per group, the learning rate rises along a cosine from <c>lrMax/div</c> to <c>lrMax</c> over the
    /// first <paramref name="pctStart"/> of training, then falls along a cosine to <c>lrMax/divFinal</c>; the momentum
    /// goes the opposite way through <paramref name="moms"/>. fastai: <c>fit_one_cycle(n_epoch, lr_max, div=25,
    /// div_final=1e5, pct_start=0.25, wd, moms=(0.95, 0.85, 0.95))</c>.
    /// </summary>
    public static IReadOnlyList<EpochResult> FitOneCycle(this Learner learn, int nEpoch, LR? lrMax = null, double div = 25, double divFinal = 1e5, double pctStart = 0.25,
        double? wd = null, (double Start, double Middle, double End)? moms = null, IEnumerable<Callback>? callbacks = null,
        bool resetOpt = false, int startEpoch = 0, bool resume = false)
    {
        var m = moms ?? learn.Options.Moms;
        return learn.FitScheduled(nEpoch, lrMax, wd, callbacks, resetOpt, startEpoch, resume,
            Checkpoints.Describe(nameof(FitOneCycle), nEpoch, lrMax, div, divFinal, pctStart, wd, m), peaks => new ParamScheduler(
            ParamScheduler.PerGroup(peaks, lr => Sched.CombinedCos(pctStart, lr / div, lr, lr / divFinal)),
            ParamScheduler.Same(Sched.CombinedCos(pctStart, m.Start, m.Middle, m.End))));
    }

    /// <summary>
    /// Flat then cosine: the learning rate stays at <paramref name="lr"/> for the first <paramref name="pctStart"/> of
    /// training, then anneals along a cosine to <c>lr/divFinal</c>; momentum is not scheduled. fastai: <c>fit_flat_cos</c>.
    /// </summary>
    public static IReadOnlyList<EpochResult> FitFlatCos(this Learner learn, int nEpoch, LR? lr = null, double divFinal = 1e5, double pctStart = 0.75, double? wd = null,
        IEnumerable<Callback>? callbacks = null, bool resetOpt = false, int startEpoch = 0, bool resume = false) =>
        learn.FitScheduled(nEpoch, lr, wd, callbacks, resetOpt, startEpoch, resume, Checkpoints.Describe(nameof(FitFlatCos), nEpoch, lr, divFinal, pctStart, wd),
            peaks => new ParamScheduler(
            ParamScheduler.PerGroup(peaks, l => Sched.Combine([pctStart, 1 - pctStart], [Sched.Cos(l, l), Sched.Cos(l, l / divFinal)]))));

    /// <summary>
    /// SGDR: <paramref name="nCycles"/> cycles of cosine annealing from <paramref name="lrMax"/> to 0, restarting at
    /// <paramref name="lrMax"/>; cycle <c>i</c> lasts <c>cycleLen·cycleMult^i</c> epochs (3 cycles of 1 with mult 2 = 1+2+4 =
    /// 7 epochs). Momentum is not scheduled. fastai: <c>fit_sgdr(n_cycles, cycle_len, lr_max, cycle_mult=2)</c>.
    /// </summary>
    public static IReadOnlyList<EpochResult> FitSgdr(this Learner learn, int nCycles, int cycleLen, LR? lrMax = null, int cycleMult = 2, double? wd = null,
        IEnumerable<Callback>? callbacks = null, bool resetOpt = false, int startEpoch = 0, bool resume = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nCycles, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cycleLen, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cycleMult, 1);
        int nEpoch = Learner.SgdrEpochs(nCycles, cycleLen, cycleMult);
        double[] pcts = Enumerable.Range(0, nCycles).Select(i => cycleLen * Math.Pow(cycleMult, i) / nEpoch).ToArray();
        return learn.FitScheduled(nEpoch, lrMax, wd, callbacks, resetOpt, startEpoch, resume,
            Checkpoints.Describe(nameof(FitSgdr), nEpoch, nCycles, cycleLen, lrMax, cycleMult, wd), peaks => new ParamScheduler(
            ParamScheduler.PerGroup(peaks, l => Sched.Combine(pcts, pcts.Select(_ => Sched.Cos(l, 0)).ToArray()))));
    }

    /// <summary>
    /// Transfer learning the fastai way: <see cref="Freezing.Freeze"/>, one-cycle for <paramref name="freezeEpochs"/> at
    /// <c>slice(baseLr)</c> with <c>pctStart 0.99</c>; then halve <paramref name="baseLr"/>, <see cref="Freezing.Unfreeze"/>, and
    /// one-cycle for <paramref name="epochs"/> at <c>slice(baseLr/lrMult, baseLr)</c> with <paramref name="pctStart"/> and
    /// <paramref name="div"/>. With <paramref name="resume"/> it continues from the checkpoint of whichever phase was running
    /// (it is two fits, each with its own checkpoint). fastai: <c>fine_tune(epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5)</c>.
    /// </summary>
    public static IReadOnlyList<EpochResult> FineTune(this Learner learn, int epochs, double baseLr = 2e-3, int freezeEpochs = 1, double lrMult = 100, double pctStart = 0.3,
        double div = 5.0, double divFinal = 1e5, double? wd = null, (double, double, double)? moms = null, IEnumerable<Callback>? callbacks = null,
        bool resume = false)
    {
        var rows = new List<EpochResult>();
        var cbs = callbacks?.ToArray();
        var m = moms ?? learn.Options.Moms;
        double unfrozenLr = baseLr / 2;
        var second = LR.Slice(unfrozenLr / lrMult, unfrozenLr);
        // Two numbered fits: with resume, a finished first phase is restored from its final checkpoint and the second
        // continues from its own.
        learn.Freeze();
        if (freezeEpochs > 0)
            rows.AddRange(learn.FitOneCycle(freezeEpochs, LR.Slice(baseLr), pctStart: 0.99, divFinal: divFinal, wd: wd, moms: m, callbacks: cbs,
                resume: resume));
        learn.Unfreeze();
        rows.AddRange(learn.FitOneCycle(epochs, second, div: div, divFinal: divFinal, pctStart: pctStart, wd: wd, moms: m, callbacks: cbs,
            resume: resume));
        return rows;
    }

    /// <summary>
    /// Runs a numbered fit whose learning rates are scheduled around the per-group peaks of <paramref name="lr"/>: the
    /// scheduler callback made by <paramref name="scheduler"/> is added for the fit.
    /// </summary>
    internal static IReadOnlyList<EpochResult> FitScheduled(this Learner learn, int nEpoch, LR? lr, double? wd, IEnumerable<Callback>? callbacks,
        bool resetOpt, int startEpoch, bool resume, string description, Func<double[], Callback> scheduler) =>
        Checkpoints.Run(learn, description, resume, (at, extra) =>
        {
            if ((resetOpt && at is null) || learn.Optimizer is null) learn.CreateOptimizer();
            double[] peaks = (lr ?? learn.Options.Lr).Expand(learn.Optimizer!.GroupCount);
            return learn.RunFit(nEpoch, peaks, wd, [scheduler(peaks), .. callbacks ?? [], .. extra], resetOpt: false, at ?? startEpoch);
        });
}
