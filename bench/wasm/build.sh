#!/usr/bin/env bash
# Compiles kernels.c to kernels.wasm with clang (Debian: clang lld).
set -eu
cd "$(dirname "$0")"
clang --target=wasm32 -O2 -mbulk-memory -nostdlib -Wl,--no-entry -Wl,--allow-undefined -o kernels.wasm kernels.c
echo "built $(pwd)/kernels.wasm ($(stat -c %s kernels.wasm) bytes)"
