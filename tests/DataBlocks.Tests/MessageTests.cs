using System;
using System.Collections.Generic;
using DataBlocks.Learning;
using DataBlocks.TestKit;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>What users read: learning-rate formats, the messages of missing metrics and files, fastai's number format, divergence.</summary>
[Collection("Torch")]
public class MessageTests
{
    [Fact]
    public void Learning_Rates_Print_As_Fastai_Writes_Them()
    {
        Assert.Equal("0.001", ((LR)1e-3).ToString());
        Assert.Equal("slice(0.001)", LR.Slice(1e-3).ToString());
        Assert.Equal("slice(0.0001, 0.001)", LR.Slice(1e-4, 1e-3).ToString());
        Assert.Equal("[0.001, 0.01]", ((LR)new[] { 1e-3, 1e-2 }).ToString());
        var e = Assert.Throws<ArgumentException>(() => ((LR)new[] { 1e-3, 1e-2 }).Expand(3));
        Assert.Equal("Trying to set 2 learning rates, but there are 3 parameter groups.", e.Message);
    }

    [Fact]
    public void A_Missing_Metric_Names_The_Ones_There_Are()
    {
        var row = new EpochResult(0, 1, 2, [new KeyValuePair<string, double>("accuracy", 0.5)], TimeSpan.Zero);
        Assert.Equal(0.5, row.Metric("accuracy"));
        var e = Assert.Throws<KeyNotFoundException>(() => row.Metric("error_rate"));
        Assert.Contains("No metric named 'error_rate'", e.Message);
        Assert.Contains("accuracy", e.Message);
    }

    [Fact]
    public void Numbers_Have_Six_Decimals_And_Nan_Is_Lowercase_As_In_Fastais_Table()
    {
        Assert.Equal("0.123457", EpochTable.Number(0.1234567));
        Assert.Equal("nan", EpochTable.Number(double.NaN));
    }

    [Fact]
    public void Loading_A_Model_That_Was_Never_Saved_Names_The_File()
    {
        using var dir = new TempDir();
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders(), new LearnerOptions { Path = dir.Path });
        var e = Assert.Throws<DataBlocksException>(() => learn.Load("nothing"));
        Assert.Equal($"There is no saved model '{learn.WeightsPath("nothing")}'.", e.Message);
    }

    [Fact]
    public void Divergence_Says_Where_And_What_To_Try()
    {
        using var learn = TinyRegression.OneGroup(TinyRegression.Loaders());
        var e = Assert.Throws<TrainingDivergedException>(() => learn.Fit(1, 1e12));
        Assert.StartsWith($"Training diverged at epoch 0, batch ", e.Message);
        Assert.Contains("The step was not taken", e.Message);
        Assert.Contains("Try a lower learning rate.", e.Message);
    }

    [Fact]
    public void Cancellation_Exceptions_Say_What_They_Cancel()
    {
        Assert.Equal("The batch was cancelled.", new CancelBatchException().Message);
        Assert.Equal("The step was cancelled.", new CancelStepException().Message);
        Assert.Equal("The backward pass was cancelled.", new CancelBackwardException().Message);
        Assert.Equal("The training phase was cancelled.", new CancelTrainException().Message);
        Assert.Equal("The validation phase was cancelled.", new CancelValidException().Message);
        Assert.Equal("The epoch was cancelled.", new CancelEpochException().Message);
        Assert.Equal("The fit was cancelled.", new CancelFitException().Message);
        Assert.Equal("enough", new CancelFitException("enough").Message);
    }
}
