using System.Linq;
using System.Runtime.CompilerServices;
using DataBlocks.TestKit;

namespace DataBlocks.Generators.Tests;

/// <summary>Snapshots of generated code: one <c>.verified.cs</c> per generated file, plus the diagnostics.</summary>
internal static class GeneratorSnapshot
{
    /// <summary>
    /// Compares every generated file with <c>Snapshots/{Class}.{Method}#{HintName}.verified.cs</c> and the diagnostics with
    /// <c>...#diagnostics.verified.txt</c>; the generator version is scrubbed to <c>&lt;version&gt;</c>.
    /// </summary>
    public static void Verify(GeneratorRun run, [CallerFilePath] string callerFile = "", [CallerMemberName] string testMethod = "")
    {
        string testClass = System.IO.Path.GetFileNameWithoutExtension(callerFile);
        var files = run.Files.ToDictionary(
            kv => kv.Key.EndsWith(".cs") ? kv.Key[..^3] : kv.Key,
            kv => kv.Value.Replace($"\"{ThisAssembly.Version}\"", "\"<version>\""));
        SnapshotAssert.Files(files, "cs", testClass, testMethod, callerFile);

        string diagnostics = string.Join("\n", run.GeneratorDiagnostics
            .OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => $"{d.Id} {d.Severity} {Describe(d.Location)}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}"));
        SnapshotAssert.Files(new System.Collections.Generic.Dictionary<string, string> { ["diagnostics"] = diagnostics.Length == 0 ? "(none)" : diagnostics },
            "txt", testClass, testMethod, callerFile);
    }

    public static string Describe(Microsoft.CodeAnalysis.Location location)
    {
        var span = location.GetLineSpan();
        return $"{System.IO.Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}-{span.EndLinePosition.Line + 1},{span.EndLinePosition.Character + 1})";
    }
}
