#!/usr/bin/env bash
# Builds and runs every test of sansmqtt on a fresh Debian (bookworm) machine:
#   1. installs missing packages with apt-get;
#   2. g++ and clang++ builds of the unit suite, header checks, allocation trap and constexpr
#      tests (C++17), plus the smoke set as C++20 and C++23 (-fno-exceptions -fno-rtti throughout);
#      with g++ also the suite built without 5.0 and without 3.1.1 (SANSMQTT_ENABLE_*=0), and a
#      release build (--buildtype=release) of everything with its unit suites run;
#   3. the unit suite under AddressSanitizer + UndefinedBehaviorSanitizer;
#   4. every libFuzzer target for FUZZ_SECONDS (default 60) each, under ASan + UBSan;
#   5. a project using sansmqtt by vendored include/, as a meson subproject, and through CMake;
#   6. the microcontroller example cross-built for a Cortex-M4 (scripts/size-report.sh);
#   7. a count of the specification statements the tests name.
# Ends with one summary line. Environment: FUZZ_SECONDS, JOBS (default 2), BUILD_ROOT.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build_root=${BUILD_ROOT:-$root/build-test}
jobs=${JOBS:-2}
fuzz_seconds=${FUZZ_SECONDS:-60}
start=$(date +%s)

say() { printf '\n== %s\n' "$*"; }

# ---- 1. packages ------------------------------------------------------------------------
packages=(meson ninja-build g++ clang libclang-rt-14-dev doctest-dev libbenchmark-dev valgrind python3 pkg-config cmake openssl mosquitto mosquitto-clients libbearssl-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

setup() {  # setup <dir> <compiler> [meson options...]
  local dir=$1 compiler=$2
  shift 2
  if [ -d "$dir" ]; then
    CXX=$compiler meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    CXX=$compiler meson setup "$dir" "$@" >/dev/null
  fi
}

unit_summary=""
run_suite() {  # run_suite <dir> <label>
  local dir=$1 label=$2
  say "$label: build"
  meson compile -C "$dir" -j "$jobs"
  say "$label: test"
  meson test -C "$dir" --print-errorlogs
  unit_summary=$("$dir/tests/unit-tests" --no-intro 2>&1 | grep -E '^\[doctest\] (test cases|assertions)' | tr -s ' ' | tr '\n' ' ')
}

# ---- 2. g++ and clang++, C++17 + C++20/C++23 smoke --------------------------------------
setup "$build_root/gcc" g++ -Dtests=true -Dexamples=true -Dstd_matrix=true -Dbench=true
run_suite "$build_root/gcc" "g++"
setup "$build_root/clang" clang++ -Dtests=true -Dexamples=true -Dstd_matrix=true -Dsingle_version=false
run_suite "$build_root/clang" "clang++"

# ---- 2b. a user's release build (-O3, warnings still errors), and its unit suites --------
setup "$build_root/release" g++ --buildtype=release -Dtests=true -Dexamples=true -Dstd_matrix=false -Dbench=true
say "g++ release: build"
meson compile -C "$build_root/release" -j "$jobs"
say "g++ release: unit suites"
meson test -C "$build_root/release" --print-errorlogs unit unit-v3.1.1-only unit-v5-only alloc-trap

# ---- 3. sanitizers ----------------------------------------------------------------------
setup "$build_root/sanitize" clang++ -Dtests=true -Dexamples=true -Dstd_matrix=false -Dsingle_version=false \
  -Db_sanitize=address,undefined -Db_lundef=false
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
run_suite "$build_root/sanitize" "ASan+UBSan"

# ---- 4. fuzzing -------------------------------------------------------------------------
fuzz_note="no fuzz targets"
if [ -f fuzz/meson.build ]; then
  setup "$build_root/fuzz" clang++ -Dfuzz=true -Dtests=false -Dexamples=false -Dstd_matrix=false
  say "fuzz: build"
  meson compile -C "$build_root/fuzz" -j "$jobs"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  count=0
  for target in "$build_root"/fuzz/fuzz/fuzz_*; do
    [ -x "$target" ] && [ -f "$target" ] || continue
    name=$(basename "$target")
    corpus="fuzz/corpus/${name#fuzz_}"
    mkdir -p "$work/$name"
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work/$name"/
    say "fuzz: $name for ${fuzz_seconds}s"
    if ! (cd "$work" && "$target" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=10 \
          -print_final_stats=1 "$work/$name" >"$work/$name.log" 2>&1); then
      tail -n 80 "$work/$name.log"
      echo "sansmqtt test.sh: FAIL | $name found a crash (input saved as crash-* in the log above)"
      exit 1
    fi
    grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb|Done )' "$work/$name.log" || tail -n 5 "$work/$name.log"
    count=$((count + 1))
  done
  if [ "$count" -eq 0 ]; then
    echo "sansmqtt test.sh: FAIL | no fuzz target was built (clang with libclang-rt-14-dev is needed)"
    exit 1
  fi
  fuzz_note="$count fuzz targets x ${fuzz_seconds}s, no crash"
fi

# ---- 5. the ways a project takes sansmqtt in: vendored include/, meson subproject, CMake ----
say "consumers"
tests/consumers/run.sh "$build_root/consumers"

# ---- 6. the microcontroller example, cross-built for a Cortex-M4 (and its flash/RAM table) ----
say "Cortex-M4 firmware (scripts/size-report.sh)"
BUILD_DIR="$build_root/m4" JOBS="$jobs" scripts/size-report.sh | sed -n '1,12p'

# ---- 7. conformance count ---------------------------------------------------------------
say "statements named by tests"
conformance=$(python3 tests/conformance.py "$build_root/gcc/tests/unit-tests")
echo "$conformance"

elapsed=$(( $(date +%s) - start ))
printf '\nsansmqtt test.sh: PASS | g++ and clang++, C++17/20/23, g++ release, ASan+UBSan | %s| %s | %s | %dm%02ds\n' \
  "$unit_summary" "$(echo "$conformance" | tail -n 1)" "$fuzz_note" $((elapsed / 60)) $((elapsed % 60))
