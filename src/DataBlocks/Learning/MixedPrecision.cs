using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;

namespace DataBlocks.Learning;

/// <summary>
/// Mixed-precision training the way fastai v1 did it (now fastai's <c>NonNativeMixedPrecision</c>): the model runs in
/// half precision (bf16 or fp16) except its normalisation layers, the optimizer steps fp32 master copies of the weights,
/// and the loss is multiplied by a scale before backward so small fp16 gradients do not vanish. With dynamic scaling, a
/// step whose gradients overflow is skipped and the scale halved; after <see cref="ScaleWait"/> good steps it doubles.
/// TorchSharp has no autocast, so this is not PyTorch AMP: every layer but normalisation computes in half precision.
/// Added by <see cref="MixedPrecisionExtensions.ToBf16"/> / <see cref="MixedPrecisionExtensions.ToFp16"/>, which convert the
/// model at once; the callback owns the masters and the loss scale, hands the masters to every optimizer the learner
/// creates, and stands them in for the model's weights when the learner saves or loads. Order 10.
/// </summary>
public sealed class MixedPrecision : Callback, IDisposable
{
    private readonly Dictionary<Parameter, Parameter> _master = new(ReferenceEqualityComparer.Instance);
    private (Parameter Model, Parameter Master)[] _pairs = [];
    private int _goodSteps;

    /// <summary>Creates the callback (use <see cref="MixedPrecisionExtensions.ToBf16"/> or <see cref="MixedPrecisionExtensions.ToFp16"/>).</summary>
    public MixedPrecision(torch.ScalarType dtype, bool dynamic = true, double initialScale = 65536, double maxScale = 16777216,
        double divFactor = 2, int scaleWait = 500)
    {
        if (dtype is not (torch.ScalarType.BFloat16 or torch.ScalarType.Float16))
            throw new ArgumentException("Mixed precision trains in bfloat16 or float16.", nameof(dtype));
        DType = dtype;
        Dynamic = dynamic;
        LossScale = initialScale;
        MaxScale = maxScale;
        DivFactor = divFactor;
        ScaleWait = scaleWait;
    }

    /// <summary>The model's compute type.</summary>
    public torch.ScalarType DType { get; }

    /// <summary>Whether the loss scale adapts to overflows.</summary>
    public bool Dynamic { get; }

    /// <summary>The current loss scale.</summary>
    public double LossScale { get; private set; }

    /// <summary>The largest loss scale.</summary>
    public double MaxScale { get; }

    /// <summary>What the scale is divided by after an overflow.</summary>
    public double DivFactor { get; }

    /// <summary>Overflow-free steps before the scale doubles.</summary>
    public int ScaleWait { get; }

    /// <summary>Steps skipped because their gradients overflowed.</summary>
    public int SkippedSteps { get; private set; }

    /// <inheritdoc />
    public override int Order => 10;

    /// <summary>The fp32 master of a model parameter.</summary>
    public Parameter MasterOf(Parameter modelParameter) => _master[modelParameter];

    /// <summary>Converts the model to half precision (normalisation layers stay fp32) and makes the fp32 masters.</summary>
    internal void Enable(Learner learner)
    {
        Learner = learner;
        // Converting a module's dtype replaces its Parameter objects: pair model and master parameters afterwards, by name.
        learner.Model.to(DType);
        foreach (var (_, module) in learner.Model.named_modules())
            if (ModelParameters.IsNorm(module)) module.to(torch.float32);
        var pairs = new List<(Parameter, Parameter)>();
        foreach (var (_, p) in learner.Model.named_parameters())
        {
            var master = NewMaster(p);
            _master[p] = master;
            pairs.Add((p, master));
        }
        _pairs = pairs.ToArray();
    }

    /// <summary>An fp32 copy of a parameter that outlives any dispose scope, with every intermediate freed.</summary>
    private static Parameter NewMaster(Parameter p)
    {
        using var detached = p.detach();
        using var fp32 = detached.to(torch.float32);
        var master = new Parameter(fp32.clone(), requires_grad: p.requires_grad);
        master.DetachFromDisposeScope();
        return master;
    }

    /// <summary>Puts the master weights back into an fp32 model (whose parameters are new objects after the conversion).</summary>
    internal void Disable()
    {
        var names = Learner.Model.named_parameters().Select(p => p.name).ToArray();
        Learner.Model.to(torch.float32);
        var converted = Learner.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (torch.no_grad())
            for (int i = 0; i < _pairs.Length; i++) converted[names[i]].copy_(_pairs[i].Master);
        Dispose();
    }

    /// <summary>Frees the master weights (when the learner is disposed, or after <see cref="Disable"/>).</summary>
    public void Dispose()
    {
        foreach (var (_, master) in _pairs) master.Dispose();
        _master.Clear();
        _pairs = [];
    }

    /// <inheritdoc />
    /// <remarks>The optimizer steps the fp32 masters of the model's parameters.</remarks>
    public override void AfterCreateOpt() => Learner.Optimizer!.ReplaceParameters(MasterOf);

    /// <inheritdoc />
    /// <remarks>The fp32 masters stand in for the half-precision parameters, so files hold fp32 weights whatever the precision.</remarks>
    public override void ModelStateTensors(IDictionary<string, torch.Tensor> tensors)
    {
        foreach (var (name, p) in Learner.Model.named_parameters()) tensors[name] = _master[p];
    }

    /// <inheritdoc />
    /// <remarks>Loaded weights went into the masters: the model gets them, rounded to its half type.</remarks>
    public override void AfterModelStateLoaded() => SyncModelFromMasters();

    private void SyncModelFromMasters()
    {
        using var noGrad = torch.no_grad();
        foreach (var (model, master) in _pairs) model.copy_(master);
    }

    /// <inheritdoc />
    protected internal override void WriteState(System.IO.BinaryWriter writer)
    {
        writer.Write(LossScale);
        writer.Write(_goodSteps);
        writer.Write(SkippedSteps);
    }

    /// <inheritdoc />
    protected internal override void ReadState(System.IO.BinaryReader reader)
    {
        LossScale = reader.ReadDouble();
        _goodSteps = reader.ReadInt32();
        SkippedSteps = reader.ReadInt32();
    }

    /// <inheritdoc />
    /// <remarks>Casts the batch's floating-point inputs to the model's half type.</remarks>
    public override void BeforeBatch()
    {
        var batch = Learner.Batch!;
        for (int i = 0; i < batch.NInputs; i++)
            if (batch.Fields[i].is_floating_point() && batch.Fields[i].dtype != DType)
                batch.Replace(i, batch.Fields[i].to(DType));
    }

    /// <inheritdoc />
    public override void AfterPred() => Learner.Pred = Learner.Pred!.to(torch.float32);

    /// <inheritdoc />
    public override void AfterLoss()
    {
        if (Learner.Training) Learner.LossGrad = Learner.LossGrad!.mul(LossScale);
    }

    /// <inheritdoc />
    public override void AfterBackward()
    {
        var finite = new List<torch.Tensor>(Dynamic ? _pairs.Length : 0);
        foreach (var (model, master) in _pairs)
        {
            using var grad = model.grad;
            if (grad is null)
            {
                master.grad = null;
                continue;
            }
            // Not in place: a norm layer's gradient is already fp32, so .to returns the model's own gradient tensor.
            var g = grad.to(torch.float32).div(LossScale);
            if (Dynamic) finite.Add(g.isfinite().all());
            master.grad = g;
        }
        // One device sync for the whole model, not one per parameter (the flags live in the batch's dispose scope).
        if (finite.Count == 0 || torch.stack(finite).all().item<bool>()) return;
        LossScale /= DivFactor;
        _goodSteps = 0;
        SkippedSteps++;
        Learner.Model.zero_grad();
        foreach (var (_, master) in _pairs) master.grad = null;
        throw new CancelBatchException();   // skip this step; the weights are untouched
    }

    /// <inheritdoc />
    public override void AfterStep()
    {
        SyncModelFromMasters();
        Learner.Model.zero_grad();
        if (Dynamic && ++_goodSteps >= ScaleWait)
        {
            LossScale = Math.Min(LossScale * 2, MaxScale);
            _goodSteps = 0;
        }
    }
}

/// <summary>Mixed precision on a learner: <c>ToBf16</c>, <c>ToFp16</c>, <c>ToFp32</c>. fastai: <c>to_fp16</c>, <c>to_bf16</c>, <c>to_fp32</c>.</summary>
public static class MixedPrecisionExtensions
{
    extension(Learner learn)
    {
        /// <summary>The mixed-precision callback when training in bf16/fp16, else null.</summary>
        public MixedPrecision? MixedPrecision => learn.Callbacks.OfType<MixedPrecision>().FirstOrDefault();
    }

    /// <summary>
    /// Trains in bfloat16 with fp32 master weights (runs on the CPU and on GPUs). See <see cref="Learning.MixedPrecision"/>.
    /// fastai: <c>to_bf16()</c> (here without autocast: the way fastai v1's <c>to_fp16</c> worked).
    /// </summary>
    public static Learner ToBf16(this Learner learn, bool dynamic = true, double initialScale = 1) =>
        learn.ToHalf(new MixedPrecision(torch.ScalarType.BFloat16, dynamic, initialScale));

    /// <summary>
    /// Trains in float16 with fp32 master weights and dynamic loss scaling (meant for CUDA). See
    /// <see cref="Learning.MixedPrecision"/>. fastai: <c>to_fp16()</c> / <c>to_non_native_fp16()</c>.
    /// </summary>
    public static Learner ToFp16(this Learner learn, bool dynamic = true, double initialScale = 65536) =>
        learn.ToHalf(new MixedPrecision(torch.ScalarType.Float16, dynamic, initialScale));

    /// <summary>
    /// Back to full precision: the fp32 master weights go back into the model. The optimizer keeps its state and
    /// hyper-parameters. fastai: <c>to_fp32()</c>.
    /// </summary>
    public static Learner ToFp32(this Learner learn)
    {
        if (learn.MixedPrecision is not { } mixed) return learn;
        learn.ReplaceParameters(() =>
        {
            mixed.Disable();
            learn.RemoveCallback(mixed);
        });
        return learn;
    }

    /// <summary>
    /// Makes a change that replaces the model's <see cref="Parameter"/> objects (the dtype conversion), working the layer
    /// groups out again and carrying the optimizer's state and hyper-parameters over to an optimizer of the new parameters.
    /// </summary>
    internal static void ReplaceParameters(this Learner learn, Action change)
    {
        using var state = learn.Optimizer?.SaveToMemory();
        change();
        learn.ResetLayerGroups();
        if (state is null) return;
        learn.CreateOptimizer().LoadFromMemory(state, "the optimizer state before the precision change");
    }

    private static Learner ToHalf(this Learner learn, MixedPrecision mixed)
    {
        learn.ToFp32();
        learn.ReplaceParameters(() =>
        {
            mixed.Enable(learn);
            learn.AddCallback(mixed);
        });
        return learn;
    }
}
