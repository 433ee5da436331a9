using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Json;
using DataBlocks.Serialization;
using DataBlocks.TestKit;
using DataBlocks.Vision.Models;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>The torchvision resnet18 fixture, decompressed once for the tests that load it.</summary>
public sealed class ResNet18WeightsFile : IDisposable
{
    private readonly TempDir _dir = new("pth");

    public ResNet18WeightsFile()
    {
        Path = _dir.Combine("resnet18.pth");
        using var gz = new GZipStream(File.OpenRead(TorchWeightsTests.Fixture("resnet18.pth.gz")), CompressionMode.Decompress);
        using var file = File.Create(Path);
        gz.CopyTo(file);
    }

    /// <summary>The decompressed .pth file.</summary>
    public string Path { get; }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// PyTorch weight files (<see cref="TorchWeights"/>): files that python3-torch 1.13 wrote
/// (Fixtures/pytorch/make_fixtures.py) read back to the values Python recorded, the refused pickles, and the checks a
/// load makes before it changes anything.
/// </summary>
[Collection("Torch")]
public sealed class TorchWeightsTests(ResNet18WeightsFile resnet) : IClassFixture<ResNet18WeightsFile>
{
    private const string Marker = "/tmp/datablocks-pth-evil-marker";

    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch", name);

    // ---- what Python recorded ---------------------------------------------------------------------------------------

    private sealed record Expected(string Name, string DType, long[] Shape, JsonElement[] Values);

    private static List<Expected> MixedExpected()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture("mixed.json")));
        return doc.RootElement.EnumerateArray().Select(e => new Expected(
            e.GetProperty("name").GetString()!,
            e.GetProperty("dtype").GetString()!,
            e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
            e.GetProperty("values").EnumerateArray().Select(v => v.Clone()).ToArray())).ToList();
    }

    private static readonly Dictionary<string, torch.ScalarType> PythonDtypes = new()
    {
        ["float32"] = torch.float32, ["float64"] = torch.float64, ["float16"] = torch.float16, ["bfloat16"] = torch.bfloat16,
        ["int64"] = torch.int64, ["int32"] = torch.int32, ["int16"] = torch.int16, ["int8"] = torch.int8, ["uint8"] = torch.uint8,
        ["bool"] = torch.@bool,
    };

    /// <summary>Each tensor has Python's name (in order), dtype, shape and values, exactly.</summary>
    private static void AssertMixed(IReadOnlyDictionary<string, torch.Tensor> read)
    {
        var expected = MixedExpected();
        Assert.Equal(expected.Select(e => e.Name), read.Keys);
        foreach (var e in expected)
        {
            var t = read[e.Name];
            Assert.True(PythonDtypes[e.DType] == t.dtype, $"{e.Name}: {t.dtype}, expected {e.DType}");
            Assert.Equal(e.Shape, t.shape);
            if (e.DType == "bool")
                Assert.Equal(e.Values.Select(v => v.GetBoolean()), Values<bool>(t));
            else if (e.DType.StartsWith("float", StringComparison.Ordinal) || e.DType == "bfloat16")
            {
                using var d = t.to(torch.float64);
                Assert.Equal(e.Values.Select(v => v.GetDouble()), Values<double>(d));
            }
            else
            {
                using var l = t.to(torch.int64);
                Assert.Equal(e.Values.Select(v => v.GetInt64()), Values<long>(l));
            }
        }
    }

    /// <summary>The tensor's values in row-major order (TorchSharp's accessor refuses an empty tensor).</summary>
    private static T[] Values<T>(torch.Tensor t) where T : unmanaged => t.numel() == 0 ? [] : t.data<T>().ToArray();

    private static torch.Tensor Input(int n, int c, int h, int w)
    {
        var x = new float[n * c * h * w];
        int i = 0;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < c; b++)
                for (int y = 0; y < h; y++)
                    for (int z = 0; z < w; z++)
                        x[i++] = ((7 * a + 5 * b + 3 * y + 2 * z) % 17) / 8f - 1f;
        return torch.tensor(x, [n, c, h, w]);
    }

    private static float[] RecordedLogits()
    {
        var bytes = File.ReadAllBytes(Fixture("resnet18_logits.bin"));
        return Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i))).ToArray();
    }

    private static void AssertLogits(torch.nn.Module<torch.Tensor, torch.Tensor> model)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        model.eval();
        var logits = model.call(Input(2, 3, 64, 64));
        Assert.Equal([2L, 1000], logits.shape);
        var ours = logits.data<float>().ToArray();
        var python = RecordedLogits();
        Assert.Equal(2000, python.Length);
        double maxDiff = ours.Zip(python).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(maxDiff <= 1e-4, $"max |ours - PyTorch| = {maxDiff}");
        // Not degenerate: the recorded logits span several units and take many values per image.
        Assert.True(python.Take(1000).Distinct().Count() >= 50 && python.Max() - python.Min() > 2, "degenerate reference logits");
    }

    // ---- the torchvision resnet18 -----------------------------------------------------------------------------------

    [Fact]
    public void Torchvision_ResNet18_State_Dict_Loads_Into_TorchVisions_ResNet18_And_Gives_PyTorchs_Logits()
    {
        long live = MemoryProbe.LiveTensors;
        using (var model = VisionArchitecture.ResNet18.Create())
        {
            var report = TorchWeights.Load(model, resnet.Path);
            Assert.Equal(122, report.Loaded.Count);      // len(torchvision.models.resnet18().state_dict()) in PyTorch 1.13
            Assert.Empty(report.Missing);
            Assert.Empty(report.Unexpected);
            Assert.Equal(3L, model.state_dict()["layer2.1.bn2.num_batches_tracked"].item<long>());   // the script set every counter to 3
            AssertLogits(model);
        }
        Assert.Equal(live, MemoryProbe.LiveTensors);
    }

    [Fact]
    public void With_Weights_Makes_CreatePretrained_Load_The_File()
    {
        var arch = VisionArchitecture.ResNet18.WithWeights(resnet.Path);
        Assert.True(arch.HasPretrainedWeights);
        Assert.Equal(VisionArchitecture.ResNet18.Name, arch.Name);
        Assert.Equal(VisionArchitecture.ResNet18.Cut, arch.Cut);
        using var model = arch.CreatePretrained();
        AssertLogits(model);

        var missing = Assert.Throws<DataBlocksException>(() => VisionArchitecture.ResNet34.WithWeights("no-such-resnet34.pth"));
        Assert.Contains("no-such-resnet34.pth", missing.Message, StringComparison.Ordinal);
        // resnet18's weights do not fit resnet34: an error naming the first names resnet34 has and the file lacks.
        var wrong = Assert.Throws<DataBlocksException>(() => VisionArchitecture.ResNet34.WithWeights(resnet.Path).CreatePretrained().Dispose());
        Assert.Contains("lacks 'layer1.2.conv1.weight'", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Torchvision_Resnets_Without_Weights_Point_At_WithWeights()
    {
        var e = Assert.Throws<DataBlocksException>(() => VisionArchitecture.ResNet34.CreatePretrained());
        Assert.Contains("WithWeights(path)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot load", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_File_Of_Another_Model_Says_No_Name_Matches()
    {
        using var model = SmallModel();
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Load(model, resnet.Path));
        Assert.Contains("None of the file's 122 names is the model's (the file's first is 'conv1.weight'", e.Message, StringComparison.Ordinal);
    }

    // ---- every dtype, views, shared storages ------------------------------------------------------------------------

    [Theory]
    [InlineData("mixed.pth")]           // pickle protocol 2, archive folder "mixed"
    [InlineData("mixed_p4.pth")]        // protocol 4: FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL
    [InlineData("mixed.safetensors")]   // written by the Python script, not by us
    public void Python_Files_Read_To_Pythons_Values(string name)
    {
        using var scope = torch.NewDisposeScope();
        var read = TorchWeights.Read(Fixture(name));
        AssertMixed(read);
        Assert.All(read.Values, t => Assert.True(t.is_contiguous()));
    }

    [Fact]
    public void Views_Of_One_Storage_Come_Back_As_Separate_Tensors()
    {
        using var scope = torch.NewDisposeScope();
        var read = TorchWeights.Read(Fixture("mixed.pth"));
        read["encoder.embed.weight"].fill_(100f);
        Assert.Equal([3f, 3.5f, 4f, 4.5f, 5f, 5.5f], read["encoder.row2"].data<float>().ToArray());   // base[2] in Python
        Assert.Equal([7.5f, 9f, 10.5f, 12f, 13.5f], read["pair.b"].data<float>().ToArray());
    }

    [Fact]
    public void Reading_And_Loading_Leave_No_Tensor_Behind()
    {
        long live = MemoryProbe.LiveTensors;
        for (int i = 0; i < 3; i++)
        {
            foreach (var t in TorchWeights.Read(Fixture("mixed.pth")).Values) t.Dispose();
            foreach (var t in TorchWeights.Read(Fixture("mixed.safetensors")).Values) t.Dispose();
            using var model = SmallModel();
            TorchWeights.Load(model, Fixture("small_f64.pth"));
        }
        Assert.Equal(live, MemoryProbe.LiveTensors);
    }

    [Fact]
    public void Legacy_Format_Asks_For_A_Resave()
    {
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Read(Fixture("mixed_legacy.pth")));
        Assert.Contains("mixed_legacy.pth", e.Message, StringComparison.Ordinal);
        Assert.Contains("legacy", e.Message, StringComparison.Ordinal);
        Assert.Contains("torch.save(torch.load(f), f2)", e.Message, StringComparison.Ordinal);
    }

    // ---- refused pickles --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("evil_system.pth", "posix.system", 177)]     // GLOBAL at 177, its REDUCE at 240 (pickletools.dis)
    [InlineData("evil_exec.pth", "__builtin__.exec", 177)]   // GLOBAL at 177, REDUCE at 268
    [InlineData("evil_eval_p4.pth", "builtins.eval", 186)]   // STACK_GLOBAL at 186, REDUCE at 257
    public void A_Pickle_Calling_Code_Is_Refused_At_Its_Global(string name, string global, int offset)
    {
        File.Delete(Marker);
        using var model = SmallModel();
        var before = Snapshot(model);
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Load(model, Fixture(name), strict: false));
        Assert.Contains($"'{global}' (pickle offset {offset})", e.Message, StringComparison.Ordinal);
        Assert.Contains("without constructing or running anything", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("whole model", e.Message, StringComparison.Ordinal);
        // Nothing of Python runs in .NET; the marker would only appear if a loader handed the file to a Python process.
        Assert.False(File.Exists(Marker));
        AssertUnchanged(before, model);
    }

    [Fact]
    public void A_Whole_Pickled_Model_Says_To_Save_The_State_Dict()
    {
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Read(Fixture("whole_model.pth")));
        Assert.Contains("'torch.nn.modules.container.Sequential' (pickle offset 2)", e.Message, StringComparison.Ordinal);
        Assert.Contains("torch.save(model.state_dict(), 'weights.pth')", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_Opcode_That_Builds_Objects_Is_Refused_By_Name_And_Offset()
    {
        using var dir = new TempDir();
        // PROTO 2 (0-1), GLOBAL collections.OrderedDict (2-26, allowed), EMPTY_TUPLE (27), NEWOBJ (28), STOP.
        var pickle = new Pickle().Proto().Global("collections", "OrderedDict").Op(0x29).Op(0x81).Op(0x2e).Bytes;
        string path = Zip(dir.Combine("newobj.pth"), ("archive/data.pkl", pickle));
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Read(path));
        Assert.Contains("NEWOBJ (0x81)", e.Message, StringComparison.Ordinal);
        Assert.Contains("pickle offset 28", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Checkpoint_Holding_A_State_Dict_Says_Which_Entry_To_Save()
    {
        using var dir = new TempDir();
        // {'model': {}}: PROTO, EMPTY_DICT, BINUNICODE 'model', EMPTY_DICT, SETITEM, STOP.
        var pickle = new Pickle().Proto().Op(0x7d).Str("model").Op(0x7d).Op(0x73).Op(0x2e).Bytes;
        string path = Zip(dir.Combine("checkpoint.pth"), ("archive/data.pkl", pickle));
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Read(path));
        Assert.Contains("torch.save(checkpoint['model'], f)", e.Message, StringComparison.Ordinal);
    }

    // ---- damaged files ----------------------------------------------------------------------------------------------

    [Fact]
    public void A_Truncated_Pth_Is_Named()
    {
        using var dir = new TempDir();
        string path = dir.Combine("cut.pth");
        var bytes = File.ReadAllBytes(Fixture("mixed.pth"));
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Read(path));
        Assert.Contains("'" + path + "' is truncated or damaged", e.Message, StringComparison.Ordinal);

        // A pickle that stops before STOP.
        var pickle = ReadEntry(Fixture("mixed.pth"), "mixed/data.pkl");
        string cut = Zip(dir.Combine("cut-pickle.pth"), ("archive/data.pkl", pickle[..^10]));
        var p = Assert.Throws<DataBlocksException>(() => TorchWeights.Read(cut));
        Assert.Contains("is truncated: its pickle ends", p.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Storage_Entry_Shorter_Than_Its_Elements_Is_Named_With_Its_Tensor()
    {
        using var dir = new TempDir();
        string path = RewriteZip(Fixture("mixed.pth"), dir.Combine("short.pth"), "mixed/data/0", b => b[..40]);   // 96 bytes: 24 floats
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Read(path));
        Assert.Contains("storage '0' of tensor 'encoder.embed.weight'", e.Message, StringComparison.Ordinal);
        Assert.Contains("holds 40 bytes, but its 24 float32 elements take 96: the file is truncated", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6, 0, true)]    // [2, 3] contiguous over 6 elements: fits
    [InlineData(5, 0, false)]   // one element short
    [InlineData(7, 1, true)]    // at offset 1 it needs 7
    [InlineData(6, 1, false)]
    public void A_View_Past_The_End_Of_Its_Storage_Is_Refused(int numel, int offset, bool fits)
    {
        using var dir = new TempDir();
        using var scope = torch.NewDisposeScope();
        var data = new byte[numel * 4];
        for (int i = 0; i < numel; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), i);
        string path = Zip(dir.Combine("view.pth"), ("archive/data.pkl", TensorPickle("w", "FloatStorage", numel, offset, [2, 3], [3, 1])), ("archive/data/0", data));
        if (fits)
        {
            var w = TorchWeights.Read(path)["w"];
            Assert.Equal(Enumerable.Range(offset, 6).Select(i => (float)i), w.data<float>().ToArray());
            return;
        }
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Read(path));
        Assert.Contains($"tensor 'w' [2, 3] at storage offset {offset} needs {6 + offset} elements of storage '0', which holds {numel}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("little", true)]
    [InlineData("big", false)]
    public void The_Byteorder_Entry_Is_Honoured(string order, bool reads)
    {
        using var dir = new TempDir();
        using var scope = torch.NewDisposeScope();
        string path = RewriteZip(Fixture("mixed.pth"), dir.Combine("order.pth"), "mixed/byteorder", _ => Encoding.ASCII.GetBytes(order));
        if (reads)
        {
            AssertMixed(TorchWeights.Read(path));
            return;
        }
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Read(path));
        Assert.Contains("big-endian", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Damaged_Safetensors_Headers_Are_Refused_With_The_Tensor_Named()
    {
        using var dir = new TempDir();
        string Write(string name, string json, int dataBytes)
        {
            var header = Encoding.UTF8.GetBytes(json);
            var bytes = new byte[8 + header.Length + dataBytes];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
            header.CopyTo(bytes, 8);
            string p = dir.Combine(name);
            File.WriteAllBytes(p, bytes);
            return p;
        }
        string Error(string path) => Assert.Throws<DataBlocksException>(() => TorchWeights.Read(path)).Message;

        // Sound: two F32 [2] tensors side by side.
        using (var scope = torch.NewDisposeScope())
            Assert.Equal(["a", "b"], TorchWeights.Read(Write("ok.safetensors",
                """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 16)).Keys);
        Assert.Contains("tensors 'a' [0, 8] and 'b' [4, 12] overlap", Error(Write("overlap.safetensors",
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 16)), StringComparison.Ordinal);
        Assert.Contains("tensor 'b' has data offsets [8, 16] past the end of the data (12 bytes)", Error(Write("past.safetensors",
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 12)), StringComparison.Ordinal);
        Assert.Contains("tensor 'a' is float16 [3], 6 bytes, but its data offsets [0, 8] span 8", Error(Write("length.safetensors",
            """{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}""", 8)), StringComparison.Ordinal);
        Assert.Contains("tensor 'a' is of dtype C64", Error(Write("dtype.safetensors",
            """{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}""", 8)), StringComparison.Ordinal);
        Assert.Contains("is not valid JSON", Error(Write("json.safetensors", """{"a":{"dtype":"F32",""", 8)), StringComparison.Ordinal);

        var full = File.ReadAllBytes(Fixture("mixed.safetensors"));
        string cut = dir.Combine("cut.safetensors");
        File.WriteAllBytes(cut, full[..(full.Length - 5)]);
        Assert.Contains("past the end of the data", Error(cut), StringComparison.Ordinal);
        File.WriteAllBytes(cut, full[..100]);
        Assert.Contains("is truncated: its .safetensors header claims", Error(cut), StringComparison.Ordinal);
    }

    [Fact]
    public void Files_Of_Other_Kinds_Are_Named()
    {
        using var dir = new TempDir();
        Assert.Contains("There is no weights file at", Assert.Throws<DataBlocksException>(() => TorchWeights.Read(dir.Combine("none.pth"))).Message, StringComparison.Ordinal);
        File.WriteAllBytes(dir.Combine("empty.pth"), []);
        Assert.Contains("is empty", Assert.Throws<DataBlocksException>(() => TorchWeights.Read(dir.Combine("empty.pth"))).Message, StringComparison.Ordinal);
        Assert.Contains("is gzip-compressed", Assert.Throws<DataBlocksException>(() => TorchWeights.Read(Fixture("resnet18.pth.gz"))).Message, StringComparison.Ordinal);
        Assert.Contains("neither a PyTorch .pth file", Assert.Throws<DataBlocksException>(() => TorchWeights.Read(Fixture("mixed.json"))).Message, StringComparison.Ordinal);
    }

    // ---- loading into a module --------------------------------------------------------------------------------------

    private static torch.nn.Module<torch.Tensor, torch.Tensor> SmallModel() =>
        torch.nn.Sequential(("fc1", torch.nn.Linear(3, 4)), ("bn", torch.nn.BatchNorm1d(4)), ("fc2", torch.nn.Linear(4, 2)));

    private static Dictionary<string, float[]> Snapshot(torch.nn.Module model) =>
        model.state_dict().ToDictionary(p => p.Key, p => { using var f = p.Value.to(torch.float32); return f.data<float>().ToArray(); });

    private static void AssertUnchanged(Dictionary<string, float[]> before, torch.nn.Module model) =>
        Assert.Equal(before.OrderBy(p => p.Key), Snapshot(model).OrderBy(p => p.Key));

    [Fact]
    public void A_Float64_File_Loads_Into_A_Float32_Model_And_Gives_Pythons_Outputs()
    {
        using var scope = torch.NewDisposeScope();
        using var model = SmallModel();
        var report = TorchWeights.Load(model, Fixture("small_f64.pth"));
        Assert.Equal(["fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight", "fc2.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"],
            report.Loaded);
        Assert.Equal(torch.float32, model.state_dict()["fc1.weight"].dtype);
        Assert.Equal(5L, model.state_dict()["bn.num_batches_tracked"].item<long>());
        Assert.Equal([0.5f, 1.5f, 2.0f, 0.25f], model.state_dict()["bn.running_var"].data<float>().ToArray());

        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture("small_f64.json")));
        float[] Flat(string name) => doc.RootElement.GetProperty(name).EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetSingle()).ToArray();
        model.eval();
        using var noGrad = torch.no_grad();
        var y = model.call(torch.tensor(Flat("input"), [5, 3])).data<float>().ToArray();
        var expected = Flat("output");
        Assert.Equal(10, expected.Length);
        Assert.All(y.Zip(expected), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-6, $"{p.First} vs {p.Second}"));
    }

    /// <summary>The small model's state as Python saved it, changed by <paramref name="change"/>, written as .safetensors.</summary>
    private static string Variant(TempDir dir, Action<Dictionary<string, torch.Tensor>> change)
    {
        using var scope = torch.NewDisposeScope();
        var state = new Dictionary<string, torch.Tensor>(TorchWeights.Read(Fixture("small_f64.pth")));
        change(state);
        string path = dir.Combine($"{Guid.NewGuid():N}.safetensors");
        TorchWeights.SaveSafetensors(state, path);
        return path;
    }

    [Fact]
    public void Num_Batches_Tracked_May_Be_Missing_On_Either_Side()
    {
        using var dir = new TempDir();
        using var scope = torch.NewDisposeScope();

        // The file lacks it: the model keeps its own (0), even when strict.
        string noCounter = Variant(dir, s => s.Remove("bn.num_batches_tracked"));
        using var model = SmallModel();
        var report = TorchWeights.Load(model, noCounter);
        Assert.Equal(["bn.num_batches_tracked"], report.Missing);
        Assert.Equal(0L, model.state_dict()["bn.num_batches_tracked"].item<long>());
        Assert.Equal([0.5f, 1.5f, 2.0f, 0.25f], model.state_dict()["bn.running_var"].data<float>().ToArray());

        // The model lacks it (a norm without a counter): the file's is left out.
        using var norm = new Leaf(("weight", torch.ones(4)), ("bias", torch.zeros(4)), ("running_mean", torch.zeros(4)), ("running_var", torch.ones(4)));
        using var tree = new Tree(("fc1", torch.nn.Linear(3, 4)), ("bn", norm), ("fc2", torch.nn.Linear(4, 2)));
        var other = TorchWeights.Load(tree, Fixture("small_f64.pth"));
        Assert.Equal(["bn.num_batches_tracked"], other.Unexpected);
        Assert.Equal([0.5f, 1.5f, 2.0f, 0.25f], tree.state_dict()["bn.running_var"].data<float>().ToArray());

        // Any integer type loads into the counter.
        string int32Counter = Variant(dir, s => s["bn.num_batches_tracked"] = torch.tensor(9, torch.int32));
        TorchWeights.Load(model, int32Counter);
        Assert.Equal(9L, model.state_dict()["bn.num_batches_tracked"].item<long>());
    }

    [Fact]
    public void Missing_And_Unexpected_Names_Are_Errors_Unless_Not_Strict_And_Change_Nothing()
    {
        using var dir = new TempDir();
        using var scope = torch.NewDisposeScope();
        using var model = SmallModel();
        var before = Snapshot(model);

        string lacking = Variant(dir, s => s.Remove("fc2.bias"));
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Load(model, lacking));
        Assert.Contains($"The weights in '{lacking}' do not fit this model: the file lacks 'fc2.bias'.", e.Message, StringComparison.Ordinal);
        AssertUnchanged(before, model);

        string extra = Variant(dir, s => s["fc3.weight"] = torch.zeros(2, 2));
        e = Assert.Throws<DataBlocksException>(() => TorchWeights.Load(model, extra));
        Assert.Contains("the model has no 'fc3.weight'", e.Message, StringComparison.Ordinal);
        AssertUnchanged(before, model);

        var report = TorchWeights.Load(model, lacking, strict: false);
        Assert.Equal(["fc2.bias"], report.Missing);
        Assert.Equal(before["fc2.bias"], Snapshot(model)["fc2.bias"]);
        Assert.Equal([0.5f, 1.5f, 2.0f, 0.25f], model.state_dict()["bn.running_var"].data<float>().ToArray());
        Assert.Equal(["fc3.weight"], TorchWeights.Load(model, extra, strict: false).Unexpected);
    }

    [Fact]
    public void A_Shape_Mismatch_Names_The_Tensor_And_Changes_Nothing()
    {
        using var dir = new TempDir();
        using var scope = torch.NewDisposeScope();
        using var model = SmallModel();
        var before = Snapshot(model);
        string path = Variant(dir, s => s["fc2.bias"] = torch.zeros(3, torch.float64));
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Load(model, path, strict: false));
        Assert.Contains("'fc2.bias' is [3] in the file but [2] in the model", e.Message, StringComparison.Ordinal);
        AssertUnchanged(before, model);     // fc1, bn and fc2.weight fit, and were not copied either
    }

    [Theory]
    [InlineData("half", "float32", true)]
    [InlineData("bf16", "float32", true)]
    [InlineData("double", "float32", true)]
    [InlineData("encoder.embed.weight", "bfloat16", true)]
    [InlineData("long", "float32", false)]      // integer into floating point
    [InlineData("mask", "float32", false)]      // bool into floating point
    [InlineData("scalar", "int64", false)]      // floating point into integer
    [InlineData("int32", "int64", false)]       // another integer type
    [InlineData("uint8", "bool", false)]
    public void Floating_Point_Types_Convert_And_Others_Must_Match(string name, string modelType, bool loads)
    {
        using var scope = torch.NewDisposeScope();
        var expected = MixedExpected().Single(e => e.Name == name);
        using var holder = new Leaf(("t", torch.zeros(expected.Shape, PythonDtypes[modelType])));
        using var dir = new TempDir();
        string path = dir.Combine("one.safetensors");
        TorchWeights.SaveSafetensors(new Dictionary<string, torch.Tensor> { ["t"] = TorchWeights.Read(Fixture("mixed.pth"))[name] }, path);
        if (loads)
        {
            TorchWeights.Load(holder, path);
            using var d = holder.state_dict()["t"].to(torch.float64);
            var values = expected.Values.Select(v => v.GetDouble()).ToArray();
            if (modelType == "bfloat16") Assert.Equal(values, d.data<double>().ToArray());              // the values are bf16-exact
            else Assert.Equal(values.Select(v => (double)(float)v), d.data<double>().ToArray());       // rounded to float32
            return;
        }
        var e = Assert.Throws<DataBlocksException>(() => TorchWeights.Load(holder, path));
        Assert.Contains($"'t' is {expected.DType} in the file but {modelType} in the model", e.Message, StringComparison.Ordinal);
        Assert.All(holder.state_dict()["t"].to(torch.float64).data<double>().ToArray(), v => Assert.Equal(0.0, v));
    }

    // ---- writing .safetensors ---------------------------------------------------------------------------------------

    [Fact]
    public void Safetensors_Round_Trip_Keeps_Every_Dtype_And_Writes_The_Format()
    {
        using var dir = new TempDir();
        using var scope = torch.NewDisposeScope();
        string path = dir.Combine("mixed.safetensors");
        File.WriteAllText(path, "an older file");
        TorchWeights.SaveSafetensors(TorchWeights.Read(Fixture("mixed.pth")), path, new Dictionary<string, string> { ["format"] = "pt" });
        AssertMixed(TorchWeights.Read(path));
        Assert.Equal(["mixed.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));   // replaced in place, no temporary left

        // The layout, read by hand: header length, JSON, data aligned to 8, tensors back to back in order.
        var bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        Assert.Equal("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        var half = header.RootElement.GetProperty("half");
        Assert.Equal("F16", half.GetProperty("dtype").GetString());
        Assert.Equal([2, 3], half.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        var t = header.RootElement.GetProperty("encoder.embed.weight_t");
        Assert.Equal([96L, 192L], t.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()));   // after the 24 floats of the base
        Assert.Equal(-3f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(8 + n + 96))));           // weight_t[0, 0] = base[0, 0]
        Assert.Equal(0f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(8 + n + 100))));           // weight_t[0, 1] = base[1, 0]
        Assert.Empty(header.RootElement.GetProperty("scalar").GetProperty("shape").EnumerateArray());
    }

    [Fact]
    public void A_Module_Saved_As_Safetensors_Loads_Back()
    {
        using var dir = new TempDir();
        using var scope = torch.NewDisposeScope();
        using var model = SmallModel();
        TorchWeights.Load(model, Fixture("small_f64.pth"));
        string path = dir.Combine("small.safetensors");
        TorchWeights.SaveSafetensors(model, path);
        using var copy = SmallModel();
        TorchWeights.Load(copy, path);
        Assert.Equal(Snapshot(model).OrderBy(p => p.Key), Snapshot(copy).OrderBy(p => p.Key));
        Assert.Equal(5L, copy.state_dict()["bn.num_batches_tracked"].item<long>());
    }

    [Fact]
    public void Safetensors_Refuses_Types_And_Names_It_Cannot_Hold()
    {
        using var dir = new TempDir();
        using var scope = torch.NewDisposeScope();
        Assert.Throws<ArgumentException>(() => TorchWeights.SaveSafetensors(
            new Dictionary<string, torch.Tensor> { ["c"] = torch.zeros(2, torch.complex64) }, dir.Combine("c.safetensors")));
        Assert.Throws<ArgumentException>(() => TorchWeights.SaveSafetensors(
            new Dictionary<string, torch.Tensor> { ["__metadata__"] = torch.zeros(2) }, dir.Combine("m.safetensors")));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    // ---- helpers: hand-made archives and pickles --------------------------------------------------------------------

    /// <summary>A module holding the given tensors as buffers.</summary>
    private sealed class Leaf : torch.nn.Module
    {
        public Leaf(params (string Name, torch.Tensor Value)[] buffers) : base(nameof(Leaf))
        {
            foreach (var (name, value) in buffers) register_buffer(name, value);
        }
    }

    /// <summary>A module of named children.</summary>
    private sealed class Tree : torch.nn.Module
    {
        public Tree(params (string Name, torch.nn.Module Child)[] children) : base(nameof(Tree))
        {
            foreach (var (name, child) in children) register_module(name, child);
        }
    }

    /// <summary>Writes a stored (uncompressed) zip of the given entries, as torch.save does.</summary>
    private static string Zip(string path, params (string Name, byte[] Data)[] entries)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, data) in entries)
        {
            using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            s.Write(data);
        }
        return path;
    }

    private static byte[] ReadEntry(string path, string name)
    {
        using var zip = ZipFile.OpenRead(path);
        using var s = zip.GetEntry(name)!.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>Copies the zip at <paramref name="from"/> with entry <paramref name="name"/> changed (or added, when absent).</summary>
    private static string RewriteZip(string from, string to, string name, Func<byte[], byte[]> change)
    {
        using var source = ZipFile.OpenRead(from);
        var entries = source.Entries.Select(e => (e.FullName, Data: ReadEntry(from, e.FullName))).ToList();
        int i = entries.FindIndex(e => e.FullName == name);
        if (i >= 0) entries[i] = (name, change(entries[i].Data));
        else entries.Add((name, change([])));
        return Zip(to, [.. entries]);
    }

    /// <summary>
    /// The pickle torch.save writes for <c>{name: tensor}</c>, one tensor viewing storage '0' of <paramref name="numel"/>
    /// elements, written opcode by opcode.
    /// </summary>
    private static byte[] TensorPickle(string name, string storageType, long numel, long offset, long[] size, long[] stride)
    {
        var p = new Pickle().Proto().Op(0x7d).Op(0x28).Str(name).Global("torch._utils", "_rebuild_tensor_v2").Op(0x28)
            .Op(0x28).Str("storage").Global("torch", storageType).Str("0").Str("cpu").Int(numel).Op(0x74).Op(0x51)  // BINPERSID
            .Int(offset).Op(0x28);
        foreach (long s in size) p.Int(s);
        p.Op(0x74).Op(0x28);
        foreach (long s in stride) p.Int(s);
        return p.Op(0x74).Op(0x89).Global("collections", "OrderedDict").Op(0x29).Op(0x52)    // requires_grad False, OrderedDict()
            .Op(0x74).Op(0x52).Op(0x75).Op(0x2e).Bytes;                                     // TUPLE, REDUCE, SETITEMS, STOP
    }

    /// <summary>Writes pickle opcodes by hand (protocol 2).</summary>
    private sealed class Pickle
    {
        private readonly MemoryStream _bytes = new();

        public byte[] Bytes => _bytes.ToArray();

        public Pickle Op(byte op)
        {
            _bytes.WriteByte(op);
            return this;
        }

        public Pickle Proto() => Op(0x80).Op(2);

        public Pickle Global(string module, string name)
        {
            Op(0x63);
            _bytes.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
            return this;
        }

        public Pickle Str(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            Op(0x58);
            Span<byte> n = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(n, b.Length);
            _bytes.Write(n);
            _bytes.Write(b);
            return this;
        }

        public Pickle Int(long v)
        {
            Op(0x4a);                   // BININT
            Span<byte> n = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(n, checked((int)v));
            _bytes.Write(n);
            return this;
        }
    }
}
