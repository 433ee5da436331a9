namespace DataBlocks.Learning;

/// <summary>Which optimizer a learner uses.</summary>
public enum OptimizerKind
{
    /// <summary>fastai's Adam: decoupled weight decay, β = (mom, sqrMom), ε added after the square root (TorchSharp's AdamW).</summary>
    Adam,

    /// <summary>SGD with (optional) momentum and decoupled weight decay. fastai: <c>SGD(mom=0., wd=0.)</c>; fastai 0.7 trained with momentum 0.9.</summary>
    Sgd,
}

/// <summary>
/// Optimizer hyper-parameters. Defaults are fastai's Adam: <c>mom 0.9, sqr_mom 0.99, eps 1e-5, wd 0.01</c>.
/// fastai: <c>opt_func=Adam</c> / <c>SGD</c>.
/// </summary>
public sealed record OptimizerSettings
{
    /// <summary>fastai's Adam with its defaults.</summary>
    public static OptimizerSettings Adam { get; } = new();

    /// <summary>SGD with momentum 0.9 and no weight decay (fastai 0.7's default optimizer).</summary>
    public static OptimizerSettings SgdMomentum { get; } = new() { Kind = OptimizerKind.Sgd, Mom = 0.9, Wd = 0.0 };

    /// <summary>The algorithm.</summary>
    public OptimizerKind Kind { get; init; } = OptimizerKind.Adam;

    /// <summary>Momentum: Adam's β1, or SGD's momentum (0 = plain SGD; a momentum schedule then has no effect, as in fastai).</summary>
    public double Mom { get; init; } = 0.9;

    /// <summary>Adam's β2 (fastai: <c>sqr_mom</c>).</summary>
    public double SqrMom { get; init; } = 0.99;

    /// <summary>Adam's ε, added after the square root.</summary>
    public double Eps { get; init; } = 1e-5;

    /// <summary>Decoupled weight decay (<c>p ← p·(1 − lr·wd)</c> before the step).</summary>
    public double Wd { get; init; } = 0.01;

    /// <summary>Also decay biases and normalisation-layer parameters (fastai: <c>wd_bn_bias</c>, default false).</summary>
    public bool WdBnBias { get; init; }

    /// <summary>Keep normalisation layers trainable in frozen groups (fastai: <c>train_bn</c>, default true).</summary>
    public bool TrainBn { get; init; } = true;
}
