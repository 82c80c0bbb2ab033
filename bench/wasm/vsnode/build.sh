#!/usr/bin/env bash
# Compiles workloads.c twice with clang (Debian: clang lld): workloads.wasm (scalar) and
# workloads-simd.wasm (-msimd128, clang's auto-vectoriser on). Output next to this script.
set -eu
cd "$(dirname "$0")"
flags=(--target=wasm32 -O2 -nostdlib -ffreestanding -mbulk-memory -Wall -Werror -Wl,--no-entry -Wl,--allow-undefined -Wl,--strip-debug)
clang "${flags[@]}" -o workloads.wasm workloads.c
clang "${flags[@]}" -msimd128 -o workloads-simd.wasm workloads.c
echo "built $(pwd)/workloads.wasm ($(stat -c %s workloads.wasm) bytes), workloads-simd.wasm ($(stat -c %s workloads-simd.wasm) bytes)"
