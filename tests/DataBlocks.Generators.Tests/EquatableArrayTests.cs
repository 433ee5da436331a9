using DataBlocks.Generators.Model;
using Xunit;

namespace DataBlocks.Generators.Tests;

public class EquatableArrayTests
{
    [Fact]
    public void Equal_Contents_Are_Equal_With_Equal_Hashes()
    {
        var a = new EquatableArray<string>(["x", "y"]);
        var b = new EquatableArray<string>(["x", "y"]);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, new EquatableArray<string>(["y", "x"]));
    }

    [Fact]
    public void Default_Behaves_As_Empty()
    {
        EquatableArray<string> none = default;
        Assert.Empty(none);
        Assert.Equal(new EquatableArray<string>([]), none);
        Assert.Equal(EquatableArray<string>.Empty, none);
    }
}
