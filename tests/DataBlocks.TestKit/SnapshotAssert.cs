using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit.Sdk;

namespace DataBlocks.TestKit;

/// <summary>
/// Snapshot assertions with Verify's conventions (Verify itself cannot be restored here): the expected text lives in
/// <c>Snapshots/{TestClass}.{TestMethod}#{name}.verified.{ext}</c> next to the test file; on a mismatch (or a missing
/// verified file) the actual text is written to the matching <c>.received.</c> file and the test fails with a diff.
/// Accept changes with <c>DATABLOCKS_ACCEPT_SNAPSHOTS=1 dotnet test</c> (refused when <c>CI=true</c>), or rename the
/// received file by hand. Verified files are never created silently.
/// </summary>
public static class SnapshotAssert
{
    /// <summary>Compares one text with its verified snapshot.</summary>
    public static void Matches(string actual, string name, string extension = "txt",
        [CallerFilePath] string callerFile = "", [CallerMemberName] string testMethod = "")
    {
        string testClass = Path.GetFileNameWithoutExtension(callerFile);
        Files(new Dictionary<string, string> { [name] = actual }, extension, testClass, testMethod, callerFile);
    }

    /// <summary>
    /// Compares a set of named texts with their verified snapshots. The set of verified files for this test must equal
    /// the set of names: a stale verified file fails the test too.
    /// </summary>
    public static void Files(IReadOnlyDictionary<string, string> actual, string extension, string testClass, string testMethod, string callerFile)
    {
        string dir = Path.Combine(Path.GetDirectoryName(callerFile)!, "Snapshots");
        string prefix = $"{testClass}.{testMethod}#";
        bool accept = Environment.GetEnvironmentVariable("DATABLOCKS_ACCEPT_SNAPSHOTS") == "1";
        if (accept && string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            throw new XunitException("DATABLOCKS_ACCEPT_SNAPSHOTS is refused on CI: accept snapshots locally and commit them.");
        Directory.CreateDirectory(dir);

        var failures = new List<string>();
        foreach (var (name, text) in actual.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            string verified = Path.Combine(dir, $"{prefix}{name}.verified.{extension}");
            string received = Path.Combine(dir, $"{prefix}{name}.received.{extension}");
            string normalized = Normalize(text);
            string? expected = File.Exists(verified) ? Normalize(File.ReadAllText(verified)) : null;
            if (expected == normalized)
            {
                if (File.Exists(received)) File.Delete(received);
                continue;
            }
            if (accept)
            {
                File.WriteAllText(verified, normalized, new UTF8Encoding(false));
                if (File.Exists(received)) File.Delete(received);
                continue;
            }
            File.WriteAllText(received, normalized, new UTF8Encoding(false));
            failures.Add(expected is null
                ? $"No verified snapshot {Path.GetFileName(verified)}; review {Path.GetFileName(received)} and rename it to accept."
                : $"{Path.GetFileName(verified)} differs (actual in {Path.GetFileName(received)}):\n{Diff(expected, normalized)}");
        }

        var expectedNames = actual.Keys.Select(n => $"{prefix}{n}.verified.{extension}").ToHashSet(StringComparer.Ordinal);
        foreach (string stale in Directory.GetFiles(dir, $"{prefix}*.verified.{extension}").Select(Path.GetFileName).Where(n => !expectedNames.Contains(n!))!)
        {
            if (accept) File.Delete(Path.Combine(dir, stale));
            else failures.Add($"Stale snapshot {stale}: the test no longer produces it; delete it.");
        }

        if (failures.Count > 0)
            throw new XunitException(string.Join("\n\n", failures) + "\n\nAccept with DATABLOCKS_ACCEPT_SNAPSHOTS=1 dotnet test (or rename the .received file).");
    }

    /// <summary>\r\n → \n, no BOM, exactly one final newline.</summary>
    public static string Normalize(string text)
    {
        text = text.Replace("\r\n", "\n").TrimStart('\uFEFF');
        return text.TrimEnd('\n') + "\n";
    }

    /// <summary>The first differing lines with three lines of context.</summary>
    public static string Diff(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        int first = 0;
        while (first < e.Length && first < a.Length && e[first] == a[first]) first++;
        int from = Math.Max(0, first - 3);
        var sb = new StringBuilder();
        sb.AppendLine($"  first difference at line {first + 1}:");
        for (int i = from; i < first; i++) sb.AppendLine($"    {i + 1,5}   {e[i]}");
        for (int i = first; i < Math.Min(e.Length, first + 4); i++) sb.AppendLine($"    {i + 1,5} - {e[i]}");
        for (int i = first; i < Math.Min(a.Length, first + 4); i++) sb.AppendLine($"    {i + 1,5} + {a[i]}");
        return sb.ToString();
    }
}
