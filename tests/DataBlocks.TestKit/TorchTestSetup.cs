using System.Runtime.CompilerServices;
using TorchSharp;

namespace DataBlocks.TestKit;

/// <summary>Runs once when a test assembly that uses the kit loads: keeps torch from oversubscribing CI's 2 cores.</summary>
public static class TorchTestSetup
{
    private static bool _done;

    /// <summary>Sets torch's thread count (idempotent).</summary>
    public static void EnsureInitialized()
    {
        if (_done) return;
        _done = true;
        torch.set_num_threads(2);
    }

#pragma warning disable CA2255 // module initializers are meant for app code, and a test kit is one
    [ModuleInitializer]
    internal static void Initialize() => EnsureInitialized();
#pragma warning restore CA2255
}
