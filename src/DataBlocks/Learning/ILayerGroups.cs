using System.Collections.Generic;
using TorchSharp.Modules;

namespace DataBlocks.Learning;

/// <summary>A model that knows its layer groups (body first, head last), for discriminative learning rates and freezing.</summary>
public interface ILayerGroups
{
    /// <summary>The parameters of each group.</summary>
    IReadOnlyList<IReadOnlyList<Parameter>> LayerGroups();
}
