using System;
using System.IO;
using DataBlocks.Serialization;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>
/// The one file format (<see cref="DataBlocksFile"/>) of saved weights and checkpoints: what it names when a file is
/// truncated, of a newer version, of another kind or lacks a section.
/// </summary>
[Collection("Torch")]
public class SerializationTests
{
    private static DataBlocksException Refused(Action load) => Assert.Throws<DataBlocksException>(load);

    [Fact]
    public void The_Container_Reads_Its_Sections_Back_And_Names_A_Truncation_At_Any_Byte()
    {
        using var stream = new MemoryStream();
        DataBlocksFile.Write(stream, DataBlocksFile.Weights, file =>
        {
            file.Add("first", [1, 2, 3]);
            file.Add("second", w => w.Write("text"));
            Assert.Throws<ArgumentException>(() => file.Add("first", [4]));
        });
        byte[] bytes = stream.ToArray();
        var sections = DataBlocksFile.Read(bytes, "memory.dbw", DataBlocksFile.Weights);
        Assert.Equal(["first", "second"], sections.Names);
        Assert.Equal([1, 2, 3], sections.Bytes("first"));
        Assert.Equal("text", sections.Read("second", r => r.ReadString()));
        Assert.Contains("'memory.dbw' is damaged: its 'first' section holds 2 bytes more than it should",
            Refused(() => sections.Read("first", r => r.ReadByte())).Message);
        Assert.Contains("its 'first' section ends early", Refused(() => sections.Read("first", r => r.ReadInt64())).Message);
        Assert.Contains("'memory.dbw' is damaged: it has no 'third' section (it has 'first', 'second')", Refused(() => sections.Open("third")).Message);

        for (int n = 0; n < bytes.Length; n++)
            Assert.Contains("'memory.dbw' is empty or truncated", Refused(() => DataBlocksFile.Read(bytes[..n], "memory.dbw", DataBlocksFile.Weights)).Message);

        var newer = (byte[])bytes.Clone();
        BitConverter.GetBytes(DataBlocksFile.Version + 1).CopyTo(newer, 16);
        Assert.Contains($"'memory.dbw' was saved by a newer version of DataBlocks (format {DataBlocksFile.Version + 1})",
            Refused(() => DataBlocksFile.Read(newer, "memory.dbw", DataBlocksFile.Weights)).Message);
        Assert.Contains("'memory.dbw' holds a model's saved weights, not a checkpoint",
            Refused(() => DataBlocksFile.Read(bytes, "memory.dbw", DataBlocksFile.Checkpoint)).Message);
    }
}
