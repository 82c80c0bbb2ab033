#!/usr/bin/env bash
# plugins/build.sh — compile every plugins/*.c to plugins/out/NAME.wasm with clang (wasm32, no libc).
# The manifest is embedded by PLIANT_MANIFEST (sdk/pliant.h). Fails loudly on the first clang error.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/out"
mkdir -p "$out"
CLANG=${CLANG:-clang}
command -v "$CLANG" >/dev/null || { echo "build.sh: $CLANG not found (apt-get install clang lld)" >&2; exit 1; }
n=0
for src in "$here"/*.c "$here"/hostile/*.c; do
  [ -f "$src" ] || continue
  name=$(basename "$src" .c)
  if ! "$CLANG" --target=wasm32 -O2 -nostdlib -ffreestanding -fno-builtin -I "$here/sdk" \
      -Wall -Werror -Wno-unused-function \
      -Wl,--no-entry -Wl,--export-dynamic -Wl,--allow-undefined -Wl,--strip-debug \
      -o "$out/$name.wasm" "$src"; then
    echo "build.sh: clang failed on $src" >&2
    exit 1
  fi
  n=$((n + 1))
done
echo "build.sh: built $n plugin(s) into $out"
