#!/usr/bin/env bash
# Builds the microbenchmarks in a release configuration (build-bench/): codec-bench (the codec)
# and client-bench (the client session per message, and sizeof(client<Config>) of the example
# Configs). Runs them with 5 repetitions and prints the medians, then a markdown table ready to
# paste into bench/README.md.
#
#   scripts/bench.sh                                              # everything
#   BENCHES=codec-bench scripts/bench.sh --benchmark_filter=frame  # extra arguments go to each binary
#
# Environment: BENCHES (default "codec-bench client-bench"), BUILD_DIR (default build-bench),
# JOBS (compile jobs, default 1), MIN_TIME (seconds per repetition, default 0.2), REPETITIONS (default 5).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
jobs="${JOBS:-1}"
min_time="${MIN_TIME:-0.2}"
repetitions="${REPETITIONS:-5}"
read -r -a benches <<<"${BENCHES:-codec-bench client-bench}"

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
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| Benchmark | ns/op | packets/s | ns/packet | bytes/packet | MB/s |"
echo "|---|---:|---:|---:|---:|---:|"
awk -F, '
    FNR == 1 { delete col }
    /^name,/ { for (i = 1; i <= NF; ++i) col[$i] = i; next }
    !("name" in col) { next }  # the context lines before the header
    {
        name = $col["name"]; gsub(/"/, "", name)
        if (name !~ /_median$/) next
        sub(/_median$/, "", name)
        unit = $col["time_unit"]
        scale = unit == "us" ? 1e3 : unit == "ms" ? 1e6 : unit == "s" ? 1e9 : 1
        ns = $col["cpu_time"] * scale
        items = $col["items_per_second"] + 0
        bytes = $col["bytes_per_second"] + 0
        per_item = items > 0 ? sprintf("%.1f", 1e9 / items) : "-"
        rate = items > 0 ? (items >= 1e6 ? sprintf("%.2f M", items / 1e6) : sprintf("%.0f k", items / 1e3)) : "-"
        size = items > 0 && bytes > 0 ? sprintf("%.0f", bytes / items) : "-"
        mbs = bytes > 0 ? sprintf("%.0f", bytes / 1e6) : "-"
        time = ns >= 100 ? sprintf("%.0f", ns) : sprintf("%.1f", ns)
        printf "| %s | %s | %s | %s | %s | %s |\n", name, time, rate, per_item, size, mbs
    }' "${results[@]}"
echo
echo "Command: \`scripts/bench.sh\` (JOBS=$jobs MIN_TIME=$min_time REPETITIONS=$repetitions${*:+; extra: $*})"
