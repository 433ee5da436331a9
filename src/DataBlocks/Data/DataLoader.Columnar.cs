using System;
using System.Collections.Generic;
using System.Threading;
using TorchSharp;

namespace DataBlocks.Data;

/// <summary>The columnar path (see <see cref="DataLoader.IsColumnar"/>): batches as index slices of the encoded split.</summary>
public partial class DataLoader
{
    private IEnumerable<Batch> Columnar(int[][] batches, CollationFusion fusion) => Owned(batches.Length, k => ColumnarBatch(batches[k], fusion));

    /// <summary>One batch as index slices of the encoded split (see <see cref="IsColumnar"/>).</summary>
    private Batch ColumnarBatch(int[] positions, CollationFusion fusion)
    {
        var tensors = new torch.Tensor[_fieldCount];
        var rows = new long[positions.Length];
        for (int i = 0; i < rows.Length; i++) rows[i] = positions[i];
        using (var scope = torch.NewDisposeScope())
        {
            var index = torch.tensor(rows, device: Device);
            lock (_columnsLock)   // a Dispose on another thread waits for the slices (cheap: index_select on small batches)
            {
                var columns = Columns();
                for (int f = 0; f < tensors.Length; f++) tensors[f] = columns[f].index_select(0, index).DetachFromDisposeScope();
            }
        }
        int[] indices = ToIndices(positions);
        var items = new string[indices.Length];
        for (int i = 0; i < items.Length; i++) items[i] = _datasets.ItemName(indices[i]);
        return WithDeviceTransforms(new Batch(tensors, _nInputs, _codecs, indices, items), fusion);
    }

    /// <summary>The split's fields, encoded and collated once into tensors on the device.</summary>
    private torch.Tensor[] Columns()
    {
        lock (_columnsLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_columns is not null) return _columns;
            // The whole split as one batch: a columnar loader has no item transforms and no images, so Build only
            // encodes and collates.
            using var host = Build(_indices, epoch: 0, batchNumber: 0, Volatile.Read(ref _fusion));
            var tensors = new torch.Tensor[_fieldCount];
            try
            {
                using var scope = torch.NewDisposeScope();
                for (int f = 0; f < _fieldCount; f++) tensors[f] = host.Fields[f].ToTensor(Device).DetachFromDisposeScope();
            }
            catch
            {
                foreach (var t in tensors) t?.Dispose();
                throw;
            }
            return _columns = tensors;
        }
    }
}
