#!/usr/bin/env bash
# scripts/test.sh — install what the tests need, build, run every test project, and end with
# one line "N passed, N failed[, N skipped]" summed from the TRX reports.
#
# Usage: scripts/test.sh [--no-install] [--filter EXPR]
#   --no-install   skip apt-get (use when the packages are already there)
#   --filter EXPR  passed to 'dotnet test --filter'
# Environment: PLIANT_SHARED (default ../shared) — the shared folder with specs, peers, wasm suite.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PLIANT_SHARED=${PLIANT_SHARED:-$(cd "$root/../shared" 2>/dev/null && pwd)}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

install=1 filter=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-install) install=0; shift ;;
    --filter) filter=(--filter "$2"); shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ "$install" = 1 ]; then
  if [ "$(id -u)" = 0 ]; then
    bash "$PLIANT_SHARED/peers/install.sh" ngtcp2 || echo "test.sh: warning: ngtcp2 peers not installed; interop tests will fail" >&2
    need=()
    for p in clang lld wasi-libc wabt; do
      [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || need+=("$p")
    done
    if [ ${#need[@]} -gt 0 ]; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; } \
        || echo "test.sh: warning: could not install ${need[*]}" >&2
    fi
  else
    echo "test.sh: not root; skipping package installation" >&2
  fi
fi

# The WebAssembly spec suites (core/ and simd/), converted once into artifacts/ (wast2json from wabt).
if command -v wast2json >/dev/null 2>&1 && [ -d "$PLIANT_SHARED/wasm-testsuite" ]; then
  mkdir -p artifacts/wasm-spec artifacts/wasm-spec-simd
  if [ ! -f artifacts/wasm-spec/.done ]; then
    bash "$PLIANT_SHARED/wasm-testsuite/convert.sh" artifacts/wasm-spec >artifacts/wasm-spec.log 2>&1 && touch artifacts/wasm-spec/.done \
      || echo "test.sh: warning: wasm suite conversion incomplete (artifacts/wasm-spec.log)" >&2
  fi
  if [ ! -f artifacts/wasm-spec-simd/.done ]; then
    bash "$PLIANT_SHARED/wasm-testsuite/convert-simd.sh" artifacts/wasm-spec-simd >artifacts/wasm-spec-simd.log 2>&1 && touch artifacts/wasm-spec-simd/.done \
      || echo "test.sh: warning: wasm SIMD suite conversion incomplete (artifacts/wasm-spec-simd.log)" >&2
  fi
  export PLIANT_WASM_SPEC_DIR="$root/artifacts/wasm-spec" PLIANT_WASM_SIMD_SPEC_DIR="$root/artifacts/wasm-spec-simd"
fi

# C plugins (plugins/build.sh) when present.
if [ -x plugins/build.sh ]; then
  bash plugins/build.sh >artifacts/plugins-build.log 2>&1 || echo "test.sh: warning: plugin build failed (artifacts/plugins-build.log)" >&2
fi

results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
if ! dotnet build Pliant.slnx -c Release -v q -nologo >artifacts/build.log 2>&1; then
  grep -E 'error' artifacts/build.log | head -40
  echo "build: failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# A test that runs past 10 minutes (the longest take ~1 minute) is taken as hung: its test host is killed (no dump) and
# the run reports it, instead of holding CI to its time limit. The tests that project had not run yet go unreported,
# and the aborted run counts as one failure below.
dotnet test Pliant.slnx -c Release --no-build -nologo -v q "${filter[@]}" \
  --blame-hang --blame-hang-timeout 10m --blame-hang-dump-type none \
  --logger "trx" --results-directory "$results" >artifacts/test-output.log 2>&1
rc=$?
grep -vE '^\s*$' artifacts/test-output.log | tail -60
aborted=$(grep -c 'Test Run Aborted' artifacts/test-output.log)
if [ "$aborted" -gt 0 ]; then
  echo "test.sh: $aborted test run(s) aborted (hung or crashed test host); the test running at the time:" >&2
  grep -A1 'The test running when the crash occurred' artifacts/test-output.log | grep -vE 'crash occurred|^--' | sed 's/^/  /' >&2
fi

passed=0 failed=0 skipped=0 files=0
for f in "$results"/*.trx; do
  [ -f "$f" ] || continue
  files=$((files + 1))
  line=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  get() { echo "$line" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed))); failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  # TRX counts skipped tests as neither executed nor notExecuted: total - executed.
  skipped=$((skipped + $(get total) - $(get executed)))
done
# A test project that crashed writes no TRX: count that as a failure.
expected=$(ls tests/*/*.Tests.csproj 2>/dev/null | wc -l)
if [ "$files" -lt "$expected" ]; then failed=$((failed + expected - files)); echo "test.sh: $((expected - files)) test project(s) produced no report" >&2; fi
failed=$((failed + aborted))
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" = 0 ]
