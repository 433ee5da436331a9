using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace DataBlocks.Vision;

/// <summary>Finds image files. fastai: <c>get_image_files</c>.</summary>
public static class ImageFiles
{
    /// <summary>The extensions DataBlocks can decode (lower case, with the dot).</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif"];

    /// <summary>
    /// Every image file under <paramref name="root"/>, sorted by ordinal path so the order (and hence any seeded split)
    /// is the same on every machine. Hidden files and folders (leading '.') are skipped.
    /// </summary>
    /// <param name="root">The folder to search.</param>
    /// <param name="recurse">Search sub-folders too.</param>
    /// <param name="folders">When given, only these first-level sub-folders are searched (fastai's <c>folders</c>).</param>
    /// <exception cref="DataBlocksException">The folder does not exist.</exception>
    public static IReadOnlyList<string> Under(string root, bool recurse = true, params string[] folders)
    {
        if (!Directory.Exists(root))
            throw new DataBlocksException($"The image folder '{root}' does not exist.");
        var starts = folders.Length == 0 ? [root] : folders.Select(f => Path.Combine(root, f)).Where(Directory.Exists).ToArray();
        var files = new List<string>();
        foreach (string start in starts) Walk(start, recurse, files);
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>Whether the file's extension is one DataBlocks decodes.</summary>
    public static bool IsImage(string path) =>
        Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    private static void Walk(string dir, bool recurse, List<string> files)
    {
        foreach (string f in Directory.EnumerateFiles(dir))
            if (!Path.GetFileName(f).StartsWith('.') && IsImage(f)) files.Add(f);
        if (!recurse) return;
        foreach (string d in Directory.EnumerateDirectories(dir))
            if (!Path.GetFileName(d).StartsWith('.')) Walk(d, recurse, files);
    }
}
