using System.Collections.Generic;
using System.Linq;
using DataBlocks.Data;

namespace DataBlocks.Learning;

/// <summary>Whether new loaders can replace a learner's (<see cref="Learner.SetData"/>).</summary>
internal static class DataChecks
{
    /// <summary>
    /// Refuses <paramref name="next"/> unless its fields match <paramref name="current"/>'s one for one: as many inputs
    /// and fields, each of the same kind with the same number of outputs, and the same classes in the same order.
    /// </summary>
    /// <exception cref="DataBlocksException">A difference, named with the field and both sides.</exception>
    public static void CheckCompatible(DataLoaders current, DataLoaders next)
    {
        string Prefix() => $"SetData: {next.Datasets.Name} cannot replace {current.Datasets.Name}";
        if (next.NInputs != current.NInputs || next.Codecs.Count != current.Codecs.Count)
            throw new DataBlocksException(
                $"{Prefix()}: it has {next.NInputs} input(s) of {next.Codecs.Count} field(s), the learner's data {current.NInputs} of {current.Codecs.Count}.");
        for (int f = 0; f < next.Codecs.Count; f++)
        {
            IFieldCodec a = current.Codecs[f], b = next.Codecs[f];
            if (a.Kind != b.Kind)
                throw new DataBlocksException($"{Prefix()}: field {f} is {b.Field.Name} ({b.Kind}), the learner's {a.Field.Name} ({a.Kind}).");
            if (a.OutputCount != b.OutputCount)
                throw new DataBlocksException(
                    $"{Prefix()}: {b.Field.Name} needs {b.OutputCount} output(s), the learner's {a.Field.Name} {a.OutputCount}.");
            if (a is IVocabCodec va && b is IVocabCodec vb && !va.Classes.SequenceEqual(vb.Classes))
            {
                int at = Enumerable.Range(0, va.Classes.Count).First(i => i >= vb.Classes.Count || va.Classes[i] != vb.Classes[i]);
                throw new DataBlocksException(
                    $"{Prefix()}: the classes of {b.Field.Name} differ from the learner's at index {at} " +
                    $"('{(at < vb.Classes.Count ? vb.Classes[at] : "none")}' against '{va.Classes[at]}'); the head's outputs would mean other classes.");
            }
        }
    }
}
