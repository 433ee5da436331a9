using System;
using System.Collections.Generic;
using System.IO;

namespace DataBlocks.Data;

/// <summary>
/// Splits file paths by the name of their grandparent folder: <c>train/cat/1.jpg</c> is training,
/// <c>valid/cat/2.jpg</c> validation; items under neither are dropped. fastai: <c>GrandparentSplitter(train_name='train', valid_name='valid')</c>.
/// </summary>
/// <remarks>Items must be paths (<c>string</c> or <see cref="FileInfo"/>); for records, use a <c>bool</c> [Splitter] method.</remarks>
public sealed class GrandparentSplitter(string trainName = "train", string validName = "valid") : ISplitter
{
    /// <summary>Grandparent folder name of training items.</summary>
    public string TrainName { get; } = trainName;

    /// <summary>Grandparent folder name of validation items.</summary>
    public string ValidName { get; } = validName;

    /// <inheritdoc />
    public DataSplit Split<TItem>(IReadOnlyList<TItem> items)
    {
        var train = new List<int>();
        var valid = new List<int>();
        for (int i = 0; i < items.Count; i++)
        {
            string path = items[i] switch
            {
                string s => s,
                FileInfo f => f.FullName,
                _ => throw new DataBlocksException(
                    $"GrandparentSplitter needs items that are file paths, but item #{i} is a {items[i]?.GetType().Name ?? "null"}. " +
                    "Split records with a [Splitter] method that returns bool (true = validation)."),
            };
            string? grandparent = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(path))));
            if (string.Equals(grandparent, TrainName, StringComparison.Ordinal)) train.Add(i);
            else if (string.Equals(grandparent, ValidName, StringComparison.Ordinal)) valid.Add(i);
        }
        return new DataSplit(train, valid);
    }
}
