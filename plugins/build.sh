#!/usr/bin/env bash
# plugins/build.sh — compile every plugins/*.c to plugins/out/NAME.wasm with clang (wasm32, no libc).
# The manifest is embedded by PLIANT_MANIFEST (sdk/pliant.h). Fails loudly on the first clang error.
# The plugins named in $simd are built a second time with -msimd128 as NAME-simd.wasm (SIMD in plugins:
# docs/plugin-abi.md; their C selects v128 code with #ifdef __wasm_simd128__).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/out"
mkdir -p "$out"
CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null || { echo "build.sh: $CLANG not found (apt-get install clang lld)" >&2; exit 1; }
simd=(fec)
build() { # build SRC OUT [extra clang flags...]
  local src=$1 dst=$2
  shift 2
  if ! "$CLANG" --target=wasm32 -O2 -nostdlib -ffreestanding -fno-builtin -I "$here/sdk" \
      -Wall -Werror -Wno-unused-function \
      -Wl,--no-entry -Wl,--export-dynamic -Wl,--allow-undefined -Wl,--strip-debug \
      "$@" -o "$dst" "$src"; then
    echo "build.sh: clang failed on $src $*" >&2
    exit 1
  fi
  n=$((n + 1))
}
n=0
for src in "$here"/*.c "$here"/hostile/*.c; do
  [ -f "$src" ] || continue
  name=$(basename "$src" .c)
  build "$src" "$out/$name.wasm"
done
for name in "${simd[@]}"; do
  build "$here/$name.c" "$out/$name-simd.wasm" -msimd128
done
echo "build.sh: built $n plugin(s) into $out"
