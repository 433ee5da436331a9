using Xunit;

namespace DataBlocks.Tests;

/// <summary>Torch-heavy tests run one at a time so they do not fight over CI's two cores.</summary>
[CollectionDefinition("Torch", DisableParallelization = true)]
public sealed class TorchCollection
{
}
