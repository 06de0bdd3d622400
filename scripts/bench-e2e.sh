#!/usr/bin/env bash
# End-to-end benchmarks over TLS on loopback (bench/README.md, "End to end over TLS"):
#   1. publish throughput: mqtt-pub -l against mosquitto_pub -l, 100,000 lines of 40 bytes at
#      QoS 0, 1 and 2 through a local mosquitto that requires client certificates; messages
#      delivered are counted by a subscriber, not taken from the publisher;
#   2. receive cost: a local sender writes QoS 0 PUBLISH packets as fast as it can to mqtt-sub
#      and to mosquitto_sub (TLS and plain TCP, 3.1.1 and 5.0): CPU time per message.
# Prints the medians and every run's figures as markdown tables.
#
#   scripts/bench-e2e.sh                      # everything (about 3 to 5 minutes on 2 cores)
#   scripts/bench-e2e.sh --parts pub --reps 5  # extra arguments go to bench/e2e/run.py (see --help)
#
# Environment: BUILD_DIR (default build-e2e; configured --buildtype=release -Db_ndebug=true
# -Dtests=false), JOBS (compile jobs, default 2), MOSQUITTO (default
# /usr/sbin/mosquitto). Needs meson, a C compiler, openssl, python3, mosquitto and
# mosquitto-clients, and BearSSL (the tools' TLS). Loopback only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-e2e}"
jobs="${JOBS:-2}"
mosquitto="${MOSQUITTO:-/usr/sbin/mosquitto}"

for tool in "$mosquitto" mosquitto_pub mosquitto_sub openssl python3 meson; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench-e2e.sh: $tool not found" >&2; exit 1; }
done

# Release build of the tools (warnings stay errors).
setup_options=(--buildtype=release -Db_ndebug=true -Dtests=false -Dexamples=true -Dbench=false -Dfuzz=false)
if [ -f "$build/build.ninja" ]; then
    meson configure "$build" "${setup_options[@]}" >/dev/null
else
    meson setup "$build" "$root" "${setup_options[@]}" >/dev/null
fi
meson compile -C "$build" -j "$jobs" examples/tools/mqtt-pub examples/tools/mqtt-sub >/dev/null
pub="$build/examples/tools/mqtt-pub"
sub="$build/examples/tools/mqtt-sub"

# The launcher that measures a process's rusage (see bench/e2e/measure.c); static when possible,
# so that the RSS it lends its child at fork is as small as can be.
measure="$build/e2e-measure"
if [ ! -x "$measure" ] || [ "$root/bench/e2e/measure.c" -nt "$measure" ]; then
    cc="${CC:-cc}"
    "$cc" -O2 -static -o "$measure" "$root/bench/e2e/measure.c" 2>/dev/null ||
        "$cc" -O2 -o "$measure" "$root/bench/e2e/measure.c"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/sansmqtt-bench-e2e.XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$root/scripts/gen-certs.sh" "$work/certs"

echo "Build: $(sed -n 's/^[[:space:]]*"command": "\(c++ .*mqtt_pub\.cpp.*\)",\{0,1\}$/\1/p' \
    "$build/compile_commands.json" | head -n 1 | tr ' ' '\n' | grep -E '^-(O|std=|DNDEBUG)' | tr '\n' ' ')"
echo "Commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    git -C "$root" diff --quiet HEAD -- include examples 2>/dev/null || echo ' (with uncommitted changes)')"
python3 "$root/bench/e2e/run.py" --pub "$pub" --sub "$sub" --measure "$measure" --certs "$work/certs" \
    --mosquitto "$mosquitto" "$@"
