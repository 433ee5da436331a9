namespace DataBlocks;

/// <summary>
/// What kind of data a block produces, next to <see cref="Blocks"/>: transforms use it to find the fields they act on
/// (<see cref="Data.IFieldCodec.Kind"/>); the data layer only carries it.
/// </summary>
public enum FieldKind
{
    /// <summary>An image: collated to <c>uint8 [B, 3, H, W]</c>, floated on the device.</summary>
    Image,

    /// <summary>A single label: collated to <c>int64 [B]</c> class indices.</summary>
    Category,

    /// <summary>Several labels: collated to a <c>float32 [B, C]</c> one-hot matrix.</summary>
    MultiCategory,

    /// <summary>Numbers to regress: <c>float32 [B]</c> or <c>[B, N]</c>.</summary>
    Regression,

    /// <summary>Keypoints: <c>float32 [B, N, 2]</c> in [-1, 1] relative to the image.</summary>
    Points,

    /// <summary>A categorical input (collaborative filtering ids): <c>int64 [B]</c>, index 0 = unknown.</summary>
    Categorical,

    /// <summary>A user-defined block.</summary>
    Custom,
}
