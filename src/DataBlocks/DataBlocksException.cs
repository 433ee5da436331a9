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

/// <summary>A file could not be read or decoded (missing, empty, truncated, corrupt or of an unsupported format).</summary>
public sealed class BadItemException : DataBlocksException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public BadItemException(string path, string problem, Exception? innerException = null)
        : base($"{problem}: '{path}'", innerException)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file at fault.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it, without the path.</summary>
    public string Problem { get; }
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
