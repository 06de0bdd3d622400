#!/usr/bin/env bash
# Builds the microbenchmarks in a release configuration (build-bench/): codec-bench (the codec)
# and client-bench (the client session per message, and sizeof(client<Config>) of the example
# Configs). Runs them with 5 repetitions and prints the medians; then runs each once more under
# valgrind's callgrind with --instructions (bench/instructions.hpp) for the instructions per
# operation, which are deterministic; then prints both in one markdown table ready to paste into
# bench/README.md (bench/report.py).
#
#   scripts/bench.sh                                              # everything
#   BENCHES=codec-bench scripts/bench.sh --benchmark_filter=frame  # extra arguments go to each binary
#   INSTRUCTIONS=0 scripts/bench.sh                               # timings only
#
# Environment: BENCHES (default "codec-bench client-bench"), BUILD_DIR (default build-bench),
# JOBS (compile jobs, default 1), MIN_TIME (seconds per repetition, default 0.2), REPETITIONS (default 5),
# INSTRUCTIONS (1: also count instructions, the default).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
jobs="${JOBS:-1}"
min_time="${MIN_TIME:-0.2}"
repetitions="${REPETITIONS:-5}"
read -r -a benches <<<"${BENCHES:-codec-bench client-bench}"
instructions="${INSTRUCTIONS:-1}"

packages=(meson ninja-build g++ libbenchmark-dev python3 pkg-config)
[ "$instructions" = 1 ] && packages+=(valgrind)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=()
    [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

setup_options=(--buildtype=release -Db_ndebug=true -Dbench=true -Dtests=false -Dexamples=false -Dfuzz=false)
if [ -f "$build/build.ninja" ]; then
    meson configure "$build" "${setup_options[@]}" >/dev/null
else
    meson setup "$build" "$root" "${setup_options[@]}" >/dev/null
fi
meson compile -C "$build" -j "$jobs" "${benches[@]}" >/dev/null

results=()
for bench in "${benches[@]}"; do
    csv="$build/$bench-results.csv"
    results+=("$csv")
    run=("$build/bench/$bench" "--benchmark_repetitions=$repetitions" --benchmark_report_aggregates_only=true
         "--benchmark_min_time=$min_time" "--benchmark_out=$csv" --benchmark_out_format=csv "$@")
    echo "\$ ${run[*]}" | sed "s|$root/||g"
    echo
    # The console shows mean, median, stddev and cv; keep the header, the medians and the sizes.
    "${run[@]}" | grep -E '^(-|Benchmark|sizeof|.*_median)'
    echo
done

# ---- Instructions per operation (callgrind) -------------------------------------------------------
counted=()
if [ "$instructions" = 1 ]; then
    dumps="$build/callgrind"
    rm -rf "$dumps"
    mkdir -p "$dumps"
    for bench in "${benches[@]}"; do
        run=(valgrind --tool=callgrind --collect-atstart=no "--callgrind-out-file=$dumps/callgrind.out.$bench"
             "$build/bench/$bench" --instructions "$@")
        echo "\$ ${run[*]}" | sed "s|$root/||g"
        "${run[@]}" >"$dumps/$bench.log" 2>&1 || { tail -n 20 "$dumps/$bench.log"; exit 1; }
    done
    counted=(--callgrind "$dumps")
    echo
fi

# ---- The markdown table --------------------------------------------------------------------------
cpu="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)"
cores="$(nproc)"
os="$(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
compiler_cmd="$(sed -n 's/^[[:space:]]*"command": "\(.*codec_bench\.cpp.*\)",\{0,1\}$/\1/p' "$build/compile_commands.json" | head -n 1)"
compiler="$(${compiler_cmd%% *} --version | head -n 1)"
flags="$(echo "$compiler_cmd" | tr ' ' '\n' | grep -E '^-(O|std=|DNDEBUG|f|march|mtune|g$)' | grep -v '^-fdiagnostics' | tr '\n' ' ' | sed 's/ $//')"
benchmark_version="$(pkg-config --modversion benchmark 2>/dev/null || echo unknown)"

echo
echo "Machine: $cpu, $cores cores ($(grep -c ^processor /proc/cpuinfo) logical CPUs)"
echo "OS: $os"
echo "Compiler: $compiler; flags: $flags"
echo "Google Benchmark $benchmark_version; $repetitions repetitions of at least ${min_time}s each; medians of CPU time"
[ "$instructions" = 1 ] && echo "Instructions: $(valgrind --version), callgrind, the same binaries with --instructions"
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 "$root/bench/report.py" "${results[@]/#/--csv=}" "${counted[@]}"
echo
echo "Command: \`scripts/bench.sh\` (JOBS=$jobs MIN_TIME=$min_time REPETITIONS=$repetitions${*:+; extra: $*})"
