namespace DataBlocks.Data;

/// <summary>
/// A transform applied to a whole batch on the loader's device, after collation (fastai: a <c>batch_tfms</c> entry).
/// Transforms run in ascending <see cref="Order"/>; decoding (for display) runs the inverse in descending order.
/// </summary>
public interface IBatchTransform
{
    /// <summary>Sort key (fastai: <c>IntToFloatTensor</c> 10, <c>Normalize</c> 99).</summary>
    int Order { get; }

    /// <summary>A short description for summaries.</summary>
    string Name { get; }

    /// <summary>Transforms the batch in place (replace field tensors with <see cref="Batch.Replace"/>).</summary>
    void Encode(Batch batch, bool isTraining);

    /// <summary>Undoes <see cref="Encode"/> where it can (de-normalising), for display.</summary>
    void Decode(Batch batch);
}
