using System;
using System.Collections.Generic;
using System.Linq;
using DataBlocks.Data;
using DataBlocks.Layers;
using DataBlocks.Learning;
using DataBlocks.Losses;
using DataBlocks.Metrics;
using DataBlocks.Vision.Models;
using TorchSharp;
using TorchSharp.Modules;

namespace DataBlocks.Vision;

/// <summary>
/// Builds a learner for images from an architecture: its body (the model cut where <see cref="VisionArchitecture.Cut"/>
/// says) and fastai's head (<see cref="Head.Create"/>), split into the architecture's layer groups, frozen but for the
/// head when the weights are pretrained, with the weights' normalisation added to the loaders. fastai:
/// <c>vision_learner</c> (formerly <c>cnn_learner</c>).
/// </summary>
public static class VisionLearner
{
    /// <summary>
    /// Creates the learner. The model is <c>Sequential("0": body, "1": head)</c> (<see cref="CreateModel"/>); its layer
    /// groups are the architecture's (<see cref="VisionArchitecture.Split"/>: resnets conv1…layer2 | layer3…layer4 | head)
    /// unless <paramref name="options"/> has a splitter. With <paramref name="pretrained"/> weights:
    /// <list type="bullet">
    /// <item>the loaders get the weights' normalisation (<see cref="VisionArchitecture.Stats"/>) in their batch transforms
    /// when <paramref name="normalize"/> and they have no <see cref="Normalize"/> yet (never a second one); without
    /// pretrained weights nothing is added, as fastai;</item>
    /// <item>the learner is frozen (<see cref="Freezing.Freeze"/>): only the head trains, and the body's batch norms, which
    /// keep training and updating their statistics (<see cref="OptimizerSettings.TrainBn"/>, fastai's <c>train_bn</c>).
    /// <c>FineTune</c> trains the head first, then everything.</item>
    /// </list>
    /// </summary>
    /// <param name="dls">Loaders whose one input is an image.</param>
    /// <param name="arch">The architecture (<see cref="VisionArchitecture.CntkResNet18"/> has ImageNet weights; torchvision's resnets none yet).</param>
    /// <param name="pretrained">Start from the architecture's pretrained weights (fastai's default).</param>
    /// <param name="metrics">Validation metrics.</param>
    /// <param name="loss">The loss; null = the one the target implies.</param>
    /// <param name="head">How the head is built; null = fastai's head.</param>
    /// <param name="nOut">The number of outputs; null = the target's (<see cref="DataLoaders.C"/>).</param>
    /// <param name="normalize">Add the pretrained weights' normalisation to the loaders when they have none.</param>
    /// <param name="options">Learner options (learning rate, optimizer, <c>TrainBn</c>, a splitter of your own, output).</param>
    /// <param name="precision">
    /// Precision and memory layout (<see cref="VisionPrecision.Auto"/>: on a CPU channels-last strides, with bf16 where the
    /// CPU has native bf16; on a GPU fp32). The choice is written to <see cref="LearnerOptions.Output"/> when it is not fp32.
    /// </param>
    /// <exception cref="DataBlocksException">
    /// The input is not one image, the number of outputs cannot be inferred, or <paramref name="pretrained"/> with an
    /// architecture that has no pretrained weights (the message says where weights can come from).
    /// </exception>
    /// <exception cref="InvalidOperationException"><paramref name="pretrained"/> with a splitter of one layer group: there is nothing to freeze apart.</exception>
    public static Learner Create(DataLoaders dls, VisionArchitecture arch, bool pretrained = true, IEnumerable<IMetric>? metrics = null,
        ILossFunction? loss = null, HeadOptions? head = null, int? nOut = null, bool normalize = true, LearnerOptions? options = null,
        VisionPrecision precision = VisionPrecision.Auto)
    {
        ArgumentNullException.ThrowIfNull(dls);
        ArgumentNullException.ThrowIfNull(arch);
        string name = dls.Datasets.Name;
        var inputs = dls.Codecs.Take(dls.NInputs).ToArray();
        if (inputs.Length != 1 || inputs[0].Kind != FieldKind.Image)
            throw new DataBlocksException(
                $"{name}: a vision learner takes one image input, but the inputs are {string.Join(", ", inputs.Select(c => $"{c.Field.Name} ({c.Kind})"))}.");
        int outputs = nOut ?? dls.C;
        if (outputs < 1)
            throw new DataBlocksException(
                $"{name}: the number of outputs could not be inferred from the target ({dls.Target?.Field.Name ?? "none"}); pass nOut.");

        var model = CreateModel(arch, outputs, pretrained, head);
        Learner learn;
        try
        {
            var o = options ?? new LearnerOptions();
            learn = new Learner(dls, model, loss, metrics, o with { Splitter = o.Splitter ?? arch.Split });
        }
        catch
        {
            model.Dispose();
            throw;
        }
        try
        {
            SetPrecision(learn, precision);
            if (!pretrained) return learn;
            learn.Freeze();   // before the loaders change: a splitter of one group fails here and leaves them as they were
        }
        catch
        {
            learn.Dispose();
            throw;
        }
        if (normalize) AddNormalize(dls, arch.Stats, InChannels(model));
        return learn;
    }

    /// <summary>
    /// The model of a vision learner: <c>Sequential("0": body, "1": head)</c>. The body is the architecture's model (with
    /// its pretrained weights, or fresh ones) cut at <see cref="VisionArchitecture.Cut"/>, its modules under their own
    /// names (state-dict keys <c>0.conv1.weight</c>, <c>0.layer4.1.bn2.running_var</c>, …, as fastai's); the model's later
    /// children (pooling, classifier) are dropped. The head is <see cref="Head.Create"/> for the body's output channels,
    /// found by running the body once on a dummy batch as fastai does, with <see cref="Init.Apply"/>'s Kaiming normal on
    /// its linear layers. fastai: <c>create_vision_model</c> (<c>create_body</c>, <c>num_features_model</c>,
    /// <c>add_head</c> with <c>apply_init(model[1], kaiming_normal_)</c>).
    /// </summary>
    /// <exception cref="DataBlocksException"><paramref name="pretrained"/> and the architecture has no pretrained weights.</exception>
    public static Sequential CreateModel(VisionArchitecture arch, int nOut, bool pretrained = true, HeadOptions? head = null)
    {
        ArgumentNullException.ThrowIfNull(arch);
        ArgumentOutOfRangeException.ThrowIfLessThan(nOut, 1);
        var whole = pretrained ? arch.CreatePretrained() : arch.Create();
        Sequential body;
        try
        {
            body = arch.Body(whole);
            // The pooling and classifier after the cut are not used: free them now. (The body shares the other children.)
            foreach (var (_, tail) in whole.named_children().Skip(arch.Cut)) tail.Dispose();
        }
        catch
        {
            whole.Dispose();
            throw;
        }
        try
        {
            var top = Head.Create(NumFeatures(body), nOut, head);
            Init.Apply(top);
            return torch.nn.Sequential(("0", (torch.nn.Module<torch.Tensor, torch.Tensor>)body), ("1", top));
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    /// <summary>Applies <paramref name="precision"/> (see <see cref="VisionPrecision"/>) and says what it chose.</summary>
    internal static void SetPrecision(Learner learn, VisionPrecision precision)
    {
        if (precision == VisionPrecision.Auto)
            precision = learn.Dls.Device.type != DeviceType.CPU ? VisionPrecision.Fp32
                : Devices.CpuHasBf16 ? VisionPrecision.Bf16ChannelsLast : VisionPrecision.Fp32ChannelsLast;
        if (precision == VisionPrecision.Fp32) return;
        learn.ToChannelsLast();
        if (precision == VisionPrecision.Bf16ChannelsLast) learn.ToBf16();
        learn.Options.Output?.WriteLine(precision == VisionPrecision.Bf16ChannelsLast
            ? "Training in bf16 (fp32 master weights) with channels-last strides."
            : "Training in fp32 with channels-last strides.");
    }

    /// <summary>
    /// Adds <paramref name="stats"/> to the loaders' batch transforms unless their training loader has a
    /// <see cref="Normalize"/> already, or the statistics are not for <paramref name="channels"/> channels. fastai: <c>_add_norm</c>.
    /// </summary>
    /// <returns>Whether it was added.</returns>
    internal static bool AddNormalize(DataLoaders dls, Normalize stats, long channels)
    {
        if (stats.Mean.Length != channels || dls.Train.BatchTransforms.Any(t => t is Normalize)) return false;
        dls.AddBatchTransforms(stats);
        return true;
    }

    /// <summary>
    /// The channels the body puts out, from one forward pass in evaluation mode without gradients on a dummy batch of one
    /// image, uniform in [−1, 1], 32×32 first and doubled up to 2048 while the body refuses the size. fastai:
    /// <c>num_features_model</c> (<c>model_sizes</c> on <c>dummy_eval</c>).
    /// </summary>
    private static long NumFeatures(Sequential body)
    {
        bool training = body.training;
        long channels = InChannels(body);
        try
        {
            for (long size = 32; ; size *= 2)
            {
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                body.eval();
                try
                {
                    return body.call(torch.rand(1, channels, size, size) * 2 - 1).shape[1];
                }
                catch (Exception) when (size < 2048)
                {
                    // Too small for this body (fastai tries the next size the same way).
                }
            }
        }
        finally
        {
            body.train(training);
        }
    }

    /// <summary>The input channels of the first convolution (3 when there is none). fastai: <c>in_channels</c>.</summary>
    private static long InChannels(torch.nn.Module model) => model.parameters().FirstOrDefault(p => p.dim() == 4)?.shape[1] ?? 3;
}
