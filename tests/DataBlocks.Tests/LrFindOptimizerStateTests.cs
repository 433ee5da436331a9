using DataBlocks.Data;
using DataBlocks.Learning;
using TorchSharp;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>fastai's <c>lr_find</c> calls <c>fit</c> with <c>reset_opt=False</c>: the optimizer's state is used, not dropped.</summary>
[Collection("Torch")]
public class LrFindOptimizerStateTests
{
    [Fact]
    public void LrFind_Starts_From_The_Optimizer_State_It_Finds()
    {
        var options = new DataLoaderOptions { BatchSize = 16, Seed = 1, Workers = 0, Device = torch.CPU, Shuffle = false };
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(options));
        learn.Fit(1, 1e-2);                                   // Adam now holds moments
        var withState = learn.LrFind(numIt: 20);              // restores weights and optimizer afterwards
        learn.Fit(1, 0.0, resetOpt: true);                    // a new optimizer, whose epoch at lr 0 leaves the weights as they were
        var withoutState = learn.LrFind(numIt: 20);
        // The same weights and (unshuffled) batches: the first loss, taken before any step, is the same; the steps, made
        // from other moments, differ. Were the optimizer reset, both runs would be the same.
        Assert.Equal(withState.Losses[0], withoutState.Losses[0]);
        Assert.NotEqual(withState.Losses[10], withoutState.Losses[10]);
    }
}
