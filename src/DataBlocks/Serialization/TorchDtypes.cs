using System.Collections.Generic;
using System.Linq;
using TorchSharp;

namespace DataBlocks.Serialization;

/// <summary>The element types PyTorch weight files hold, under their names in each format.</summary>
internal static class TorchDtypes
{
    /// <summary>PyTorch's storage classes (<c>torch.FloatStorage</c> without <c>torch.</c>) and their element types.</summary>
    public static readonly IReadOnlyList<(string Storage, torch.ScalarType DType)> StorageTypes =
    [
        ("FloatStorage", torch.ScalarType.Float32),
        ("DoubleStorage", torch.ScalarType.Float64),
        ("HalfStorage", torch.ScalarType.Float16),
        ("BFloat16Storage", torch.ScalarType.BFloat16),
        ("LongStorage", torch.ScalarType.Int64),
        ("IntStorage", torch.ScalarType.Int32),
        ("ShortStorage", torch.ScalarType.Int16),
        ("CharStorage", torch.ScalarType.Int8),
        ("ByteStorage", torch.ScalarType.Byte),
        ("BoolStorage", torch.ScalarType.Bool),
    ];

    /// <summary>The safetensors dtype names DataBlocks reads and writes, and their element types.</summary>
    public static readonly IReadOnlyList<(string Name, torch.ScalarType DType)> SafetensorsTypes =
    [
        ("F32", torch.ScalarType.Float32),
        ("F64", torch.ScalarType.Float64),
        ("F16", torch.ScalarType.Float16),
        ("BF16", torch.ScalarType.BFloat16),
        ("I64", torch.ScalarType.Int64),
        ("I32", torch.ScalarType.Int32),
        ("I16", torch.ScalarType.Int16),
        ("I8", torch.ScalarType.Int8),
        ("U8", torch.ScalarType.Byte),
        ("BOOL", torch.ScalarType.Bool),
    ];

    /// <summary>The bytes one element takes.</summary>
    public static int Size(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Float64 or torch.ScalarType.Int64 => 8,
        torch.ScalarType.Float32 or torch.ScalarType.Int32 => 4,
        torch.ScalarType.Float16 or torch.ScalarType.BFloat16 or torch.ScalarType.Int16 => 2,
        _ => 1,
    };

    /// <summary>Whether values of this type are floating-point numbers.</summary>
    public static bool IsFloat(torch.ScalarType dtype) =>
        dtype is torch.ScalarType.Float16 or torch.ScalarType.BFloat16 or torch.ScalarType.Float32 or torch.ScalarType.Float64;

    /// <summary>PyTorch's name of the type (<c>float32</c>, <c>bfloat16</c>, <c>int64</c>, <c>uint8</c>, <c>bool</c>).</summary>
    public static string Name(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Float32 => "float32",
        torch.ScalarType.Float64 => "float64",
        torch.ScalarType.Float16 => "float16",
        torch.ScalarType.BFloat16 => "bfloat16",
        torch.ScalarType.Int64 => "int64",
        torch.ScalarType.Int32 => "int32",
        torch.ScalarType.Int16 => "int16",
        torch.ScalarType.Int8 => "int8",
        torch.ScalarType.Byte => "uint8",
        torch.ScalarType.Bool => "bool",
        _ => dtype.ToString(),
    };

    /// <summary>The safetensors name of <paramref name="dtype"/>, or null when safetensors files here cannot hold it.</summary>
    public static string? SafetensorsName(torch.ScalarType dtype) =>
        SafetensorsTypes.Where(t => t.DType == dtype).Select(t => t.Name).FirstOrDefault();
}
