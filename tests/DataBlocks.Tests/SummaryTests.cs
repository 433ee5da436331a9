using DataBlocks.Data;
using DataBlocks.TestKit;
using DataBlocks.Vision;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

[Collection("Torch")]
public class SummaryTests
{
    [Fact]
    public void Summary_Describes_Fields_Splits_And_Transforms()
    {
        using var dir = new TempDir();
        var dls = DataLoaders<string>.Create(TestData.ImageCategory(item: new Resize(24)), TestData.Files(TestData.Shapes(dir.Path)),
            new DataLoaderOptions { BatchSize = 8, Seed = 3, Workers = 1, Device = torch.CPU, BatchTransforms = Normalize.Imagenet });
        SnapshotAssert.Matches(dls.Summary(), "summary");
    }
}
