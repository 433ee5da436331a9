using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DataBlocks;

/// <summary>
/// Process-wide native settings DataBlocks applies when it loads, before libtorch allocates anything.
/// </summary>
/// <remarks>
/// <para><b>Transparent huge pages for large CPU tensors.</b> libtorch's CPU allocator gives every large tensor fresh
/// pages from the kernel, and touching them costs one page fault per 4 KiB: filling a 38 MB float batch
/// (64×3×224×224) took ~27 ms on our 2-core machine, against ~7 ms with 2 MB pages. libtorch asks for huge pages
/// when the environment variable <c>THP_MEM_ALLOC_ENABLE=1</c> is set (read once, at its first allocation), so on Linux
/// DataBlocks sets it in the native environment when its assembly loads — unless the variable is already set (set it
/// to 0 to opt out). It takes effect only if DataBlocks loads before the first tensor is allocated, which is the case
/// when a program starts with DataBlocks calls; otherwise nothing changes.</para>
/// </remarks>
public static class NativeSettings
{
    private const string HugePages = "THP_MEM_ALLOC_ENABLE";

    /// <summary>Whether DataBlocks turned on huge pages for libtorch's CPU allocator in this process.</summary>
    public static bool HugePagesRequested { get; private set; }

#pragma warning disable CA2255 // a library module initializer: it must run before libtorch's first allocation
    [ModuleInitializer]
    internal static void Apply()
#pragma warning restore CA2255
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(HugePages) is not null) return;
        try
        {
            // .NET's Environment.SetEnvironmentVariable does not reach native getenv on Unix; libc's setenv does.
            HugePagesRequested = setenv(HugePages, "1", 0) == 0;
        }
        catch (DllNotFoundException)
        {
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi)]
    private static extern int setenv(string name, string value, int overwrite);
}
