using System;

namespace DataBlocks;

/// <summary>
/// The base of every error DataBlocks raises about the user's data or declaration. Messages name the file, row or
/// member at fault and, where there is one, the fix.
/// </summary>
public class DataBlocksException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DataBlocksException(string message) : base(message) { }

    /// <summary>Creates the exception with the error that caused it.</summary>
    public DataBlocksException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>A file could not be read or decoded (missing, empty, truncated, corrupt, too large or of an unsupported format).</summary>
public sealed class BadItemException : DataBlocksException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    /// <param name="path">The file at fault.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="innerException">The error that revealed it, if any.</param>
    /// <param name="item">
    /// The item that named the file, when it says more than the path (a labels CSV row: <c>"x.jpg (labels.csv line 3)"</c>);
    /// the message then names it too.
    /// </param>
    public BadItemException(string path, string problem, Exception? innerException = null, string? item = null)
        : base($"{problem}: '{path}'{ItemSuffix(path, item)}", innerException)
    {
        Path = path;
        Problem = problem;
        Item = item ?? path;
    }

    /// <summary>The file at fault.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it, without the path.</summary>
    public string Problem { get; }

    /// <summary>The item that named the file (the path itself when it was given as the item).</summary>
    public string Item { get; }

    private static string ItemSuffix(string path, string? item) =>
        item is null || item == path ? ""
        : item.StartsWith(path, StringComparison.Ordinal) ? item[path.Length..]    // "x.jpg (labels.csv line 3)" → " (labels.csv line 3)"
        : $" (item '{item}')";
}

/// <summary>A user getter (<c>[GetItems]</c>, <c>[GetX]</c>, <c>[GetY]</c>, splitter) threw or returned something unusable.</summary>
public sealed class GetterException : DataBlocksException
{
    /// <summary>Creates the exception.</summary>
    public GetterException(string member, string message, Exception? innerException = null)
        : base(message, innerException) => Member = member;

    /// <summary>The member at fault, as <c>Class.Member</c>.</summary>
    public string Member { get; }
}

/// <summary>Which failures are an item's: everything but the process running out of memory and cancellation.</summary>
internal static class ItemFaults
{
    /// <summary>Whether <paramref name="e"/> is about one item (skip mode leaves the item out) rather than the process.</summary>
    public static bool BelongToItem(Exception e) => e is not (OutOfMemoryException or OperationCanceledException);

    /// <summary><paramref name="e"/> as a <see cref="DataBlocksException"/> that names <paramref name="what"/>.</summary>
    public static DataBlocksException Attribute(Exception e, string what) =>
        e as DataBlocksException ?? new DataBlocksException($"{what}: {e.GetType().Name}: {e.Message}", e);
}
