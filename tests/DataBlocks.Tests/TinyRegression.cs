using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using DataBlocks.BlockTypes;
using DataBlocks.Data;
using DataBlocks.Learning;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace DataBlocks.Tests;

/// <summary>
/// The setup of fastai's recorded traces (trace_notes.md): y = 2x + 1 on 160 training and 32 validation points, batch
/// size 16 with drop_last → exactly 10 training batches per epoch; a linear model with one or three layer groups.
/// </summary>
internal static class TinyRegression
{
    public static DataLoaders<float> Loaders(int seed = 1, int train = 160, int valid = 32, int bs = 16) =>
        Loaders(new DataLoaderOptions { BatchSize = bs, Seed = seed, Workers = 0, Device = torch.CPU }, train, valid);

    /// <summary>The same data (seeded by <see cref="DataLoaderOptions.Seed"/>) with other loader options.</summary>
    public static DataLoaders<float> Loaders(DataLoaderOptions options, int train = 160, int valid = 32)
    {
        var random = new Random(options.Seed ?? 1);
        var xs = Enumerable.Range(0, train + valid).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var definition = new DataBlockDefinition<float>("Line",
            [
                new FieldDefinition<float, IEnumerable<float>>("X", "Line.X", true, x => [x], new RegressionVectorBlock<float>()),
                new FieldDefinition<float, float>("Y", "Line.Y", false, x => 2 * x + 1, new RegressionBlock<float>()),
            ],
            new IndexSplitter(Enumerable.Range(train, valid)));
        return DataLoaders<float>.Create(definition, xs, options);
    }

    /// <summary>One group: a single linear layer.</summary>
    public static Learner OneGroup(DataLoaders dls, LearnerOptions? options = null) =>
        new(dls, Linear(1, 1), options: Quiet(options));

    /// <summary>Three groups: Linear(1,4)+BN | Linear(4,4)+BN | Linear(4,1), as the discriminative-lr trace's model.</summary>
    public static Learner ThreeGroups(DataLoaders dls, LearnerOptions? options = null)
    {
        var model = Sequential(("l0", Linear(1, 4)), ("bn0", BatchNorm1d(4)), ("l1", Linear(4, 4)), ("bn1", BatchNorm1d(4)), ("l2", Linear(4, 1)));
        return new Learner(dls, model, options: Quiet(options) with { Splitter = Split });
    }

    private static IEnumerable<IEnumerable<Parameter>> Split(torch.nn.Module<torch.Tensor, torch.Tensor> model)
    {
        var children = ((Sequential)model).named_children().ToDictionary(c => c.name, c => c.module);
        yield return children["l0"].parameters().Concat(children["bn0"].parameters());
        yield return children["l1"].parameters().Concat(children["bn1"].parameters());
        yield return children["l2"].parameters();
    }

    /// <summary>Options that print nothing.</summary>
    public static readonly LearnerOptions Silent = new() { Output = null, Progress = ProgressMode.Silent };

    private static LearnerOptions Quiet(LearnerOptions? options) =>
        (options ?? new LearnerOptions()) with { Output = null, Progress = ProgressMode.Silent };

    /// <summary>Copies of the model's parameters, in order.</summary>
    public static torch.Tensor[] Weights(Learner learn) => learn.Model.parameters().Select(p => p.detach().clone()).ToArray();

    /// <summary>Rows of a fastai trace CSV as numbers keyed by column.</summary>
    public static IReadOnlyList<Dictionary<string, string>> Csv(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "fastai", file));
        var header = SplitCsv(lines[0]);
        return lines.Skip(1).Where(l => l.Length > 0)
            .Select(l => header.Zip(SplitCsv(l)).ToDictionary(p => p.First, p => p.Second)).ToArray();
    }

    public static double D(string value) => double.Parse(value, CultureInfo.InvariantCulture);

    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        bool quoted = false;
        var current = new System.Text.StringBuilder();
        foreach (char c in line)
        {
            if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { fields.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        fields.Add(current.ToString());
        return fields.ToArray();
    }
}

/// <summary>Records the optimizer's hyper-parameters as the step of each training batch sees them (after the schedulers, order 61).</summary>
internal sealed class HyperTrace : Callback
{
    public List<double[]> Lrs { get; } = [];
    public List<double> Moms { get; } = [];

    public override int Order => 61;

    public override void BeforeBatch()
    {
        if (!Learner.Training) return;
        Lrs.Add(Learner.Optimizer!.Lr.ToArray());
        Moms.Add(Learner.Optimizer.Mom[^1]);
    }
}

/// <summary>The crash a test simulates (a killed process) to check that a fit resumes from its checkpoint.</summary>
internal sealed class SimulatedCrash() : Exception("killed");

/// <summary>
/// Crashes fit number <c>fit</c> (1-based; FineTune makes two) as epoch <c>epoch</c> begins, after the checkpoint of the
/// previous epoch was written.
/// </summary>
internal sealed class CrashAtEpoch(int epoch, int fit = 1) : Callback
{
    private int _fits;

    public override int Order => 90;

    public override void BeforeFit() => _fits++;

    public override void BeforeEpoch()
    {
        if (_fits == fit && Learner.Epoch == epoch) throw new SimulatedCrash();
    }
}

/// <summary>
/// The norm of the gradients the optimizer steps (the fp32 masters under mixed precision) at each step, and how many
/// groups had any: GradientClip clips in AfterBackward, before any BeforeStep.
/// </summary>
internal sealed class GradNorm : Callback
{
    public List<double> Norms { get; } = [];

    public int Groups { get; private set; }

    public override void BeforeStep()
    {
        double sum = 0;
        int groups = 0;
        foreach (var group in Learner.Optimizer!.Groups)
        {
            bool any = false;
            foreach (var p in group)
            {
                using var g = p.grad;
                if (g is null) continue;
                any = true;
                sum += g.pow(2).sum().item<float>();
            }
            if (any) groups++;
        }
        Groups = Math.Max(Groups, groups);
        Norms.Add(Math.Sqrt(sum));
    }
}
