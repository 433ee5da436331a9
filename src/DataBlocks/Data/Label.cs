using System;
using System.Collections.Concurrent;
using System.IO;
using System.Text.RegularExpressions;

namespace DataBlocks.Data;

/// <summary>Labelling helpers for <c>[GetY]</c> getters (fastai: <c>parent_label</c>, <c>RegexLabeller</c>).</summary>
public static class Label
{
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    /// <summary>The name of the folder holding the file: <c>train/cat/1.jpg</c> → <c>cat</c>. fastai: <c>parent_label</c>.</summary>
    public static string FromParentFolder(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? parent = Path.GetFileName(Path.GetDirectoryName(path));
        if (string.IsNullOrEmpty(parent))
            throw new DataBlocksException($"Cannot take a parent-folder label from '{path}': it has no parent folder.");
        return parent;
    }

    /// <summary>
    /// Group 1 of <paramref name="pattern"/> matched against the file name (not the folder):
    /// <c>FromFileName("x/cat.12.jpg", @"^(cat|dog)\.\d+\.jpg$")</c> → <c>cat</c>. fastai: <c>from_name_re</c>.
    /// </summary>
    /// <exception cref="DataBlocksException">The name does not match, or the pattern has no group 1.</exception>
    public static string FromFileName(string path, string pattern) => Match(Path.GetFileName(path), path, pattern);

    /// <summary>Group 1 of <paramref name="pattern"/> searched in the whole path. fastai: <c>RegexLabeller(pat)</c> / <c>from_path_re</c>.</summary>
    public static string FromPath(string path, string pattern) => Match(path, path, pattern);

    private static string Match(string text, string path, string pattern)
    {
        ArgumentNullException.ThrowIfNull(path);
        var regex = Patterns.GetOrAdd(pattern, static p => new Regex(p, RegexOptions.CultureInvariant));
        var m = regex.Match(text);
        if (!m.Success)
            throw new DataBlocksException($"The label pattern \"{pattern}\" does not match '{text}' (file '{path}').");
        if (m.Groups.Count < 2 || !m.Groups[1].Success)
            throw new DataBlocksException($"The label pattern \"{pattern}\" matched '{text}' but has no group 1 to take the label from; add parentheses around the label part.");
        return m.Groups[1].Value;
    }
}
