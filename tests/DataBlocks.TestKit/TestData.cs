using System.Collections.Generic;
using System.IO;
using DataBlocks.BlockTypes;
using DataBlocks.Data;
using DataBlocks.Synthetic;
using DataBlocks.Vision;

namespace DataBlocks.TestKit;

/// <summary>Small synthetic datasets and hand-built definitions for runtime tests.</summary>
public static class TestData
{
    /// <summary>A tiny shapes dataset (train/valid folders of 32×32 JPEGs) under <paramref name="root"/>.</summary>
    public static string Shapes(string root, int trainPerClass = 8, int validPerClass = 4, int size = 32, IReadOnlyList<string>? shapes = null) =>
        ShapesDataset.Generate(root, trainPerClass, validPerClass, size, shapes ?? ["circle", "square", "triangle"], seed: 7);

    /// <summary>A hand-written (ImageBlock, CategoryBlock) definition over file paths, labelled by folder, split by grandparent.</summary>
    public static DataBlockDefinition<string> ImageCategory(ISplitter? splitter = null, IItemTransform? item = null,
        System.Func<string, string>? label = null) =>
        new("Shapes",
            [
                new FieldDefinition<string, string>("Image", "Shapes.Image", true, p => p, new ImageFileBlock()),
                new FieldDefinition<string, string>("Shape", "Shapes.Shape", false, label ?? Label.FromParentFolder, new CategoryBlock<string>()),
            ],
            splitter ?? new GrandparentSplitter(),
            item is null ? null : [item]);

    /// <summary>Every image file under <paramref name="root"/>.</summary>
    public static IReadOnlyList<string> Files(string root) => ImageFiles.Under(root);

    /// <summary>
    /// Overwrites <paramref name="path"/> with the start of a JPEG that breaks off after its first marker: a file the
    /// decoder takes for a JPEG and fails on (<see cref="SyntheticImages.WriteGarbage"/> is not recognised as any format).
    /// </summary>
    public static void Damage(string path) => File.WriteAllBytes(path, [0xFF, 0xD8, 0xFF, 0x00, 0x01]);
}
