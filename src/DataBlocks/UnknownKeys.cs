namespace DataBlocks;

/// <summary>
/// What to do, at inference, with a categorical key (a user, an item) the training split never had:
/// <see cref="Collab.CollabModel{TUser, TItem}"/>'s predictions and <see cref="Data.DataLoaders{TItem}.TestDataLoader"/> take it.
/// </summary>
public enum UnknownKeys
{
    /// <summary>A <see cref="DataBlocksException"/> naming the key and the item that holds it.</summary>
    Error,

    /// <summary>Cold start: the key maps to the <c>#na#</c> slot (index 0), as fastai maps unknown values silently.</summary>
    UseNa,
}
