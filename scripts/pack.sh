#!/usr/bin/env bash
# scripts/pack.sh — NuGet packages of the libraries into artifacts/packages (README and XML docs inside,
# deterministic builds without SourceLink). Usage: scripts/pack.sh [OUTDIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/artifacts/packages}
cd "$root"
for p in Pliant.Quic Pliant.Net Pliant.Http3 Pliant.Wasm Pliant.Plugins Pliant.AspNetCore Pliant.Router; do
  dotnet pack "src/$p/$p.csproj" -c Release -o "$out" -v q -nologo
done
ls -l "$out"/*.nupkg
