using System.Collections.Generic;

namespace DataBlocks.Serialization;

/// <summary>What <see cref="TorchWeights.Load"/> did: PyTorch's <c>load_state_dict</c> result, with the names it loaded.</summary>
/// <param name="Loaded">The module's names whose tensors were copied from the file, in the module's order.</param>
/// <param name="Missing">The module's names the file lacks, left as they were (only <c>num_batches_tracked</c> counters unless not strict).</param>
/// <param name="Unexpected">The file's names the module lacks, ignored (only <c>num_batches_tracked</c> counters unless not strict).</param>
public sealed record WeightsLoadReport(IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);
