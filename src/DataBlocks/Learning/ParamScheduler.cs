using System;
using System.Collections.Generic;
using System.Linq;

namespace DataBlocks.Learning;

/// <summary>A schedule for every parameter group: progress in [0, 1] → one value per group.</summary>
public delegate double[] GroupSchedule(double pos);

/// <summary>
/// Sets hyper-parameters before every training batch from schedules of the training progress
/// (<see cref="Learner.PctTrain"/>); validation batches do not move them. Order 60. fastai: <c>ParamScheduler</c>.
/// </summary>
public class ParamScheduler : Callback
{
    /// <summary>Schedules the learning rate and, optionally, the momentum.</summary>
    public ParamScheduler(GroupSchedule lr, GroupSchedule? mom = null)
    {
        LrSchedule = lr;
        MomSchedule = mom;
    }

    /// <summary>The learning-rate schedule.</summary>
    public GroupSchedule LrSchedule { get; }

    /// <summary>The momentum schedule, if any (fastai schedules momentum in one-cycle only).</summary>
    public GroupSchedule? MomSchedule { get; }

    /// <inheritdoc />
    public override int Order => 60;

    /// <inheritdoc />
    public override bool RunOnValid => false;

    /// <summary>The position the schedules are read at: the fit's training progress.</summary>
    protected virtual double Position => Learner.PctTrain;

    /// <inheritdoc />
    public override void BeforeBatch()
    {
        if (Learner.Optimizer is not { } opt) return;   // training batches only: RunOnValid is false
        double pos = Position;
        opt.SetLr(LrSchedule(pos));
        if (MomSchedule is not null) opt.SetMom(MomSchedule(pos));
    }

    /// <summary>The same schedule shape for every group, scaled per group: <paramref name="make"/> receives a group's base value.</summary>
    public static GroupSchedule PerGroup(IReadOnlyList<double> baseValues, Func<double, Schedule> make)
    {
        var schedules = baseValues.Select(make).ToArray();
        return pos => schedules.Select(s => s(pos)).ToArray();
    }

    /// <summary>One schedule for every group.</summary>
    public static GroupSchedule Same(Schedule schedule) => pos => [schedule(pos)];
}
