using System.Collections.Generic;
using System.Linq;
using DataBlocks.Generators.Model;
using static DataBlocks.Generators.Emit.RuntimeNames;
using static DataBlocks.Generators.GeneratedNames;

namespace DataBlocks.Generators.Emit;

/// <summary>The typed types generated next to the DataBlock class: item, batch, prediction, datasets and loaders.</summary>
internal static partial class DataBlockEmitter
{
    private static void EmitItem(SourceWriter w, DataBlockSpec spec)
    {
        w.WriteLine($"/// <summary>An item of <see cref=\"{spec.TypeName}\"/> as its getters see it: one value per block.</summary>");
        foreach (var f in spec.Fields)
            w.WriteLine($"/// <param name=\"{f.Name}\">{Escape(FieldRole(f))}.</param>");
        w.WriteLine(GeneratedCode);
        var parameters = spec.Fields.Select(f => $"{f.GetterReturnType} {Id(f.Name)}").ToArray();
        string header = $"{Keyword(spec.Access)} sealed record {spec.TypeName}{ItemSuffix}";
        var sequences = spec.Fields.Where(f => f.IsSequence).Select(f => f.Name).ToArray();
        if (sequences.Length == 0)
        {
            w.WriteList(header, parameters, ";");
            return;
        }
        w.WriteList(header, parameters);
        using (w.Block())
            EmitPrintMembers(w, spec.Fields.Select(f => (f.Name, f.IsSequence)).ToArray());
    }

    /// <summary>
    /// The record's <c>PrintMembers</c>, so that its ToString lists the values of sequences (<c>Tags = [clear, primary]</c>)
    /// rather than their type names (<c>System.String[]</c>).
    /// </summary>
    private static void EmitPrintMembers(SourceWriter w, IReadOnlyList<(string Name, bool IsSequence)> members)
    {
        using (w.Block("private bool PrintMembers(global::System.Text.StringBuilder builder)"))
        {
            for (int i = 0; i < members.Count; i++)
            {
                var (name, isSequence) = members[i];
                string label = Literal((i == 0 ? "" : ", ") + name + " = ");
                w.WriteLine($"builder.Append({label}).Append({(isSequence ? $"{ListHelper}(this.{Id(name)})" : $"this.{Id(name)}")});");
            }
            w.WriteLine("return true;");
        }
        w.WriteLine();
        w.WriteArrow($"private static string {ListHelper}<T>({Generic}.IEnumerable<T>? values)",
            "values is null ? \"null\" : \"[\" + string.Join(\", \", values) + \"]\"");
    }

    private const string ListHelper = PrivatePrefix + "List";

    private static void EmitBatch(SourceWriter w, DataBlockSpec spec)
    {
        using (GeneratedType(w, $"{Keyword(spec.Access)} sealed class {spec.TypeName}{BatchSuffix} : {IDisposable}",
                   $"A batch of <see cref=\"{spec.TypeName}\"/> on the loader's device. Disposing it disposes its tensors."))
        {
            Doc(w, "Wraps an untyped batch.", ("raw", "The batch; the wrapper takes ownership."));
            w.WriteLine($"public {spec.TypeName}{BatchSuffix}({Data}.Batch raw) => {Raw} = raw;");
            w.Member("The untyped batch (fields in block order).", $"public {Data}.Batch {Raw} {{ get; }}");
            w.Member("The number of items in the batch.", $"public int {Size} => {Raw}.Size;");
            foreach (var f in spec.Fields)
                w.Member($"{Escape(FieldRole(f))}: {Escape(TensorDoc(f))}.", $"public {Tensor} {Id(f.Name)} => {Raw}.Field({Number(f.Position)}, {Literal(f.Name)});");
            w.Member("Disposes the batch's tensors.", $"public void {Dispose}() => {Raw}.Dispose();");
        }
    }

    /// <summary>A prediction type is generated for a single target (when it bound).</summary>
    private static bool HasPrediction(DataBlockSpec spec) => spec.NTargets == 1 && spec.Fields.Any(f => f.Position == spec.NInputs);

    private static FieldSpec Target(DataBlockSpec spec) => spec.Fields.First(f => f.Position == spec.NInputs);

    private static void EmitPrediction(SourceWriter w, DataBlockSpec spec)
    {
        var t = Target(spec);
        string value = Id(t.Name), index = t.Name + IndexSuffix, probabilities = t.Name + ProbabilitiesSuffix;
        w.WriteLine($"/// <summary>A decoded prediction of <see cref=\"{spec.TypeName}\"/>'s target <c>{t.Name}</c>.</summary>");
        (string Type, string Name, string Doc, bool IsSequence)[] members = t.Kind switch
        {
            BlockKind.Category or BlockKind.Categorical =>
            [
                (t.ElementType!, value, "The predicted class.", false),
                ("int", index, "Its index in the vocabulary.", false),
                ("float[]", probabilities, "The probability of every class, vocabulary order.", true),
            ],
            BlockKind.MultiCategory =>
            [
                ($"{Generic}.IReadOnlyList<{t.ElementType}>", value, "The labels whose probability is above the threshold.", true),
                ("float[]", probabilities, "The probability of every label, vocabulary order.", true),
            ],
            BlockKind.Regression => [("float", value, "The predicted value.", false)],
            BlockKind.Point =>
            [
                ($"{Vector2}[]", value, "The predicted points in [-1, 1] image coordinates (-1 = left/top edge, +1 = right/bottom).", true),
            ],
            _ => [("float[]", value, "The activated model outputs.", true)],
        };
        foreach (var m in members)
            w.WriteLine($"/// <param name=\"{m.Name.TrimStart('@')}\">{m.Doc}</param>");
        w.WriteLine(GeneratedCode);
        string header = $"{Keyword(spec.Access)} sealed record {spec.TypeName}{PredictionSuffix}";
        var parameters = members.Select(m => $"{m.Type} {m.Name}").ToArray();
        if (!members.Any(m => m.IsSequence))
        {
            w.WriteList(header, parameters, ";");
            return;
        }
        w.WriteList(header, parameters);
        using (w.Block())
            EmitPrintMembers(w, members.Select(m => (m.Name.TrimStart('@'), m.IsSequence)).ToArray());
    }

    private static void EmitDatasets(SourceWriter w, DataBlockSpec spec)
    {
        string name = spec.TypeName + DatasetsSuffix;
        string item = TypeRef(spec, ItemSuffix);
        using (GeneratedType(w, $"{Keyword(spec.Access)} sealed class {name}",
                   $"The typed datasets of <see cref=\"{spec.TypeName}\"/>: items with their getter values, split, blocks set up.", "fastai: <c>Datasets</c>."))
        {
            Doc(w, "Wraps untyped datasets.", ("inner", "The datasets."));
            w.WriteLine($"public {name}({Data}.Datasets<{spec.ItemType}> inner) => Inner = inner;");
            w.Member("The untyped datasets.", $"public {Data}.Datasets<{spec.ItemType}> Inner {{ get; }}");
            w.Member("The training split, typed.", $"public {Data}.ItemList<{item}> Train => new(Inner.TrainIndices, Item);");
            w.Member("The validation split, typed.", $"public {Data}.ItemList<{item}> Valid => new(Inner.ValidIndices, Item);");
            w.Member("Items left out as bad, with the reason for each.", $"public {Generic}.IReadOnlyList<{Data}.SkippedItem> Skipped => Inner.Skipped;");
            w.WriteLine();
            Doc(w, "The getter values of the item at dataset index <paramref name=\"index\"/>.", ("index", "An index into the items [GetItems] returned."));
            w.WriteList($"public {item} Item(int index) => new", spec.Fields.Select(f => $"Inner.Value<{f.GetterReturnType}>({Number(f.Position)}, index)").ToArray(), ";");
            EmitVocabAccessors(w, spec, codecs: "Inner.Codecs", decode: true);
        }
    }

    private static void EmitDataLoaders(SourceWriter w, DataBlockSpec spec)
    {
        string name = spec.TypeName + DataLoadersSuffix;
        string batch = TypeRef(spec, BatchSuffix);
        using (GeneratedType(w, $"{Keyword(spec.Access)} sealed class {name} : {Data}.DataLoaders<{spec.ItemType}, {batch}>",
                   $"The training and validation loaders of <see cref=\"{spec.TypeName}\"/>, handing out <see cref=\"{spec.TypeName}{BatchSuffix}\"/>.",
                   "fastai: <c>DataLoaders</c>."))
        {
            Doc(w, $"Builds datasets and loaders; <c>{spec.TypeName}.{DataLoaders}(...)</c> calls this.",
                ("definition", "The DataBlock definition."), ("items", "The items."), ("options", "Loader options."));
            w.WriteList($"public {name}",
                [$"{Data}.DataBlockDefinition<{spec.ItemType}> definition", $"{Generic}.IEnumerable<{spec.ItemType}> items", $"{Data}.DataLoaderOptions options"]);
            w.WriteLine($"    : base(definition, items, options, static raw => new {batch}(raw))");
            w.WriteLine("{");
            w.WriteLine("}");
            w.Member("The typed datasets behind the loaders.", $"public {TypeRef(spec, DatasetsSuffix)} TypedDatasets => new(Datasets);");
            EmitVocabAccessors(w, spec, codecs: "Codecs", decode: false);
            if (HasPrediction(spec)) EmitDecodePredictions(w, spec);
        }
    }

    /// <summary>Each vocabulary field's codec (cast once, in a private property), its vocabulary, and in the datasets its decoder.</summary>
    private static void EmitVocabAccessors(SourceWriter w, DataBlockSpec spec, string codecs, bool decode)
    {
        foreach (var f in spec.Fields)
        {
            if (CodecType(f) is not { } codec) continue;
            w.WriteLine();
            w.WriteArrow($"private {codec} {CodecMember(f)}", $"({codec}){codecs}[{Number(f.Position)}]");
            w.Member($"The {(f.Kind == BlockKind.MultiCategory ? "labels" : "classes")} of <c>{f.Name}</c> in index order, built from the training split.",
                $"public {Data}.Vocab<{f.ElementType}> {f.Name}{VocabSuffix} => {CodecMember(f)}.Vocab;");
            if (decode && f.Kind is BlockKind.Category or BlockKind.Categorical)
            {
                w.WriteLine();
                Doc(w, $"The value of an encoded <c>{f.Name}</c> index.", ("index", "A class index."));
                w.WriteLine($"public {f.ElementType} {DecodePrefix}{f.Name}(long index) => {f.Name}{VocabSuffix}.Decode(index);");
            }
        }
    }

    private static string CodecMember(FieldSpec f) => PrivatePrefix + f.Name + CodecSuffix;

    private static void EmitDecodePredictions(SourceWriter w, DataBlockSpec spec)
    {
        var t = Target(spec);
        string prediction = TypeRef(spec, PredictionSuffix);
        w.WriteLine();
        Doc(w, "Decodes activated predictions (e.g. from <c>Learner.GetPreds</c>), one per row.",
            ("activated", "Model outputs after the loss's activation, batch dimension first."));
        w.WriteList($"public {Generic}.IReadOnlyList<{prediction}> DecodePredictions", [$"{Tensor} activated"]);
        using (w.Block())
        {
            w.WriteLine($"float[][] rows = {Data}.Predictions.Rows(activated);");
            w.WriteLine($"var result = new {prediction}[rows.Length];");
            using (w.Block("for (int i = 0; i < rows.Length; i++)"))
            {
                switch (t.Kind)
                {
                    case BlockKind.Category:
                    case BlockKind.Categorical:
                        w.WriteLine($"int best = {Data}.Predictions.ArgMax(rows[i]);");
                        w.WriteLine($"result[i] = new {prediction}({t.Name}{VocabSuffix}.Decode(best), best, rows[i]);");
                        break;
                    case BlockKind.MultiCategory:
                        w.WriteLine($"result[i] = new {prediction}({CodecMember(t)}.Decode(rows[i]), rows[i]);");
                        break;
                    case BlockKind.Regression:
                        w.WriteLine($"result[i] = new {prediction}(rows[i][0]);");
                        break;
                    case BlockKind.Point:
                        w.WriteLine($"result[i] = new {prediction}({PointPredictionsType}.Decode(rows[i]));");
                        break;
                    default:
                        w.WriteLine($"result[i] = new {prediction}(rows[i]);");
                        break;
                }
            }
            w.WriteLine("return result;");
        }
    }

    /// <summary>A generated type: its summary, [GeneratedCode], and its body (closed when disposed).</summary>
    private static System.IDisposable GeneratedType(SourceWriter w, string header, params string[] summary)
    {
        w.Summary(summary);
        w.WriteLine(GeneratedCode);
        return w.Block(header);
    }

    /// <summary>A member's summary and parameter docs.</summary>
    private static void Doc(SourceWriter w, string summary, params (string Name, string Doc)[] parameters)
    {
        w.Summary(summary);
        foreach (var (name, doc) in parameters) w.WriteLine($"/// <param name=\"{name}\">{doc}</param>");
    }

    private static string FieldRole(FieldSpec f) =>
        $"<c>{f.Name}</c> ({f.BlockName}, {(f.IsInput ? "input" : "target")})";

    private static string TensorDoc(FieldSpec f) => f.Kind switch
    {
        BlockKind.Image => "float32 [B, 3, H, W], in [0, 1] before any Normalize",
        BlockKind.Category => $"int64 [B], class indices into {f.Name}{VocabSuffix}",
        BlockKind.MultiCategory => $"float32 [B, C], one-hot over {f.Name}{VocabSuffix}",
        BlockKind.Regression => "float32 [B]",
        BlockKind.RegressionVector => "float32 [B, N]",
        BlockKind.Point => "float32 [B, N, 2], points in [-1, 1] relative to the image",
        BlockKind.Categorical => $"int64 [B], indices into {f.Name}{VocabSuffix} (0 = #na#, unknown)",
        _ => $"as collated by {f.BlockName}",
    };
}
