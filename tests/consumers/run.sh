#!/usr/bin/env bash
# Builds and runs consumer.cpp three ways: with include/ vendored alone, as a meson subproject
# (dependency('sansmqtt')), and as a CMake subdirectory (sansmqtt::sansmqtt).
# usage: run.sh <work dir>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:?work dir}
rm -rf "$work" && mkdir -p "$work"

# 1. Vendored: copy include/ alone and compile against it.
cp -r "$root/include" "$work/vendored-include"
${CXX:-g++} -std=c++17 -Wall -Wextra -Werror -fno-exceptions -fno-rtti -I "$work/vendored-include" \
  "$here/consumer.cpp" -o "$work/vendored"
"$work/vendored"

# 2. Meson subproject.
cp -r "$here/meson" "$work/meson"
cp "$here/consumer.cpp" "$work/consumer.cpp"
mkdir -p "$work/meson/subprojects"
ln -s "$root" "$work/meson/subprojects/sansmqtt"
meson setup "$work/meson/build" "$work/meson" >/dev/null
meson compile -C "$work/meson/build" >/dev/null
"$work/meson/build/consumer"

# 3. CMake subdirectory.
cp -r "$here/cmake" "$work/cmake"
cmake -S "$work/cmake" -B "$work/cmake/build" -DSANSMQTT_DIR="$root" >/dev/null
cmake --build "$work/cmake/build" >/dev/null
"$work/cmake/build/consumer"
echo "consumers: vendored include/, meson subproject and CMake subdirectory all build and run"
