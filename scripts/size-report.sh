#!/usr/bin/env bash
# Flash and RAM of sansmqtt on an Arm Cortex-M4, measured the way MQTT libraries for
# microcontrollers publish theirs (-Os, Thumb-2, text+data):
#   1. installs missing packages with apt-get;
#   2. cross-builds examples/transport/mcu with meson and cross/arm-none-eabi-cortex-m4.ini
#      (-Os -mthumb -mcpu=cortex-m4 -fno-exceptions -fno-rtti -ffunction-sections -fdata-sections
#      -DNDEBUG; linked with newlib-nano, nosys.specs and --gc-sections): an empty main() (the
#      baseline), codec only, the 3.1.1 QoS 0/1 sensor client (minimal_config,
#      SANSMQTT_ENABLE_V5=0), the 3.1.1 + 5.0 client (default_config), and the firmware of the
#      comparison with peers (feature_main.cpp: Will, credentials, QoS 0/1/2 both ways, ping,
#      unsubscribe, disconnect) in a 3.1.1 and a 3.1.1 + 5.0 build;
#   3. prints, for each, what it adds to the baseline (so startup code and newlib's own start are
#      not counted: flash = text+data, RAM = data+bss), the raw totals, sizeof(client<Config>)
#      (the size of the firmware's `mqtt` object), the newlib functions it pulls in, and its 15
#      largest sansmqtt symbols, and the deepest stack from main() by GCC's call graph.
# Exits non-zero if a firmware fails to build. Environment: BUILD_DIR (default build-m4), JOBS
# (default 2).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-$root/build-m4}
jobs=${JOBS:-2}
cross=$root/cross/arm-none-eabi-cortex-m4.ini

# ---- 1. packages ------------------------------------------------------------------------
packages=(gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib meson ninja-build python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ---- 2. build ---------------------------------------------------------------------------
if [ -d "$build" ]; then
  meson setup --reconfigure "$build" --cross-file "$cross" >/dev/null
else
  meson setup "$build" --cross-file "$cross" >/dev/null
fi
meson compile -C "$build" -j "$jobs" >/dev/null || { meson compile -C "$build" -j 1; exit 1; }
out=$build/examples/transport/mcu

# ---- 3. report --------------------------------------------------------------------------
size_of() {  # size_of <elf> -> "text data bss"
  arm-none-eabi-size "$1" | awk 'NR == 2 { print $1, $2, $3 }'
}
symbols() {  # symbols <elf>: "size type name" with decimal sizes, one line per address, largest first
  arm-none-eabi-nm -t d -S -C --size-sort -r "$1" | awk '!seen[$1]++ { $1 = ""; $2 = $2 + 0; print substr($0, 2) }'
}
short_names() {  # the two long variants by their aliases
  sed -E 's/std::variant<sansmqtt::connect, [^>]*(<[^>]*>[^>]*)*sansmqtt::auth>/packet/g;
          s/std::variant<sansmqtt::connected_event, [^>]*connection_failed_event>/event/g; s/(packet|event) >/\1>/g'
}
stack_depth() {  # stack_depth <dir of objects>: bytes of the deepest chain of stack frames from main()
  compgen -G "$1/*.ci" >/dev/null || { echo "n/a"; return; }
  python3 - "$1"/*.ci <<'PY'
import re, sys
frame, calls = {}, {}
name = lambda t: t.rsplit(":", 1)[-1]  # "file.cpp:_ZN..." -> "_ZN..."
for path in sys.argv[1:]:
    text = open(path).read()
    for t, label in re.findall(r'node: \{ title: "([^"]*)" label: "([^"]*)"', text):
        size = re.search(r"(\d+) bytes", label)
        if size: frame[name(t)] = int(size.group(1))
    for a, b in re.findall(r'edge: \{ sourcename: "([^"]*)" targetname: "([^"]*)"', text):
        calls.setdefault(name(a), set()).add(name(b))
best = {}
def deepest(f, path=()):
    if f in path: return 0, []
    if f not in best:
        sub = max((deepest(g, path + (f,)) for g in calls.get(f, ())), default=(0, []))
        best[f] = (frame.get(f, 0) + sub[0], [f] + sub[1])
    return best[f]
print(f"{deepest('main')[0]} B")
PY
}
c_symbols() {  # c_symbols <elf>: the names of its C symbols (newlib's, crt0's), sorted
  arm-none-eabi-nm "$1" | awk 'NF == 3 && $3 !~ /^(_Z|_GLOBAL_|CSWTCH|main$|board_|end$)/ { print $3 }' | sort -u
}

read -r base_text base_data base_bss < <(size_of "$out/mcu-empty.elf")
base_c_symbols=$(c_symbols "$out/mcu-empty.elf")

builds=(
  "mcu-codec-v311|codec only (frame, decode, encode), 3.1.1 build (SANSMQTT_ENABLE_V5=0)"
  "mcu-codec|codec only (frame, decode, encode), 3.1.1 + 5.0 build"
  "mcu-client-v311|client, 3.1.1 QoS 0/1, minimal_config, SANSMQTT_ENABLE_V5=0"
  "mcu-client|client, 3.1.1 + 5.0, default_config"
  "mcu-features-v311|client with every feature peers were measured with, 3.1.1 QoS 0/1/2, minimal_config, SANSMQTT_ENABLE_V5=0"
  "mcu-features|client with every feature peers were measured with, 3.1.1 + 5.0, default_config"
)

echo "Arm Cortex-M4, $(arm-none-eabi-g++ --version | head -n 1)"
echo "-Os -mthumb -mcpu=cortex-m4 -fno-exceptions -fno-rtti -ffunction-sections -fdata-sections -DNDEBUG;"
echo "newlib-nano, --specs=nosys.specs, --gc-sections. Baseline (empty main): text $base_text, data $base_data, bss $base_bss."
echo
echo "| Build | Flash added (text+data) | RAM added (data+bss) | sizeof(client) | Stack from main() | Raw text / data / bss |"
echo "|---|---:|---:|---:|---:|---|"
for entry in "${builds[@]}"; do
  name=${entry%%|*}
  label=${entry#*|}
  read -r text data bss < <(size_of "$out/$name.elf")
  flash=$(( text + data - base_text - base_data ))
  ram=$(( data + bss - base_data - base_bss ))
  client=$(symbols "$out/$name.elf" | awk '$3 == "(anonymous" && $4 == "namespace)::mqtt" { print $1 }')
  client=${client:+$client B}
  stack=$(stack_depth "$out/$name.elf.p")
  printf '| %s | %s B | %s B | %s | %s | %s / %s / %s |\n' "$label" "$flash" "$ram" "${client:--}" "$stack" "$text" "$data" "$bss"
done

for entry in "${builds[@]}"; do
  name=${entry%%|*}
  label=${entry#*|}
  all=$(symbols "$out/$name.elf")
  echo
  echo "== $name: $label"
  own=$(awk '$2 ~ /^[TtWwVvRrDd]$/ && /sansmqtt::/ && !/anonymous namespace/ { s += $1 } END { print s + 0 }' <<<"$all")
  echo "in sansmqtt's own functions and tables: $own B (the rest: code inlined into main(), the glue, newlib)"
  added=$(comm -23 <(c_symbols "$out/$name.elf") <(echo "$base_c_symbols") | tr '\n' ' ')
  echo "newlib symbols it adds to the baseline's: ${added:-none}"
  echo "15 largest sansmqtt symbols (bytes, nm type, name):"
  grep -E 'sansmqtt::' <<<"$all" | awk '$2 ~ /^[TtWwVvRr]$/' | grep -v 'anonymous namespace' | head -n 15 | short_names |
    awk '{ printf "  %6d %s", $1, $2; $1 = ""; $2 = ""; print " " substr($0, 3) }' | cut -c1-180 || true
done
