using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DataBlocks.Serialization;
using TorchSharp;
using TorchSharp.Modules;

namespace DataBlocks.Vision.Models;

/// <summary>
/// An image model and what fastai knows about it: how to build it, where its body ends (<see cref="Cut"/>), how the body
/// and a head split into layer groups (<see cref="Split"/>), and the normalisation its weights expect (<see cref="Stats"/>).
/// The built-in architectures are <see cref="ResNet18"/>, <see cref="ResNet34"/>, <see cref="ResNet50"/> (torchvision's
/// layout and parameter names, from the TorchVision package; given PyTorch weight files with <see cref="WithWeights"/>) and
/// <see cref="CntkResNet18"/> (an ImageNet-trained network whose weights come as ONNX in a NuGet package:
/// <see cref="CreatePretrained"/>). Any other model is described with the constructor, and given pretrained weights with
/// <see cref="WithPretrained"/> or <see cref="WithWeights"/>.
/// </summary>
/// <remarks>fastai: <c>model_meta[arch]</c> (<c>cut</c>, <c>split</c>, <c>stats</c>) and <c>create_body</c>.</remarks>
public sealed class VisionArchitecture
{
    private readonly Func<torch.nn.Module<torch.Tensor, torch.Tensor>> _create;
    private readonly Func<torch.nn.Module<torch.Tensor, torch.Tensor>>? _createPretrained;
    private readonly int[] _groupStarts;

    /// <summary>Describes an architecture.</summary>
    /// <param name="name">What the model is, for messages and docs (<c>"resnet34"</c>).</param>
    /// <param name="create">Builds the whole model with fresh (random) weights.</param>
    /// <param name="cut">How many of the model's first children form the body.</param>
    /// <param name="bodyGroupStarts">
    /// The body children at which a new layer group starts after the first (resnets: <c>[6]</c>, so conv1…layer2 and
    /// layer3…layer4); the head is always a group of its own.
    /// </param>
    /// <param name="stats">The normalisation the pretrained weights expect, as the batch transform that applies it.</param>
    /// <param name="createPretrained">Builds the whole model with its pretrained weights; null = there are none (see <see cref="WithPretrained"/>).</param>
    /// <exception cref="ArgumentException">A group start outside the body, or not increasing.</exception>
    public VisionArchitecture(string name, Func<torch.nn.Module<torch.Tensor, torch.Tensor>> create, int cut, IReadOnlyList<int> bodyGroupStarts, Normalize stats,
        Func<torch.nn.Module<torch.Tensor, torch.Tensor>>? createPretrained = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cut, 1);
        for (int i = 0; i < bodyGroupStarts.Count; i++)
            if (bodyGroupStarts[i] < 1 || bodyGroupStarts[i] >= cut || (i > 0 && bodyGroupStarts[i] <= bodyGroupStarts[i - 1]))
                throw new ArgumentException($"Body group starts must increase within 1..{cut - 1}; got [{string.Join(", ", bodyGroupStarts)}].", nameof(bodyGroupStarts));
        Name = name;
        _create = create;
        Cut = cut;
        _groupStarts = [.. bodyGroupStarts];
        Stats = stats;
        _createPretrained = createPretrained;
    }

    /// <summary>torchvision's ResNet-18 (basic blocks 2-2-2-2, 11,689,512 parameters with its 1000-class <c>fc</c>).</summary>
    public static VisionArchitecture ResNet18 { get; } = TorchVisionResNet("resnet18", () => torchvision.models.resnet18());

    /// <summary>torchvision's ResNet-34 (basic blocks 3-4-6-3, 21,797,672 parameters).</summary>
    public static VisionArchitecture ResNet34 { get; } = TorchVisionResNet("resnet34", () => torchvision.models.resnet34());

    /// <summary>torchvision's ResNet-50 (bottlenecks 3-4-6-3, stride on the 3×3 convolution as in torchvision, 25,557,032 parameters).</summary>
    public static VisionArchitecture ResNet50 { get; } = TorchVisionResNet("resnet50", () => torchvision.models.resnet50());

    /// <summary>
    /// The ImageNet-trained CNTK ResNet-18 of the <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> package: basic blocks
    /// 2-2-2-<b>3</b>, so not torchvision's resnet18. <see cref="Create"/> builds it with random weights;
    /// <see cref="CreatePretrained"/> loads the ImageNet weights from where the package puts them
    /// (<see cref="Models.CntkResNet18.LoadImagenet"/>; for a copy elsewhere:
    /// <c>CntkResNet18.WithPretrained(() =&gt; Models.CntkResNet18.LoadImagenet(path))</c>). Its <see cref="Stats"/> turn
    /// images in [0, 1] into the 0–255 scale minus CNTK's channel means. Heights and widths must be multiples of 32.
    /// </summary>
    public static VisionArchitecture CntkResNet18 { get; } = new(
        Models.CntkResNet18.DisplayName, () => new CntkResNet18(), cut: 8, bodyGroupStarts: [6], Models.CntkResNet18.Stats,
        () => Models.CntkResNet18.LoadImagenet());

    /// <summary>What the model is (<c>"resnet34"</c>, <c>"ResNet-18 (CNTK, 2-2-2-3 blocks)"</c>).</summary>
    public string Name { get; }

    /// <summary>
    /// How many of the model's first children form the body: 8 for the resnets (conv1, bn1, relu, maxpool, layer1–layer4),
    /// leaving out the pooling and the classifier. fastai 2 writes it <c>cut=-2</c> over torchvision's children (…, avgpool,
    /// fc); TorchSharp's ResNet has a <c>flatten</c> child between them, so the count is given from the front, as fastai
    /// 0.7 did (<c>[8, 6]</c>).
    /// </summary>
    public int Cut { get; }

    /// <summary>The body children at which a new layer group starts (resnets: <c>[6]</c>: layer3).</summary>
    public IReadOnlyList<int> BodyGroupStarts => _groupStarts;

    /// <summary>
    /// The normalisation the pretrained weights expect, as a batch transform to put after <see cref="IntToFloatTensor"/>
    /// (torchvision's resnets: ImageNet statistics). fastai: <c>model_meta[arch]['stats']</c>.
    /// </summary>
    public Normalize Stats { get; }

    /// <summary>Builds the whole model with fresh weights (torchvision's initialisation).</summary>
    public torch.nn.Module<torch.Tensor, torch.Tensor> Create() => _create();

    /// <summary>Whether <see cref="CreatePretrained"/> has weights to load (the CNTK ResNet-18; torchvision's resnets once given a file with <see cref="WithWeights"/>).</summary>
    public bool HasPretrainedWeights => _createPretrained is not null;

    /// <summary>Builds the whole model with its pretrained weights. fastai: <c>arch(pretrained=True)</c>.</summary>
    /// <exception cref="DataBlocksException">
    /// The architecture has no pretrained weights here (the message says where weights can come from), or loading them
    /// failed (a missing file names the package that brings it).
    /// </exception>
    public torch.nn.Module<torch.Tensor, torch.Tensor> CreatePretrained() => _createPretrained?.Invoke() ?? throw new DataBlocksException(
        $"{Name} has no pretrained weights in DataBlocks: none ship with it. Load a PyTorch weights file (torchvision's ImageNet " +
        $".pth, or a .safetensors) with {nameof(WithWeights)}(path), e.g. VisionArchitecture.{nameof(ResNet34)}.{nameof(WithWeights)}(\"resnet34-b627a593.pth\"); " +
        $"train from scratch with pretrained: false; use VisionArchitecture.{nameof(CntkResNet18)} " +
        $"({Models.CntkResNet18.DisplayName}), whose ImageNet weights come in the NuGet package {Models.CntkResNet18.PackageId}; " +
        $"or give this architecture weights of your own with {nameof(WithPretrained)}(() => model with its weights loaded).");

    /// <summary>
    /// The same architecture whose <see cref="CreatePretrained"/> calls <paramref name="createPretrained"/>: a model of
    /// this layout with weights loaded from wherever you have them (a copy of the CNTK ResNet-18's file elsewhere, weights
    /// you trained and saved).
    /// </summary>
    public VisionArchitecture WithPretrained(Func<torch.nn.Module<torch.Tensor, torch.Tensor>> createPretrained)
    {
        ArgumentNullException.ThrowIfNull(createPretrained);
        return new(Name, _create, Cut, _groupStarts, Stats, createPretrained);
    }

    /// <summary>
    /// The same architecture whose <see cref="CreatePretrained"/> builds the model with <see cref="Create"/> and loads a
    /// PyTorch weights file into it with <see cref="TorchWeights.Load"/> (strict: every name, shape and type checked before
    /// anything is copied): a <c>.pth</c> state_dict, such as torchvision's ImageNet weights
    /// (<c>VisionArchitecture.ResNet34.WithWeights("resnet34-b627a593.pth")</c>), or a <c>.safetensors</c> file. The file
    /// is read each time a pretrained model is created.
    /// </summary>
    /// <param name="path">The weights file.</param>
    /// <exception cref="DataBlocksException">There is no file at <paramref name="path"/> (checked now; the file's content is checked when the model is created).</exception>
    public VisionArchitecture WithWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new DataBlocksException($"{Name}: there is no weights file at '{full}'.");
        return WithPretrained(() =>
        {
            var model = Create();
            try
            {
                TorchWeights.Load(model, full);
                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        });
    }

    /// <summary>
    /// The body of <paramref name="model"/>: its first <see cref="Cut"/> children, under their own names (so the body's
    /// state-dict keys are the model's: <c>conv1.weight</c>, <c>layer1.0.bn1.running_mean</c>, …). The body shares the
    /// model's modules; dispose one of them, not both. fastai: <c>create_body(model, cut=cut)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The model has fewer children than <see cref="Cut"/>, or one of them is not a tensor-to-tensor module.</exception>
    public Sequential Body(torch.nn.Module<torch.Tensor, torch.Tensor> model)
    {
        var children = model.named_children().ToList();
        if (children.Count < Cut)
            throw new ArgumentException($"{Name} cuts its body after {Cut} children, but this model has {children.Count}.", nameof(model));
        return torch.nn.Sequential(children.Take(Cut).Select(c => (c.name, AsLayer(c.name, c.module))));
    }

    /// <summary>
    /// The layer groups of a model made of a body (child 0, as <see cref="Body"/> builds it) and a head (every later
    /// child): the body split at <see cref="BodyGroupStarts"/>, then the head. Resnets: conv1…layer2, layer3…layer4, head.
    /// Usable as <see cref="Learning.LearnerOptions.Splitter"/>. fastai: <c>_resnet_split</c>:
    /// <c>L(m[0][:6], m[0][6:], m[1:]).map(params)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The model has no head, or its first child is not a body of <see cref="Cut"/> children.</exception>
    public IEnumerable<IEnumerable<Parameter>> Split(torch.nn.Module<torch.Tensor, torch.Tensor> model)
    {
        var parts = model.named_children().Select(c => c.module).ToList();
        if (parts.Count < 2)
            throw new ArgumentException($"{Name} splits a model of a body and a head (Sequential(body, head…)); this one has {parts.Count} child(ren).", nameof(model));
        var body = parts[0].named_children().Select(c => c.module).ToList();
        if (body.Count != Cut)
            throw new ArgumentException($"{Name} splits a model whose first child is its body of {Cut} children; that child has {body.Count}.", nameof(model));
        var groups = new List<IEnumerable<Parameter>>();
        int[] starts = [0, .. _groupStarts, Cut];
        for (int g = 0; g + 1 < starts.Length; g++)
            groups.Add(body.Skip(starts[g]).Take(starts[g + 1] - starts[g]).SelectMany(m => m.parameters()).ToArray());
        groups.Add(parts.Skip(1).SelectMany(m => m.parameters()).ToArray());
        return groups;
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static VisionArchitecture TorchVisionResNet(string name, Func<torch.nn.Module<torch.Tensor, torch.Tensor>> create) =>
        new(name, create, cut: 8, bodyGroupStarts: [6], Normalize.Imagenet);

    private torch.nn.Module<torch.Tensor, torch.Tensor> AsLayer(string name, torch.nn.Module module) =>
        module as torch.nn.Module<torch.Tensor, torch.Tensor>
        ?? throw new ArgumentException($"{Name}: body child '{name}' ({module.GetType().Name}) does not map a tensor to a tensor.");
}
