using System;
using System.Collections.Generic;
using DataBlocks.Losses;
using TorchSharp;

namespace DataBlocks.Data;

/// <summary>
/// A set-up block for one field: it encodes getter values into samples, collates samples into batch arrays, and
/// decodes batch rows back into values people can read. fastai: the type transforms of a block after <c>setup</c>.
/// </summary>
public interface IFieldCodec
{
    /// <summary>The field this codec encodes.</summary>
    FieldInfo Field { get; }

    /// <summary>What kind of data the field holds.</summary>
    FieldKind Kind { get; }

    /// <summary>
    /// <c>true</c> when encoding is cheap and pure (labels): the dataset encodes every item once, up front, so a bad
    /// label fails at creation and names its item. <c>false</c> (images) encodes on the loader's worker threads.
    /// </summary>
    bool EncodesEagerly { get; }

    /// <summary>
    /// The number of model outputs this field needs when it is the target (fastai's <c>dls.c</c>): the vocabulary size,
    /// twice the number of keypoints, the regression width. Zero when it does not apply.
    /// </summary>
    int OutputCount { get; }

    /// <summary>The loss fastai implies for this field as target (<c>CrossEntropyLossFlat</c> for a category...), or null.</summary>
    ILossFunction? DefaultLoss { get; }

    /// <summary>Stacks the encoded samples of one batch into one host array (runs on a worker thread).</summary>
    HostTensor Collate(IReadOnlyList<object> samples);

    /// <summary>A readable rendering of one batch row of this field (a label, numbers), for titles and reports.</summary>
    string Show(torch.Tensor row);

    /// <summary>Returns a copy of an encoded sample that item transforms may change (eagerly encoded samples are shared).</summary>
    object CloneSample(object sample);
}

/// <summary>The typed half of <see cref="IFieldCodec"/>: encodes the getter's values.</summary>
/// <typeparam name="TValue">What the getter returns.</typeparam>
public interface IFieldCodec<in TValue> : IFieldCodec
{
    /// <summary>Encodes one getter value into a sample.</summary>
    /// <param name="value">The getter's value.</param>
    /// <param name="item">A description of the item (its path or text), for error messages.</param>
    /// <exception cref="DataBlocksException">The value cannot be encoded (unknown label, unreadable file...).</exception>
    object Encode(TValue value, string item);
}

/// <summary>
/// A codec of keys (ids) whose vocabulary comes from the training split, so new items may hold keys it never had.
/// <see cref="DataLoaders{TItem}.TestDataLoader"/> asks it for the codec that encodes new items.
/// </summary>
public interface IKeyFieldCodec : IFieldCodec
{
    /// <summary>
    /// The codec for new items at inference: with <see cref="UnknownKeys.Error"/> an unknown key is a
    /// <see cref="DataBlocksException"/> naming it and its item; with <see cref="UnknownKeys.UseNa"/> it encodes as <c>#na#</c>.
    /// </summary>
    IFieldCodec ForNewItems(UnknownKeys unknownKeys);
}

/// <summary>
/// A codec whose <see cref="IFieldCodec{TValue}.Encode"/> leaves work for later (an image is decoded when a transform first
/// needs its pixels). With <see cref="DatasetsOptions.SkipBadItems"/> the datasets call <see cref="Complete"/> on every
/// item, so the items the loader would fail on are found and left out up front.
/// </summary>
public interface IDeferredEncoding : IFieldCodec
{
    /// <summary>Does the deferred work on a sample this codec encoded (decodes an image, at the smallest scale its format allows).</summary>
    /// <exception cref="DataBlocksException">The item is bad (a truncated or undecodable file...).</exception>
    void Complete(object sample);
}

/// <summary>A codec whose encoded values index classes (categories, multi-label tags, categorical keys).</summary>
internal interface IVocabCodec : IFieldCodec
{
    /// <summary>The class names, index order.</summary>
    IReadOnlyList<string> Classes { get; }
}
