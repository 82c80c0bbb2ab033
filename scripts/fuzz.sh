#!/usr/bin/env bash
# scripts/fuzz.sh — run one coverage-guided fuzzing campaign (SharpFuzz + AFL++) on a Pliant target.
#
# Usage: scripts/fuzz.sh TARGET SECONDS [--no-cmin] [--timeout MS]
#        scripts/fuzz.sh --list | --summary | --help
#   TARGET      a target name (scripts/fuzz.sh --list; docs/fuzzing.md)
#   SECONDS     how long afl-fuzz runs
#   --no-cmin   do not minimise the corpus with afl-cmin afterwards (just add new entries)
#   --timeout   afl-fuzz per-input timeout in ms (default 2000; a slower input is a hang)
#   --summary   per target from fuzz/campaigns.tsv: campaigns, executions, crashes, hangs
# What it does: installs afl++ (apt, as root) and the sharpfuzz tool (fuzz/.config) when missing;
# publishes fuzz/Pliant.Fuzz into artifacts/fuzz/plain, copies it to artifacts/fuzz/bin and
# instruments the Pliant libraries in that copy only (the normal build is never instrumented;
# redone when src/ or fuzz/ changed);
# starts from fuzz/corpus/TARGET + fuzz/crashes/TARGET + the target's seeds; runs afl-fuzz for
# SECONDS; writes the minimised corpus back to fuzz/corpus/TARGET (content-named, at most
# 300 files of <= 64 KiB), copies crashes and hangs to fuzz/crashes/TARGET, appends a line to
# fuzz/campaigns.tsv and prints the executions. Work files stay in artifacts/fuzz/TARGET/.
set -euo pipefail

# Everything runs inside main, which bash reads whole before running: editing this file while a
# campaign runs cannot change the running script under it.
summary() {
  [ -f "$root/fuzz/campaigns.tsv" ] || { echo "no campaigns yet"; return; }
  printf '%-18s %9s %12s %9s %7s %7s %6s\n' target campaigns executions seconds corpus crashes hangs
  awk -F'\t' 'NR > 1 { n[$2]++; e[$2] += $4; c[$2] += $8; h[$2] += $9; k[$2] = $7; s[$2] += $3 }
    END { for (t in n) printf "%-18s %9d %12d %9d %7d %7d %6d\n", t, n[t], e[t], s[t], k[t], c[t], h[t] }' "$root/fuzz/campaigns.tsv" | sort
}

main() {
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
bin="$root/artifacts/fuzz/bin"      # instrumented: runs only under afl-fuzz
plain="$root/artifacts/fuzz/plain"  # the same build uninstrumented: seeds, listing, replay
max_files=300 max_bytes=65536

target="" seconds="" cmin=1 timeout_ms=2000 list=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --list) list=1; shift ;;
    --summary) summary; exit 0 ;;
    --no-cmin) cmin=0; shift ;;
    --timeout) timeout_ms="$2"; shift 2 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) if [ -z "$target" ]; then target="$1"; elif [ -z "$seconds" ]; then seconds="$1"; else echo "fuzz.sh: too many arguments" >&2; exit 2; fi; shift ;;
  esac
done

build() {
  local stamp="$bin/.instrumented"
  if [ -f "$stamp" ] && [ -x "$plain/pliant-fuzz" ] && [ -z "$(find src fuzz/Pliant.Fuzz fuzz/Pliant.Fuzz.Targets Directory.Build.props Directory.Packages.props \
        -newer "$stamp" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -not -path '*/obj/*' -not -path '*/bin/*' -print -quit)" ]; then
    return
  fi
  echo "fuzz.sh: publishing and instrumenting into artifacts/fuzz/bin" >&2
  # Built from a snapshot of the sources with its own obj/ folders, so a campaign never races a
  # developer's build of the same projects (and fuzzes exactly what was there when it started).
  local snap="$root/artifacts/fuzz/src"
  mkdir -p "$snap/fuzz"
  for p in src fuzz/Pliant.Fuzz fuzz/Pliant.Fuzz.Targets; do
    if command -v rsync >/dev/null 2>&1; then rsync -a --delete --exclude bin/ --exclude obj/ "$p/" "$snap/$p/"
    else rm -rf "${snap:?}/$p"; mkdir -p "$snap/$p"; cp -r "$p/." "$snap/$p/"; fi
  done
  cp Directory.Build.props Directory.Packages.props "$snap/"
  rm -rf "$bin" "$plain"
  dotnet publish "$snap/fuzz/Pliant.Fuzz" -c Release -o "$plain" -v q -nologo >"$root/artifacts/fuzz-build.log" 2>&1 \
    || { grep -E 'error' "$root/artifacts/fuzz-build.log" | head -20; echo "fuzz.sh: build failed" >&2; exit 1; }
  cp -r "$plain" "$bin"
  (cd fuzz && dotnet tool restore >/dev/null)
  # Everything that parses or decides is instrumented; Pliant.Quic's crypto primitives (AES-GCM,
  # X25519, ChaCha20, HKDF) are not: their branches do not depend on input structure and
  # instrumenting them made every handshake 3x slower. Address tokens are parsing, so they are in.
  local quic=(Pliant.Quic.Wire Pliant.Quic.Tls Pliant.Quic.Connection Pliant.Quic.Streams Pliant.Quic.Recovery
    Pliant.Quic.Operations Pliant.Quic.Crypto.AddressTokens Pliant.Quic.Crypto.PacketProtector)
  (cd fuzz && dotnet tool run sharpfuzz "$bin/Pliant.Quic.dll" "${quic[@]}") >/dev/null
  for lib in Pliant.Http3 Pliant.Plugins Pliant.Wasm; do
    (cd fuzz && dotnet tool run sharpfuzz "$bin/$lib.dll") >/dev/null
  done
  touch "$stamp"
}

mkdir -p artifacts/fuzz
if [ "$list" = 1 ]; then
  dotnet run --project fuzz/Pliant.Fuzz -c Release -v q -- list
  exit 0
fi
[ -n "$target" ] && [ -n "$seconds" ] || { usage >&2; exit 2; }
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number" >&2; exit 2; }

if ! command -v afl-fuzz >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q afl++ >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q afl++ >/dev/null; }
  fi
  command -v afl-fuzz >/dev/null 2>&1 || { echo "fuzz.sh: afl-fuzz not found (apt-get install afl++)" >&2; exit 1; }
fi

build
run=("$bin/pliant-fuzz" run "$target")
"$plain/pliant-fuzz" list | awk '{print $1}' | grep -qx "$target" || { echo "fuzz.sh: unknown target '$target'" >&2; "$plain/pliant-fuzz" list >&2; exit 2; }

# AFL++ and a .NET target: the binary is not AFL-compiled (SharpFuzz is the fork server), CPU
# frequency and core dumps are not ours to change on a shared machine.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1

work="$root/artifacts/fuzz/$target"
rm -rf "$work"; mkdir -p "$work/in"
corpus="fuzz/corpus/$target" crashes="fuzz/crashes/$target"
mkdir -p "$corpus" "$crashes"
"$plain/pliant-fuzz" seed "$target" "$work/seeds" >/dev/null
for d in "$corpus" "$crashes" "$work/seeds"; do
  find "$d" -maxdepth 1 -type f -size -$((max_bytes + 1))c -not -name '.*' -not -name '*.md' -exec cp -n {} "$work/in/" \;
done

echo "fuzz.sh: $target for ${seconds}s from $(ls "$work/in" | wc -l) input(s)" >&2
afl-fuzz -V "$seconds" -i "$work/in" -o "$work/out" -t "$timeout_ms" -m none -- "${run[@]}" >"$work/afl.log" 2>&1 || {
  tail -30 "$work/afl.log" >&2; echo "fuzz.sh: afl-fuzz failed (artifacts/fuzz/$target/afl.log)" >&2; exit 1; }

stats="$work/out/default/fuzzer_stats"
stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
execs=$(stat execs_done) rate=$(stat execs_per_sec) found=$(stat corpus_count) ncrash=$(stat saved_crashes) nhang=$(stat saved_hangs)

# Crashes and hangs: content-named, kept in the repo until fixed (the replay test runs them).
for kind in crashes hangs; do
  for f in "$work/out/default/$kind"/id*; do
    [ -f "$f" ] || continue
    prefix=""; [ "$kind" = hangs ] && prefix="hang-"
    cp "$f" "$crashes/$prefix$(sha1sum "$f" | cut -c1-16)"
  done
done

# Corpus: the previous corpus plus the queue, minimised to the same coverage when afl-cmin manages.
pool="$work/pool" min="$work/min"
mkdir -p "$pool"
cp -n "$corpus"/* "$pool/" 2>/dev/null || true
find "$work/out/default/queue" -maxdepth 1 -type f -size -$((max_bytes + 1))c -exec cp {} "$pool/" \;
src="$pool"
if [ "$cmin" = 1 ] && afl-cmin -i "$pool" -o "$min" -t "$timeout_ms" -m none -- "${run[@]}" >"$work/cmin.log" 2>&1; then
  src="$min"
else
  [ "$cmin" = 1 ] && echo "fuzz.sh: afl-cmin failed (artifacts/fuzz/$target/cmin.log); keeping every entry" >&2
fi
rm -rf "$corpus.new"; mkdir -p "$corpus.new"
# Smallest first, at most $max_files: small inputs replay fast and mutate well.
find "$src" -maxdepth 1 -type f -printf '%s %p\n' | sort -n | head -n "$max_files" | while read -r _ f; do
  cp "$f" "$corpus.new/$(sha1sum "$f" | cut -c1-16)"
done
rm -rf "$corpus"; mv "$corpus.new" "$corpus"

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -f fuzz/campaigns.tsv ] || printf 'date\ttarget\tseconds\texecs\texecs_per_sec\tqueue\tcorpus_kept\tcrashes\thangs\tcommit\n' > fuzz/campaigns.tsv
kept=$(ls "$corpus" | wc -l)
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$target" "$seconds" "$execs" "$rate" "$found" "$kept" "$ncrash" "$nhang" "$commit" >> fuzz/campaigns.tsv
echo "$target: $execs executions in ${seconds}s ($rate/s), queue $found, corpus kept $kept, crashes $ncrash, hangs $nhang"
[ "$ncrash" = 0 ] && [ "$nhang" = 0 ]
}

main "$@"; exit $?
