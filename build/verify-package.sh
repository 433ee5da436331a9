#!/usr/bin/env bash
# Packs DataBlocks, then builds, runs and publishes a throw-away consumer project that references the package from a
# local feed, exactly as a NuGet user would: the generator must run as an analyzer, the buildTransitive load fix must
# make TorchSharp load, and the package must hold the runtime, the generator and the targets.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="0.1.0-verify.$(date +%s)"

dotnet pack "$repo/src/DataBlocks/DataBlocks.csproj" -c Release -o "$work/feed" -p:Version="$version" -nologo -v q
pkg="$work/feed/DataBlocks.$version.nupkg"
# The listing is read once into a variable: `unzip -l | grep -q` under pipefail fails at random when grep stops reading
# early and unzip dies of SIGPIPE.
listing="$(unzip -l "$pkg")"
for entry in lib/net10.0/DataBlocks.dll analyzers/dotnet/cs/DataBlocks.Generators.dll \
             buildTransitive/DataBlocks.targets buildTransitive/DataBlocks.Native.targets; do
  grep -q " $entry\$" <<<"$listing" || { echo "package lacks $entry"; exit 1; }
done

mkdir -p "$work/consumer"
cat > "$work/consumer/nuget.config" <<XML
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
cat > "$work/consumer/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <WarningsAsErrors>CS9057</WarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="DataBlocks" Version="$version" />
  </ItemGroup>
</Project>
XML
cat > "$work/consumer/Program.cs" <<'CS'
using System;
using System.Collections.Generic;
using DataBlocks;
using DataBlocks.Data;
using DataBlocks.Vision;
using TorchSharp;
using static DataBlocks.Blocks;

var x = torch.tensor(new[] { 1f, 2f }, requires_grad: true);
(x * x).sum().backward();
Console.WriteLine($"grad {string.Join(",", x.grad!.data<float>().ToArray())}");
Console.WriteLine($"generated: {typeof(PetsDataLoaders).Name}, {Pets.Definition.Fields.Count} fields");

[Block(ImageBlock, CategoryBlock)]
public partial class Pets
{
    [GetItems] static IEnumerable<string> Files(string root) => ImageFiles.Under(root);
    [GetY] static string Kind(string path) => Label.FromParentFolder(path);
    [Splitter] static ISplitter Split => new GrandparentSplitter();
}
CS

cd "$work/consumer"
dotnet build -c Release -nologo -v q
out="$(dotnet run -c Release --no-build)"
echo "$out"
grep -q "grad 2,4" <<<"$out"
grep -q "generated: PetsDataLoaders, 2 fields" <<<"$out"
dotnet publish -c Release -o "$work/publish" -nologo -v q
published="$(cd "$work/publish" && dotnet Consumer.dll)"
grep -q "grad 2,4" <<<"$published"
echo "package verified: $version (build, run, publish)"
