using System;
using System.Diagnostics;
using TorchSharp;

namespace DataBlocks.TestKit;

/// <summary>Reads the numbers a memory-flat test compares: live tensors on this thread and the process working set.</summary>
public static class MemoryProbe
{
    /// <summary>Tensors alive on this thread according to TorchSharp's dispose-scope statistics.</summary>
    public static long LiveTensors => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    /// <summary>The process's resident memory in bytes, after a full garbage collection.</summary>
    public static long WorkingSet()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64;
    }
}
