using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>Assertions over lists of tensors (weights, parameters), side by side.</summary>
internal static class TensorAssert
{
    /// <summary>Every tensor equals its counterpart exactly.</summary>
    public static void Same(IEnumerable<torch.Tensor> expected, IEnumerable<torch.Tensor> actual) =>
        Assert.All(Pairs(expected, actual), p => Assert.True(p.First.detach().eq(p.Second.detach()).all().item<bool>(), "the tensors differ"));

    /// <summary>Every tensor is close to its counterpart (<c>allclose</c>).</summary>
    public static void Close(IEnumerable<torch.Tensor> expected, IEnumerable<torch.Tensor> actual, double rtol = 1e-5, double atol = 1e-7) =>
        Assert.All(Pairs(expected, actual), p => Assert.True(p.First.detach().allclose(p.Second.detach(), rtol, atol), "the tensors differ"));

    /// <summary>The tensors side by side: as many on each side, and some (a zip of two empty lists would pass anything).</summary>
    private static (torch.Tensor First, torch.Tensor Second)[] Pairs(IEnumerable<torch.Tensor> a, IEnumerable<torch.Tensor> b)
    {
        torch.Tensor[] left = a.ToArray(), right = b.ToArray();
        Assert.NotEmpty(left);
        Assert.Equal(left.Length, right.Length);
        return left.Zip(right).ToArray();
    }
}
