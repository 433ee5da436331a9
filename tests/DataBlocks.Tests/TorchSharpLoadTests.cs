using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>TorchSharp's native shim loads and trains, thanks to the build's libstdc++ fix where one is needed.</summary>
[Collection("Torch")]
public class TorchSharpLoadTests
{
    [Fact]
    public void Forward_And_Backward_Pass_Give_The_Analytic_Gradient()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { 1f, -2f, 3f }, requires_grad: true);
        var y = (x * x).sum();
        y.backward();
        Assert.Equal(new[] { 2f, -4f, 6f }, x.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Output_Copy_Of_LibTorchSharp_Has_A_Weak_GLIBCXX_3_4_32_Requirement_When_The_System_Lacks_It()
    {
        if (!OperatingSystem.IsLinux()) return;   // the fix only applies to Linux; elsewhere there is nothing to check
        string lib = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(lib), $"{lib} is missing");
        bool systemHasIt = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .Where(File.Exists)
            .Any(p => Contains(File.ReadAllBytes(p), Encoding.ASCII.GetBytes("GLIBCXX_3.4.32\0")));
        ushort? flags = VernauxFlags(File.ReadAllBytes(lib), "GLIBCXX_3.4.32");
        Assert.NotNull(flags);   // TorchSharp 0.107.0's shim does ask for this version
        if (systemHasIt) Assert.Equal(0, flags!.Value & 0x2);   // untouched where not needed
        else Assert.Equal(0x2, flags!.Value & 0x2);             // VER_FLG_WEAK where needed
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    /// <summary>The vna_flags of the version requirement named <paramref name="version"/> in .gnu.version_r.</summary>
    private static ushort? VernauxFlags(byte[] elf, string version)
    {
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3a), shnum = BitConverter.ToUInt16(elf, 0x3c), shstrndx = BitConverter.ToUInt16(elf, 0x3e);
        long Section(int i, int field) => BitConverter.ToInt64(elf, (int)(shoff + (long)i * shentsize + field));
        string Str(long at) => Encoding.ASCII.GetString(elf, (int)at, Array.IndexOf(elf, (byte)0, (int)at) - (int)at);
        long shstr = Section(shstrndx, 0x18);
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)(shoff + (long)i * shentsize);
            if (Str(shstr + BitConverter.ToUInt32(elf, sh)) != ".gnu.version_r") continue;
            long dynstr = Section((int)BitConverter.ToUInt32(elf, sh + 0x28), 0x18);
            long vn = BitConverter.ToInt64(elf, sh + 0x18);
            uint count = BitConverter.ToUInt32(elf, sh + 0x2c);
            for (uint n = 0; n < count; n++)
            {
                long aux = vn + BitConverter.ToUInt32(elf, (int)vn + 8);
                for (int a = 0; a < BitConverter.ToUInt16(elf, (int)vn + 2); a++)
                {
                    if (Str(dynstr + BitConverter.ToUInt32(elf, (int)aux + 8)) == version) return BitConverter.ToUInt16(elf, (int)aux + 4);
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                vn += BitConverter.ToUInt32(elf, (int)vn + 12);
            }
        }
        return null;
    }
}
