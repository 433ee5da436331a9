using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using DataBlocks.Generators.Diagnostics;
using DataBlocks.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DataBlocks.Generators.Parsing;

/// <summary>
/// Reads a [Block] class into a <see cref="DataBlockSpec"/> and the diagnostics found on the way. The only code that
/// touches symbols and syntax. Never throws on user mistakes: every problem becomes a diagnostic.
/// </summary>
internal static class DataBlockParser
{
    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var parser = new Parser(context, ct);
        var spec = parser.Run();
        return new ParseResult(spec, parser.Diagnostics.ToEquatableArray());
    }

    private sealed class Parser
    {
        private readonly GeneratorAttributeSyntaxContext _context;
        private readonly CancellationToken _ct;
        private readonly INamedTypeSymbol _class;
        private readonly TypeDeclarationSyntax _syntax;
        private readonly Compilation _compilation;
        private readonly List<Diagnostic> _diagnostics = new();

        public Parser(GeneratorAttributeSyntaxContext context, CancellationToken ct)
        {
            _context = context;
            _ct = ct;
            _class = (INamedTypeSymbol)context.TargetSymbol;
            _syntax = (TypeDeclarationSyntax)context.TargetNode;
            _compilation = context.SemanticModel.Compilation;
        }

        public List<Diagnostic> Diagnostics => _diagnostics;

        /// <summary>An error was reported, or the compiler already reports one we must not pile onto.</summary>
        private bool HasErrors => _compilerError || _diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);

        /// <summary>The compiler reports an error in the [Block] attribute itself.</summary>
        private bool _compilerError;

        /// <summary>No code can be generated at all: generated code would declare other types or clash with the user's.</summary>
        private bool _fatal;

        private string ClassName => _class.Name;

        /// <summary>
        /// The spec to emit, or null when nothing can be. A class with errors still gets its generated types (with members
        /// that throw) so that the user sees the one DBxxxx error, not a CS0117/CS0246 at every use of them.
        /// </summary>
        public DataBlockSpec? Run()
        {
            var version = ((CSharpParseOptions)_syntax.SyntaxTree.Options).LanguageVersion;
            if (version < LanguageVersion.CSharp9)
            {
                Report(DiagnosticDescriptors.LanguageVersionTooOld, _syntax.Identifier.GetLocation(), ClassName, version.ToDisplayString());
                return null;
            }

            if (_class.TypeKind != TypeKind.Class) return null;   // [Block] is class-only: the compiler reports CS0592
            CheckDeclaration();
            CheckReservedNames();
            var blocks = ReadBlocks(out int nInputs);
            var members = CollectMembers();
            CheckBaseClassMembers();

            var itemType = ReadItemType(members, out GetItemsSpec? getItems);
            var fields = new List<FieldSpec>();
            if (blocks is not null)
            {
                var inputGetters = AssignGetters(members.GetX, "GetX", nInputs, "input", out bool inputRejected);
                var targetGetters = AssignGetters(members.GetY, "GetY", blocks.Count - nInputs, "target", out bool targetRejected);
                if (itemType is not null) fields = BindFields(blocks, nInputs, itemType, inputGetters, targetGetters, inputRejected, targetRejected);
            }
            var splitter = ReadSplitter(members.Splitters, itemType);
            var itemTransforms = ReadTransforms(members.ItemTransforms, "ItemTransforms", KnownNames.IItemTransform, KnownNames.IBatchTransform, "BatchTransforms");
            var batchTransforms = ReadTransforms(members.BatchTransforms, "BatchTransforms", KnownNames.IBatchTransform, KnownNames.IItemTransform, "ItemTransforms");

            if (itemType is not null && !CheckAccessible(itemType, "the item type")) itemType = null;
            if (_fatal) return null;

            return new DataBlockSpec(
                HintName(),
                _class.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
                ContainingTypes(),
                ClassName,
                _class.IsRecord ? DeclarationKind.Record : DeclarationKind.Class,
                BlockCatalog.Name(_class),
                DeclaredAccessOf(_class.DeclaredAccessibility, nested: _class.ContainingType is not null),
                itemType is null ? "object" : BlockCatalog.Name(BlockCatalog.NotAnnotated(itemType)),
                getItems,
                fields.ToEquatableArray(),
                nInputs,
                blocks?.Count - nInputs ?? 0,
                splitter,
                itemTransforms,
                batchTransforms,
                IsPartial: _syntax.Modifiers.Any(SyntaxKind.PartialKeyword),
                Error: ErrorSummary());
        }

        /// <summary>What the generated members say when they are called although the class has errors; null when it has none.</summary>
        private string? ErrorSummary()
        {
            if (!HasErrors) return null;
            var first = _diagnostics.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
            return first is null
                ? $"The [Block] attribute of '{ClassName}' does not compile; fix the compiler's error first."
                : $"'{ClassName}' has DataBlocks errors, the first being {first.Id}: {first.GetMessage(CultureInfo.InvariantCulture)}";
        }

        // ---- declaration ------------------------------------------------------------------------------------------

        private void CheckDeclaration()
        {
            if (!_syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
                Report(DiagnosticDescriptors.ClassMustBePartial, _syntax.Identifier.GetLocation(), ClassName);
            if (_class.TypeParameters.Length > 0)
                Fatal(DiagnosticDescriptors.ClassIsGeneric, _syntax.Identifier.GetLocation(), ClassName, "it is generic");
            if (_class.IsFileLocal)
                Fatal(DiagnosticDescriptors.ClassIsFileLocal, _syntax.Identifier.GetLocation(), ClassName);
            for (var outer = _class.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                if (outer.TypeParameters.Length > 0)
                    Fatal(DiagnosticDescriptors.ClassIsGeneric, _syntax.Identifier.GetLocation(), ClassName,
                        $"it is nested in the generic type '{outer.Name}'");
                bool partial = outer.DeclaringSyntaxReferences.All(r =>
                    r.GetSyntax(_ct) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial)
                    Fatal(DiagnosticDescriptors.ContainingTypeNotPartial, _syntax.Identifier.GetLocation(), ClassName, outer.Name);
                if (outer.IsFileLocal)   // only a top-level type carries 'file': a class nested in one is as local
                    Fatal(DiagnosticDescriptors.ClassIsFileLocal, _syntax.Identifier.GetLocation(), ClassName);
            }
        }

        /// <summary>The members the generator adds to the class and the types it adds next to it must be free.</summary>
        private void CheckReservedNames()
        {
            foreach (string member in GeneratedNames.ClassMembers)
            {
                var existing = _class.GetMembers(member).FirstOrDefault(m => !m.IsImplicitlyDeclared);
                if (existing is not null)
                    Fatal(DiagnosticDescriptors.NameTaken, Location(existing), "Member", member, $"the member '{ClassName}.{member}'");
            }
            foreach (string suffix in GeneratedNames.TypeSuffixes)
            {
                string name = ClassName + suffix;
                var siblings = _class.ContainingType is { } outer
                    ? outer.GetTypeMembers(name)
                    : _class.ContainingNamespace.GetTypeMembers(name);
                var clash = siblings.FirstOrDefault(t => t.Arity == 0 && t.DeclaringSyntaxReferences.Length > 0);
                if (clash is not null)
                    Fatal(DiagnosticDescriptors.NameTaken, Location(clash), "Type", name, $"the type '{name}' next to '{ClassName}'");
            }
        }

        private sealed record Block(string? BuiltIn, INamedTypeSymbol? Custom, ITypeSymbol? CustomValueType, Location Location)
        {
            public string Display => BuiltIn ?? Custom!.Name;
        }

        private List<Block>? ReadBlocks(out int nInputs)
        {
            nInputs = 1;
            var attribute = _context.Attributes[0];
            var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(_ct) as AttributeSyntax;
            var attributeLocation = attributeSyntax?.GetLocation() ?? _syntax.Identifier.GetLocation();
            var args = attributeSyntax?.ArgumentList?.Arguments.Where(a => a.NameEquals is null).ToArray() ?? [];

            // When an argument does not bind (an ambiguous or unknown name), the compiler reports it; say nothing more.
            if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error)
                || attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Array && !a.IsNull && a.Values.Any(v => v.Kind == TypedConstantKind.Error)))
            {
                _compilerError = true;
                return null;
            }

            // [Block] on two partial declarations: the compiler reports the duplicate (CS0579); generate nothing.
            if (_class.GetAttributes().Count(a => a.AttributeClass?.ToDisplayString() == KnownNames.BlockAttribute) > 1)
            {
                _compilerError = _fatal = true;   // and each declaration would emit a file of the same name
                return null;
            }

            var values = new List<TypedConstant>();
            foreach (var arg in attribute.ConstructorArguments)
            {
                if (arg.Kind == TypedConstantKind.Array && !arg.IsNull) values.AddRange(arg.Values);
                else values.Add(arg);
            }

            var blocks = new List<Block>();
            bool ok = true;
            for (int i = 0; i < values.Count; i++)
            {
                _ct.ThrowIfCancellationRequested();
                var location = args.Length == values.Count ? args[i].GetLocation() : attributeLocation;
                var value = values[i];
                if (value.Kind == TypedConstantKind.Primitive && value.Value is string name)
                {
                    if (IsBuiltIn(name)) blocks.Add(new Block(name, null, null, location));
                    else ok = Fail(DiagnosticDescriptors.UnknownBlock, location, $"\"{name}\"", "");
                }
                else if (value.Kind == TypedConstantKind.Type && value.Value is INamedTypeSymbol type)
                {
                    var (valueType, why) = CustomBlockValueType(type);
                    if (valueType is null) ok = Fail(DiagnosticDescriptors.UnknownBlock, location, $"typeof({type.Name})", $" ({why})");
                    else blocks.Add(new Block(null, type, valueType, location));
                }
                else
                {
                    ok = Fail(DiagnosticDescriptors.UnknownBlock, location, value.IsNull ? "null" : value.ToCSharpString(), "");
                }
            }

            int declared = 0;
            foreach (var named in attribute.NamedArguments)
                if (named.Key == "NInputs" && named.Value.Value is int n) declared = n;

            if (!ok) return null;
            if (blocks.Count < 2)
            {
                Report(DiagnosticDescriptors.TooFewBlocks, attributeLocation, ClassName, blocks.Count.ToString(CultureInfo.InvariantCulture));
                return null;
            }
            if (declared != 0 && (declared < 1 || declared > blocks.Count - 1))
            {
                var nSyntax = attributeSyntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.Text == "NInputs");
                Report(DiagnosticDescriptors.BadNInputs, nSyntax?.GetLocation() ?? attributeLocation,
                    declared.ToString(CultureInfo.InvariantCulture), ClassName, blocks.Count.ToString(CultureInfo.InvariantCulture),
                    (blocks.Count - 1).ToString(CultureInfo.InvariantCulture));
                return null;
            }
            nInputs = declared != 0 ? declared : blocks.Count - 1;
            return blocks;
        }

        private static bool IsBuiltIn(string name) => name is KnownNames.ImageBlock or KnownNames.CategoryBlock
            or KnownNames.MultiCategoryBlock or KnownNames.RegressionBlock or KnownNames.PointBlock or KnownNames.CategoricalBlock;

        private (ITypeSymbol? ValueType, string Why) CustomBlockValueType(INamedTypeSymbol type)
        {
            if (type.TypeKind != TypeKind.Class) return (null, "it is not a class");
            if (type.IsAbstract) return (null, "it is abstract");
            if (type.IsUnboundGenericType || type.TypeParameters.Length > 0 && type.TypeArguments.Any(a => a is ITypeParameterSymbol))
                return (null, "it is an open generic type");
            var blockInterfaces = type.AllInterfaces.Where(i => BlockCatalog.MetadataName(i.OriginalDefinition) == KnownNames.IBlockOfT).ToArray();
            if (blockInterfaces.Length == 0) return (null, "it does not implement DataBlocks.Data.IBlock<TValue>");
            if (blockInterfaces.Length > 1) return (null, "it implements IBlock<TValue> more than once");
            if (!type.InstanceConstructors.Any(c => c.Parameters.Length == 0 && c.DeclaredAccessibility == Accessibility.Public))
                return (null, "it has no public parameterless constructor");
            return (blockInterfaces[0].TypeArguments[0], "");
        }

        // ---- members ------------------------------------------------------------------------------------------------

        private sealed class Members
        {
            public readonly List<IMethodSymbol> GetItems = new();
            public readonly List<(IMethodSymbol Method, int Index, Location Location)> GetX = new();
            public readonly List<(IMethodSymbol Method, int Index, Location Location)> GetY = new();
            public readonly List<ISymbol> Splitters = new();
            public readonly List<ISymbol> ItemTransforms = new();
            public readonly List<ISymbol> BatchTransforms = new();
        }

        private Members CollectMembers()
        {
            var members = new Members();
            foreach (var member in _class.GetMembers())
            {
                _ct.ThrowIfCancellationRequested();
                foreach (var attribute in member.GetAttributes())
                {
                    string? name = attribute.AttributeClass?.ToDisplayString();
                    var location = attribute.ApplicationSyntaxReference?.GetSyntax(_ct).GetLocation() ?? Location(member);
                    switch (name)
                    {
                        case KnownNames.GetItemsAttribute when member is IMethodSymbol m:
                            members.GetItems.Add(m);
                            break;
                        case KnownNames.GetXAttribute when member is IMethodSymbol m:
                            members.GetX.Add((m, IndexOf(attribute), location));
                            break;
                        case KnownNames.GetYAttribute when member is IMethodSymbol m:
                            members.GetY.Add((m, IndexOf(attribute), location));
                            break;
                        case KnownNames.SplitterAttribute:
                            members.Splitters.Add(member);
                            break;
                        case KnownNames.ItemTransformsAttribute:
                            members.ItemTransforms.Add(member);
                            break;
                        case KnownNames.BatchTransformsAttribute:
                            members.BatchTransforms.Add(member);
                            break;
                    }
                }
            }
            return members;
        }

        /// <summary>Getter, splitter and transform attributes in base classes are not read: say so instead of ignoring them.</summary>
        private void CheckBaseClassMembers()
        {
            string[] names = [KnownNames.GetItemsAttribute, KnownNames.GetXAttribute, KnownNames.GetYAttribute, KnownNames.SplitterAttribute,
                KnownNames.ItemTransformsAttribute, KnownNames.BatchTransformsAttribute];
            for (var type = _class.BaseType; type is not null && type.SpecialType != SpecialType.System_Object; type = type.BaseType)
            {
                foreach (var member in type.GetMembers())
                {
                    var attribute = member.GetAttributes().FirstOrDefault(a => names.Contains(a.AttributeClass?.ToDisplayString()));
                    if (attribute is null) continue;
                    string shortName = attribute.AttributeClass!.Name.Replace("Attribute", "");
                    Report(DiagnosticDescriptors.InheritedMember, _syntax.Identifier.GetLocation(), shortName, $"{type.Name}.{member.Name}", ClassName);
                    return;
                }
            }
        }

        /// <summary>The explicit index (which may be invalid, e.g. negative), or <see cref="NoIndex"/>.</summary>
        private static int IndexOf(AttributeData attribute) =>
            attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int i ? i : NoIndex;

        private const int NoIndex = int.MinValue;

        private ITypeSymbol? ReadItemType(Members members, out GetItemsSpec? spec)
        {
            spec = null;
            if (members.GetItems.Count > 1)
                Report(DiagnosticDescriptors.DuplicateGetItems, Location(members.GetItems[1]), ClassName, members.GetItems[0].Name, members.GetItems[1].Name);
            if (members.GetItems.Count >= 1)
            {
                var m = members.GetItems[0];
                string? problem = !m.IsStatic ? "is not static"
                    : m.IsGenericMethod ? "is generic"
                    : m.Parameters.Length != 1 ? $"takes {m.Parameters.Length} parameters"
                    : m.Parameters[0].RefKind != RefKind.None ? "takes its parameter by reference"
                    : m.ReturnsVoid ? "returns void"
                    : null;
                ITypeSymbol? element = problem is null ? BlockCatalog.SequenceElement(m.ReturnType) : null;
                if (problem is null && element is null)
                    problem = $"returns '{m.ReturnType.ToDisplayString()}', which is not an IEnumerable<TItem>";
                // The factories take [GetItems]'s parameter even when the method is wrong, so that calls of them still bind.
                if (m.Parameters.Length == 1)
                    spec = new GetItemsSpec(m.Name, BlockCatalog.Name(m.Parameters[0].Type), SafeParameterName(m.Parameters[0].Name));
                if (problem is not null)
                {
                    Report(DiagnosticDescriptors.BadGetItems, Location(m), m.Name, problem);
                    return null;
                }
                return element;
            }

            var firstGetter = members.GetX.Concat(members.GetY).Select(g => g.Method).FirstOrDefault(g => g.Parameters.Length == 1);
            if (firstGetter is null)
            {
                Report(DiagnosticDescriptors.NoItemType, _syntax.Identifier.GetLocation(), ClassName);
                return null;
            }
            var inferred = firstGetter.Parameters[0].Type;
            Report(DiagnosticDescriptors.FactoriesTakeItems, _syntax.Identifier.GetLocation(), ClassName, inferred.ToDisplayString());
            return inferred;
        }

        private static string SafeParameterName(string name) =>
            GeneratedNames.FactoryParameters.Contains(name) ? GeneratedNames.SourceParameter : name;

        /// <summary>
        /// Getter per block position (null = none), validating signatures and indices. <paramref name="rejected"/>: a getter of
        /// this role was refused (and reported), so a block left without one must not also be reported as missing (DB0203).
        /// </summary>
        private IMethodSymbol?[] AssignGetters(List<(IMethodSymbol Method, int Index, Location Location)> getters, string attribute, int slots, string role,
            out bool rejected)
        {
            var result = new IMethodSymbol?[System.Math.Max(0, slots)];
            rejected = false;
            var valid = new List<(IMethodSymbol Method, int Index, Location Location)>();
            foreach (var g in getters)
            {
                var m = g.Method;
                string? problem = !m.IsStatic ? "is not static"
                    : m.IsGenericMethod ? "is generic"
                    : m.Parameters.Length != 1 ? $"takes {m.Parameters.Length} parameters"
                    : m.Parameters[0].RefKind != RefKind.None ? "takes its parameter by reference"
                    : m.ReturnsVoid ? "returns void"
                    : m.ReturnsByRef || m.ReturnsByRefReadonly ? "returns by reference"
                    : null;
                if (problem is not null)
                {
                    Report(DiagnosticDescriptors.BadGetter, Location(m), attribute, m.Name, problem);
                    rejected = true;
                }
                else valid.Add(g);
            }

            foreach (var negative in valid.Where(g => g.Index != NoIndex && g.Index < 0).ToArray())
            {
                Report(DiagnosticDescriptors.BadGetterIndex, negative.Location, attribute, negative.Method.Name,
                    $"has index {negative.Index}; indices start at 0");
                valid.Remove(negative);
                rejected = true;
            }
            bool anyIndexed = valid.Any(g => g.Index != NoIndex);
            if (anyIndexed && valid.Any(g => g.Index == NoIndex))
            {
                var unindexed = valid.First(g => g.Index == NoIndex);
                Report(DiagnosticDescriptors.BadGetterIndex, unindexed.Location, attribute, unindexed.Method.Name,
                    $"has no index while other [{attribute}] getters have one; give every {role} getter its index");
                rejected = true;
                return result;
            }
            if (!anyIndexed)
            {
                if (valid.Count > slots)
                {
                    Report(DiagnosticDescriptors.GetterCountMismatch, Location(valid[slots].Method), ClassName,
                        valid.Count.ToString(CultureInfo.InvariantCulture), attribute, slots.ToString(CultureInfo.InvariantCulture), role);
                    rejected = true;
                    return result;
                }
                for (int i = 0; i < valid.Count; i++) result[i] = valid[i].Method;
                return result;
            }
            foreach (var g in valid)
            {
                if (g.Index >= slots)
                    Report(DiagnosticDescriptors.BadGetterIndex, g.Location, attribute, g.Method.Name,
                        $"has index {g.Index}, but there {(slots == 1 ? "is 1 " + role + " block" : "are " + slots + " " + role + " blocks")} (indices start at 0)");
                else if (result[g.Index] is { } other)
                    Report(DiagnosticDescriptors.BadGetterIndex, g.Location, attribute, g.Method.Name,
                        $"has index {g.Index}, which '{other.Name}' already has");
                else
                {
                    result[g.Index] = g.Method;
                    continue;
                }
                rejected = true;
            }
            return result;
        }

        // ---- fields -------------------------------------------------------------------------------------------------

        /// <summary>The fields of the blocks that bind; an error is reported for each that does not.</summary>
        private List<FieldSpec> BindFields(List<Block> blocks, int nInputs, ITypeSymbol itemType, IMethodSymbol?[] inputs, IMethodSymbol?[] targets,
            bool inputRejected, bool targetRejected)
        {
            var fields = new List<FieldSpec>();
            var names = new HashSet<string>();
            bool ok = true;
            for (int b = 0; b < blocks.Count; b++)
            {
                _ct.ThrowIfCancellationRequested();
                var block = blocks[b];
                bool isInput = b < nInputs;
                int slot = isInput ? b : b - nInputs;
                var getter = isInput ? (slot < inputs.Length ? inputs[slot] : null) : (slot < targets.Length ? targets[slot] : null);
                string attribute = isInput ? "GetX" : "GetY";

                if (getter is not null && !AcceptsItem(getter.Parameters[0].Type, itemType))
                {
                    Report(DiagnosticDescriptors.GetterItemMismatch, ParameterLocation(getter), getter.Name,
                        getter.Parameters[0].Type.ToDisplayString(), itemType.ToDisplayString(),
                        _class.GetMembers().OfType<IMethodSymbol>().Any(m => HasAttribute(m, KnownNames.GetItemsAttribute)) ? " ([GetItems] returns them)" : "");
                    ok = false;
                    continue;
                }

                if (!isInput && block.BuiltIn == KnownNames.CategoricalBlock)
                {
                    // Named before the getter is bound: DB0203/DB0201 would otherwise ask for a key getter that cannot work.
                    Report(DiagnosticDescriptors.CategoricalTarget, block.Location, ClassName, block.Display);
                    ok = false;
                    continue;
                }
                var valueType = BlockCatalog.NotAnnotated(getter?.ReturnType ?? itemType);
                BlockCatalog.Binding? binding;
                if (block.BuiltIn is { } builtIn)
                {
                    binding = BlockCatalog.Bind(builtIn, valueType);
                }
                else
                {
                    // Identity, reference or boxing only: the value is stored as the getter returned it and read back as such.
                    binding = IsConvertible(valueType, block.CustomValueType as INamedTypeSymbol) || SymbolEqualityComparer.Default.Equals(valueType, block.CustomValueType)
                        ? BlockCatalog.BindCustom(block.Custom!, block.CustomValueType!)
                        : null;
                }

                string accepts = block.BuiltIn is { } bn ? BlockCatalog.Accepts(bn) : $"'{block.CustomValueType!.ToDisplayString()}'";
                if (binding is null)
                {
                    if (getter is null && (isInput ? inputRejected : targetRejected))
                    {
                        // The getter meant for this block was refused, and that is the one diagnostic the user needs.
                    }
                    else if (getter is null)
                        Report(DiagnosticDescriptors.MissingGetter, block.Location, isInput ? "Input" : "Target",
                            slot.ToString(CultureInfo.InvariantCulture), block.Display, ClassName, attribute, itemType.ToDisplayString(), accepts);
                    else
                        Report(DiagnosticDescriptors.GetterTypeNotAccepted, ReturnTypeLocation(getter), $"[{attribute}] '{getter.Name}'",
                            getter.ReturnType.ToDisplayString(), block.Display, accepts);
                    ok = false;
                    continue;
                }
                if (!isInput && binding.Kind == BlockKind.Categorical)   // a custom block over CategoricalBlock<T>
                {
                    Report(DiagnosticDescriptors.CategoricalTarget, block.Location, ClassName, block.Display);
                    ok = false;
                    continue;
                }
                if (getter is not null && !CheckAccessible(getter.ReturnType, $"the value of '{getter.Name}'")) continue;

                string name = UniqueName(getter?.Name ?? DefaultName(block), names);
                fields.Add(new FieldSpec(b, name, getter?.Name, isInput, binding.Kind, block.Display, BlockCatalog.Name(valueType),
                    binding.ElementType, binding.Custom));
            }

            if (ok && fields.Any(f => f.Kind == BlockKind.Point) && !fields.Any(f => f.IsInput && f.Kind == BlockKind.Image))
            {
                Report(DiagnosticDescriptors.PointsWithoutImage, _syntax.Identifier.GetLocation(), ClassName);
                ok = false;
            }
            return fields;
        }

        private bool AcceptsItem(ITypeSymbol parameter, ITypeSymbol item)
        {
            var conversion = _compilation.ClassifyConversion(item, parameter);
            return conversion.IsIdentity || conversion.IsImplicit && (conversion.IsReference || conversion.IsBoxing);
        }

        private static string DefaultName(Block block) => block.BuiltIn switch
        {
            KnownNames.ImageBlock => "Image",
            KnownNames.CategoryBlock => "Label",
            KnownNames.MultiCategoryBlock => "Labels",
            KnownNames.RegressionBlock => "Target",
            KnownNames.PointBlock => "Points",
            KnownNames.CategoricalBlock => "Key",
            _ => block.Custom!.Name.EndsWith("Block", System.StringComparison.Ordinal) && block.Custom.Name.Length > 5
                ? block.Custom.Name.Substring(0, block.Custom.Name.Length - 5)
                : block.Custom.Name,
        };

        private string UniqueName(string name, HashSet<string> used)
        {
            // A generated type cannot have a member named like itself (CS0542), nor one named like its own members.
            bool clashesWithType = GeneratedNames.TypeSuffixes.Any(s => name == ClassName + s);
            if (GeneratedNames.ReservedFieldNames.Contains(name) || clashesWithType) name += GeneratedNames.ClashSuffix;
            string candidate = name;
            for (int i = 2; !used.Add(candidate); i++) candidate = name + i.ToString(CultureInfo.InvariantCulture);
            return candidate;
        }

        // ---- splitter and transforms -------------------------------------------------------------------------------

        private SplitterSpec? ReadSplitter(List<ISymbol> splitters, ITypeSymbol? itemType)
        {
            if (splitters.Count == 0)
            {
                Report(DiagnosticDescriptors.NoSplitter, _syntax.Identifier.GetLocation(), ClassName);
                return null;
            }
            if (splitters.Count > 1)
                Report(DiagnosticDescriptors.DuplicateSplitter, Location(splitters[1]), ClassName, splitters[0].Name, splitters[1].Name);
            var member = splitters[0];
            var iSplitter = _compilation.GetTypeByMetadataName(KnownNames.ISplitter);
            string? problem = null;
            SplitterSpec? spec = null;
            if (!member.IsStatic) problem = "is not static";
            else if (member is IPropertySymbol property)
            {
                if (property.GetMethod is null) problem = "has no getter";
                else if (property.IsIndexer) problem = "is an indexer";
                else if (IsConvertible(property.Type, iSplitter)) spec = new SplitterSpec(SplitterKind.Property, property.Name);
                else problem = $"is a '{property.Type.ToDisplayString()}'";
            }
            else if (member is IMethodSymbol method)
            {
                if (method.IsGenericMethod) problem = "is generic";
                else if (method.Parameters.Length == 0 && IsConvertible(method.ReturnType, iSplitter))
                    spec = new SplitterSpec(SplitterKind.Method, method.Name);
                else if (method.Parameters.Length == 1 && method.ReturnType.SpecialType == SpecialType.System_Boolean
                         && method.Parameters[0].RefKind == RefKind.None)
                {
                    if (itemType is not null && !AcceptsItem(method.Parameters[0].Type, itemType))
                    {
                        Report(DiagnosticDescriptors.GetterItemMismatch, ParameterLocation(method), method.Name,
                            method.Parameters[0].Type.ToDisplayString(), itemType.ToDisplayString(), "");
                        return null;
                    }
                    spec = new SplitterSpec(SplitterKind.Predicate, method.Name);
                }
                else problem = method.Parameters.Length == 0
                    ? $"returns '{method.ReturnType.ToDisplayString()}'"
                    : $"takes {method.Parameters.Length} parameter(s) and returns '{method.ReturnType.ToDisplayString()}'";
            }
            else problem = "is neither a property nor a method";
            if (problem is not null) Report(DiagnosticDescriptors.BadSplitter, Location(member), member.Name, problem);
            return spec;
        }

        private TransformMemberSpec? ReadTransforms(List<ISymbol> members, string attribute, string kindInterface, string otherInterface, string otherAttribute)
        {
            if (members.Count == 0) return null;
            if (members.Count > 1)
                Report(DiagnosticDescriptors.DuplicateTransforms, Location(members[1]), ClassName, attribute, members[0].Name, members[1].Name);
            var member = members[0];
            ITypeSymbol? type = null;
            bool isMethod = false;
            string? problem = !member.IsStatic ? "is not static" : null;
            if (problem is null)
            {
                switch (member)
                {
                    case IPropertySymbol { GetMethod: not null, IsIndexer: false } p:
                        type = p.Type;
                        break;
                    case IMethodSymbol { Parameters.Length: 0, IsGenericMethod: false, ReturnsVoid: false } m:
                        type = m.ReturnType;
                        isMethod = true;
                        break;
                    case IMethodSymbol m:
                        problem = m.IsGenericMethod ? "is generic" : m.ReturnsVoid ? "returns void" : $"takes {m.Parameters.Length} parameter(s)";
                        break;
                    default:
                        problem = "is neither a property nor a method";
                        break;
                }
            }
            if (problem is not null || type is null)
            {
                Report(DiagnosticDescriptors.BadTransformMember, Location(member), attribute, member.Name, problem ?? "has no getter");
                return null;
            }

            var wanted = _compilation.GetTypeByMetadataName(kindInterface);
            var other = _compilation.GetTypeByMetadataName(otherInterface);
            if (IsConvertible(type, wanted)) return new TransformMemberSpec(member.Name, isMethod, IsSequence: false);
            var element = BlockCatalog.SequenceElement(type);
            if (element is not null && IsConvertible(element, wanted)) return new TransformMemberSpec(member.Name, isMethod, IsSequence: true);

            string kind = kindInterface == KnownNames.IItemTransform ? "an item transform (IItemTransform)" : "a batch transform (IBatchTransform)";
            string why = IsConvertible(type, other) || element is not null && IsConvertible(element, other)
                ? $"which is a {(otherAttribute == "BatchTransforms" ? "batch" : "item")} transform; return it from a [{otherAttribute}] member instead"
                : $"which is not {kind} or a sequence of them";
            Report(DiagnosticDescriptors.WrongTransformKind, Location(member), attribute, member.Name, type.ToDisplayString(), why);
            return null;
        }

        private bool IsConvertible(ITypeSymbol type, INamedTypeSymbol? target) =>
            target is not null && _compilation.ClassifyConversion(type, target) is { IsImplicit: true } c && (c.IsIdentity || c.IsReference || c.IsBoxing);

        // ---- accessibility ------------------------------------------------------------------------------------------

        /// <summary>Whether the generated types may use <paramref name="type"/>; DB0007 when they may not.</summary>
        private bool CheckAccessible(ITypeSymbol type, string role)
        {
            ISymbol within = (ISymbol?)_class.ContainingType ?? _class.ContainingAssembly;
            var parts = Types(type).ToArray();
            bool visible = _compilation.IsSymbolAccessibleWithin(type, within) && !parts.Any(t => t.IsFileLocal);
            // Internal and protected do not order: an internal type is narrower than a protected class (seen from derived
            // types in other assemblies), and a protected type than an internal class.
            var access = Access(parts);
            var classAccess = _classAccess ??= Access(Types(_class).ToArray());
            bool consistent = access.Level >= classAccess.Level
                              && (!access.InAssembly || classAccess.InAssembly) && (!access.InHierarchy || classAccess.InHierarchy)
                              && parts.All(ConfinesClass);
            if (visible && consistent) return true;
            Report(DiagnosticDescriptors.InaccessibleType, _syntax.Identifier.GetLocation(), type.ToDisplayString(), role, ClassName);
            return false;
        }

        /// <summary>A type, its containing types, and (for arrays and generics) the types it is made of.</summary>
        private static IEnumerable<INamedTypeSymbol> Types(ITypeSymbol type)
        {
            switch (type)
            {
                case IArrayTypeSymbol array:
                    foreach (var t in Types(array.ElementType)) yield return t;
                    break;
                case INamedTypeSymbol named:
                    for (INamedTypeSymbol? t = named; t is not null; t = t.ContainingType) yield return t;
                    foreach (var arg in named.TypeArguments)
                        foreach (var t in Types(arg)) yield return t;
                    break;
            }
        }

        /// <summary>
        /// A protected type is seen in its container's hierarchy only (a protected internal one too, outside its assembly): the class must be confined there too, by a private or
        /// protected member of its own chain whose container is that container or derives from it (being nested in it is
        /// not enough: a public class nested in it has derived classes anywhere).
        /// </summary>
        private bool ConfinesClass(INamedTypeSymbol type)
        {
            if (type.ContainingType is not { } scope) return true;
            // A protected internal type is also seen in its whole assembly: enough when the class is confined to it.
            bool hierarchyOnly = type.DeclaredAccessibility is Accessibility.Protected or Accessibility.ProtectedAndInternal
                                 || type.DeclaredAccessibility == Accessibility.ProtectedOrInternal && _classAccess is { InAssembly: false };
            if (!hierarchyOnly) return true;
            for (var member = _class; member is not null; member = member.ContainingType)
            {
                if (member.DeclaredAccessibility is not (Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)) continue;
                for (var b = member.ContainingType; b is not null; b = b.BaseType)
                    if (SymbolEqualityComparer.Default.Equals(b.OriginalDefinition, scope.OriginalDefinition)) return true;
            }
            return false;
        }

        /// <summary>The class's <see cref="Access"/>, worked out at its first accessibility check.</summary>
        private (int Level, bool InAssembly, bool InHierarchy)? _classAccess;

        /// <summary>
        /// What the accessibility of a type's parts (<see cref="Types"/>) allows: its level (the narrowest part's), and
        /// whether it keeps the type inside its assembly, and inside a class hierarchy.
        /// </summary>
        private static (int Level, bool InAssembly, bool InHierarchy) Access(INamedTypeSymbol[] parts)
        {
            int level = 4;
            bool inAssembly = false, inHierarchy = false;
            foreach (var t in parts)
            {
                level = System.Math.Min(level, Level(t.DeclaredAccessibility));
                inAssembly |= t.DeclaredAccessibility is Accessibility.Internal or Accessibility.ProtectedAndInternal or Accessibility.Private;
                inHierarchy |= t.DeclaredAccessibility is Accessibility.Protected or Accessibility.ProtectedAndInternal or Accessibility.Private;
            }
            return (level, inAssembly, inHierarchy);
        }

        /// <summary>Effective accessibility as a number: public 4, protected internal 3, internal/protected 2, private protected 1, private 0.</summary>
        private static int Level(Accessibility a) => a switch
        {
            Accessibility.Public => 4,
            Accessibility.ProtectedOrInternal => 3,
            Accessibility.Internal or Accessibility.Protected => 2,
            Accessibility.ProtectedAndInternal => 1,
            Accessibility.NotApplicable => 4,
            _ => 0,
        };

        private static DeclaredAccess DeclaredAccessOf(Accessibility accessibility, bool nested) => accessibility switch
        {
            Accessibility.Public => DeclaredAccess.Public,
            Accessibility.Internal => DeclaredAccess.Internal,
            Accessibility.Private => DeclaredAccess.Private,
            Accessibility.Protected => DeclaredAccess.Protected,
            Accessibility.ProtectedOrInternal => DeclaredAccess.ProtectedInternal,
            Accessibility.ProtectedAndInternal => DeclaredAccess.PrivateProtected,
            _ => nested ? DeclaredAccess.Private : DeclaredAccess.Internal,
        };

        // ---- naming -------------------------------------------------------------------------------------------------

        private string HintName()
        {
            var parts = new List<string>();
            if (_class.ContainingNamespace is { IsGlobalNamespace: false } ns) parts.Add(ns.ToDisplayString());
            var chain = new Stack<string>();
            for (var t = _class.ContainingType; t is not null; t = t.ContainingType) chain.Push(t.Name);
            parts.AddRange(chain);
            parts.Add(_class.Name);
            return string.Join(".", parts) + ".DataBlock.g.cs";
        }

        private EquatableArray<ContainingTypeSpec> ContainingTypes()
        {
            var chain = new List<ContainingTypeSpec>();
            for (var t = _class.ContainingType; t is not null; t = t.ContainingType)
            {
                var kind = t.IsRecord
                    ? t.TypeKind == TypeKind.Struct ? DeclarationKind.RecordStruct : DeclarationKind.Record
                    : t.TypeKind switch { TypeKind.Struct => DeclarationKind.Struct, TypeKind.Interface => DeclarationKind.Interface, _ => DeclarationKind.Class };
                chain.Insert(0, new ContainingTypeSpec(kind, t.Name));
            }
            return chain.ToEquatableArray();
        }

        private static bool HasAttribute(ISymbol symbol, string name) =>
            symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == name);

        // ---- locations and reporting --------------------------------------------------------------------------------

        private Location Location(ISymbol symbol)
        {
            foreach (var reference in symbol.DeclaringSyntaxReferences)
            {
                var node = reference.GetSyntax(_ct);
                return node switch
                {
                    MethodDeclarationSyntax m => m.Identifier.GetLocation(),
                    PropertyDeclarationSyntax p => p.Identifier.GetLocation(),
                    BaseTypeDeclarationSyntax t => t.Identifier.GetLocation(),
                    VariableDeclaratorSyntax v => v.Identifier.GetLocation(),
                    _ => node.GetLocation(),
                };
            }
            return _syntax.Identifier.GetLocation();
        }

        private Location ParameterLocation(IMethodSymbol method) =>
            method.Parameters[0].DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_ct) is ParameterSyntax p
                ? (p.Type ?? (SyntaxNode)p).GetLocation()
                : Location(method);

        private Location ReturnTypeLocation(IMethodSymbol method) =>
            method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_ct) is MethodDeclarationSyntax m
                ? m.ReturnType.GetLocation()
                : Location(method);

        private void Report(DiagnosticDescriptor descriptor, Location location, params object[] args) =>
            _diagnostics.Add(Diagnostic.Create(descriptor, location, args));

        private void Fatal(DiagnosticDescriptor descriptor, Location location, params object[] args)
        {
            Report(descriptor, location, args);
            _fatal = true;
        }

        private bool Fail(DiagnosticDescriptor descriptor, Location location, params object[] args)
        {
            Report(descriptor, location, args);
            return false;
        }
    }
}
