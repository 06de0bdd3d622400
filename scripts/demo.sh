#!/usr/bin/env bash
# The health monitor, end to end, on this machine (loopback only):
#   1. installs missing packages with apt-get, builds the wearable and the hospital display
#      (examples/health-monitor) with meson into build-demo/;
#   2. makes a throwaway CA, a broker certificate for localhost and device certificates
#      (scripts/gen-certs.sh), and starts mosquitto with TLS, client certificates required;
#   3. delivery: the wearable (EC certificate) publishes vitals at QoS 1 over mutual TLS, the
#      hospital (RSA certificate) receives every reading;
#   4. then each promise TLS makes, with the evidence:
#      (a) authentication: a device whose certificate comes from another CA is refused;
#      (b) integrity: one bit flipped in transit by a man in the middle ends the session, and
#          the altered reading never reaches the hospital;
#      (c) encryption: bytes captured on the path hold neither the topic nor the readings,
#          while the same capture of a plain-TCP run does.
# Ends with "demo: PASS (4/4)" (exit 0) or "demo: FAIL (n/4)" (exit 1).
# Environment: KEEP=1 keeps the temporary directory (certificates, logs, captures);
# MQTT_VERSION=311 runs everything over MQTT 3.1.1 (default 5); JOBS (default 2); BUILD_DIR.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-$root/build-demo}
jobs=${JOBS:-2}
version=${MQTT_VERSION:-5}
start=$(date +%s)

say() { printf '\n== %s\n' "$*"; }
indent() { sed 's/^/   | /' "$@"; }

# ---- 1. packages and build ----------------------------------------------------------------
packages=(mosquitto libbearssl-dev meson ninja-build g++ openssl doctest-dev python3)
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
mosquitto=/usr/sbin/mosquitto
[ -x "$mosquitto" ] || { echo "demo: $mosquitto not found" >&2; exit 1; }

say "build (meson, $build)"
build_log=$(mktemp)
compile() { meson compile -C "$build" -j "$jobs" wearable hospital >"$build_log" 2>&1; }
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" -Dtests=false -Dexamples=true -Dbench=false -Dfuzz=false >"$build_log" 2>&1 ||
    { cat "$build_log" >&2; rm -f "$build_log"; exit 1; }
fi
# A build directory set up before BearSSL was installed has no TLS targets: set it up again.
compile || { meson setup --reconfigure "$build" >"$build_log" 2>&1 && compile; } ||
  { cat "$build_log" >&2; rm -f "$build_log"; exit 1; }
rm -f "$build_log"
wearable=$build/examples/health-monitor/wearable
hospital=$build/examples/health-monitor/hospital
proxy=$root/examples/health-monitor/mitm_proxy.py
if [ ! -x "$wearable" ] || [ ! -x "$hospital" ]; then
  echo "demo: the health monitor was not built (it needs BearSSL: libbearssl-dev)" >&2
  exit 1
fi
echo "built $wearable and $hospital"

# ---- everything started here ends with the script -------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sansmqtt-demo.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "demo: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# background NAME command...: starts a command with its output in $tmp/NAME.out (and .err).
background() {
  local name=$1
  shift
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=($!)
  last_pid=$!
}
# wait_line FILE TEXT SECONDS: until FILE holds TEXT.
wait_line() {
  local deadline=$((SECONDS + $3))
  until grep -qF -- "$2" "$1" 2>/dev/null; do
    [ $SECONDS -lt "$deadline" ] || { echo "demo: no '$2' in $1 after $3 s" >&2; return 1; }
    sleep 0.05
  done
}
# finish PID SECONDS: waits for a background process; sets `status` to its exit status (124: killed).
finish() {
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt "$deadline" ]; do sleep 0.05; done
  kill "$1" 2>/dev/null || true
  status=0
  wait "$1" 2>/dev/null || status=$?
}
# stop PID: ends a background process (the proxy).
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# ---- 2. certificates and the broker -----------------------------------------------------------
say "certificates (scripts/gen-certs.sh) and mosquitto"
certs=$tmp/certs
"$root/scripts/gen-certs.sh" "$certs"
echo "CA, broker (localhost), wearable-01 (EC), hospital-display (RSA); rogue-device from another CA: in $certs"
read -r tls_port plain_port proxy_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
{
  [ "$(id -u)" -eq 0 ] && echo "user root"  # mosquitto would drop to user mosquitto, who cannot read the keys
  cat <<EOF
log_dest stderr
log_type all
log_timestamp false
connection_messages true
allow_anonymous true

# Mutual TLS: only devices with a certificate from our CA get in; the certificate's CN is the user name.
listener $tls_port 127.0.0.1
cafile $certs/ca.pem
certfile $certs/broker.pem
keyfile $certs/broker.key
require_certificate true
use_identity_as_username true

# Plain TCP, only for the encryption control in step (c).
listener $plain_port 127.0.0.1
EOF
} >"$tmp/mosquitto.conf"
background mosquitto "$mosquitto" -c "$tmp/mosquitto.conf"
mosquitto_pid=$last_pid
for try in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$plain_port") 2>/dev/null && break
  kill -0 "$mosquitto_pid" 2>/dev/null || { echo "demo: mosquitto exited:" >&2; cat "$tmp/mosquitto.err" >&2; exit 1; }
  [ "$try" -lt 100 ] || { echo "demo: mosquitto does not listen after 5 s:" >&2; cat "$tmp/mosquitto.err" >&2; exit 1; }
  sleep 0.05
done
echo "mosquitto $("$mosquitto" -h 2>/dev/null | head -1 | awk '{print $3}'): TLS on 127.0.0.1:$tls_port (client certificate required), plain TCP on 127.0.0.1:$plain_port"

# Connecting to the broker's TLS port as each device (a later --port wins: the proxy's).
as_hospital=(--host localhost --port "$tls_port" --cafile "$certs/ca.pem" --cert "$certs/hospital-display.pem"
  --key "$certs/hospital-display.key" -V "$version")
as_wearable=(--host localhost --port "$tls_port" --cafile "$certs/ca.pem" --cert "$certs/wearable-01.pem"
  --key "$certs/wearable-01.key" -V "$version")
as_rogue=(--host localhost --port "$tls_port" --cafile "$certs/ca.pem" --cert "$certs/rogue-device.pem"
  --key "$certs/rogue-device.key" -V "$version" --id rogue-device)
# check_readings HOSPITAL_OUT WEARABLE_OUT SEQS: the hospital's reading lines are exactly the
# readings the wearable sent with those sequence numbers (comma-separated; empty: none), each
# intact. Prints the evidence; status 0 when so.
check_readings() {
  python3 - "$@" <<'EOF'
import json, re, sys
hospital, wearable, expected = sys.argv[1], sys.argv[2], sys.argv[3]
expected = {int(s) for s in expected.split(",") if s}
sent = {}
for line in open(wearable):
    if line.startswith("sent "):
        v = json.loads(line[5:])
        sent[v["seq"]] = v
pattern = re.compile(r"^patient (\S+)  HR (\d+) bpm  SpO2 (\d+) %  temp (\d+\.\d) C  \(seq (\d+)\)$")
intact, altered = [], []
for line in open(hospital):
    line = line.rstrip("\n")
    if not line.startswith("patient "):
        continue
    m = pattern.match(line)
    seq = int(m.group(5)) if m else None
    v = sent.get(seq)
    if m and v and (int(m.group(2)), int(m.group(3)), m.group(4)) == (v["hr"], v["spo2"], f'{v["temp"]:.1f}'):
        intact.append(seq)
    else:
        altered.append(line)
ok = sorted(intact) == sorted(expected) and not altered
got = f"seq {', '.join(map(str, sorted(intact)))} intact" if intact else "no reading"
print(f"hospital got {got}" + (f", {len(altered)} altered: {altered}" if altered else "") +
      ("" if ok else f" (expected seq {sorted(expected)} intact, nothing altered)"))
sys.exit(0 if ok else 1)
EOF
}

passed=0
verdict() {  # verdict PASS|FAIL TEXT
  if [ "$1" = PASS ]; then passed=$((passed + 1)); fi
  printf '%s  %s\n' "$1" "$2"
}

# ---- 3. delivery --------------------------------------------------------------------------------
say "delivery: wearable-01 -> broker -> hospital-display, QoS 1, mutual TLS (MQTT $version)"
background hospital1 timeout 30 "$hospital" "${as_hospital[@]}" --count 5 --timeout 20
h=$last_pid
wait_line "$tmp/hospital1.out" "subscribed to" 10 || true
w_status=0
timeout --foreground 30 "$wearable" "${as_wearable[@]}" --count 5 --interval-ms 200 >"$tmp/wearable1.out" 2>"$tmp/wearable1.err" || w_status=$?
finish "$h" 10
echo "wearable (exit $w_status):"; indent "$tmp/wearable1.out" "$tmp/wearable1.err"
echo "hospital (exit $status):"; indent "$tmp/hospital1.out" "$tmp/hospital1.err"
evidence=$(check_readings "$tmp/hospital1.out" "$tmp/wearable1.out" 1,2,3,4,5) && ok=1 || ok=0
if [ "$ok" = 1 ] && [ $w_status = 0 ] && [ $status = 0 ] && grep -q "5 acknowledged" "$tmp/wearable1.out"; then
  verdict PASS "delivery: 5 of 5 readings acknowledged (PUBACK); $evidence"
else
  verdict FAIL "delivery: wearable exit $w_status, hospital exit $status; $evidence"
fi

# ---- 4a. authentication --------------------------------------------------------------------------
say "(a) authentication: rogue-device, certificate signed by another CA"
background hospital2 timeout 30 "$hospital" "${as_hospital[@]}" --count 1 --timeout 3
h=$last_pid
wait_line "$tmp/hospital2.out" "subscribed to" 10 || true
w_status=0
timeout --foreground 30 "$wearable" "${as_rogue[@]}" --count 3 --interval-ms 100 \
  >"$tmp/rogue.out" 2>"$tmp/rogue.err" || w_status=$?
finish "$h" 10
echo "rogue wearable (exit $w_status):"; indent "$tmp/rogue.out" "$tmp/rogue.err"
echo "hospital (exit $status):"; indent "$tmp/hospital2.out" "$tmp/hospital2.err"
echo "mosquitto log:"; { grep -iE "openssl|certificate|rogue" "$tmp/mosquitto.err" || true; } | tail -3 | indent
evidence=$(check_readings "$tmp/hospital2.out" "$tmp/rogue.out" "") && ok=1 || ok=0
rogue_error=$(grep -o "TLS alert [0-9]* [a-z_]*" "$tmp/rogue.err" || tail -1 "$tmp/rogue.err")
if [ $w_status = 1 ] && grep -q "TLS handshake" "$tmp/rogue.err" && ! grep -q "^sent " "$tmp/rogue.out" &&
  [ "$ok" = 1 ] && ! grep -q rogue-device "$tmp/hospital2.out"; then
  verdict PASS "authentication: rogue-device refused in the TLS handshake ($rogue_error), published nothing; $evidence"
else
  verdict FAIL "authentication: rogue wearable exit $w_status ($rogue_error); $evidence"
fi

# ---- 4b. integrity ---------------------------------------------------------------------------------
say "(b) integrity: a man in the middle flips one bit of the wearable's 4th TLS record (reading seq 3)"
background proxy1 python3 -u "$proxy" --listen "$proxy_port" --target "127.0.0.1:$tls_port" --flip-record 4
p=$last_pid
wait_line "$tmp/proxy1.out" "listening" 10 || true
background hospital3 timeout 30 "$hospital" "${as_hospital[@]}" --count 5 --timeout 4
h=$last_pid
wait_line "$tmp/hospital3.out" "subscribed to" 10 || true
w_status=0
timeout --foreground 30 "$wearable" "${as_wearable[@]}" --port "$proxy_port" --count 5 --interval-ms 300 \
  >"$tmp/wearable3.out" 2>"$tmp/wearable3.err" || w_status=$?
finish "$h" 10
stop "$p"
echo "man in the middle:"; indent "$tmp/proxy1.out"
echo "wearable through it (exit $w_status):"; indent "$tmp/wearable3.out" "$tmp/wearable3.err"
echo "hospital (exit $status):"; indent "$tmp/hospital3.out" "$tmp/hospital3.err"
echo "mosquitto log:"; { grep -iE "openssl|mac|wearable-01.*(disconnect|closed|error)" "$tmp/mosquitto.err" || true; } | tail -3 | indent
evidence=$(check_readings "$tmp/hospital3.out" "$tmp/wearable3.out" 1,2) && ok=1 || ok=0
w_error=$(grep -o "TLS alert [0-9]* [a-z_]*" "$tmp/wearable3.err" || tail -1 "$tmp/wearable3.err")
if grep -q "flipped" "$tmp/proxy1.out" && grep -q '"seq":3}' "$tmp/wearable3.out" && [ $w_status = 1 ] && [ "$ok" = 1 ]; then
  verdict PASS "integrity: the altered record was rejected and ended the session ($w_error); $evidence, seq 3 never delivered"
else
  verdict FAIL "integrity: bits flipped: $(grep -c flipped "$tmp/proxy1.out"), wearable exit $w_status ($w_error); $evidence"
fi

# ---- 4c. encryption --------------------------------------------------------------------------------
say "(c) encryption: what a listener on the path captures, TLS and (control) plain TCP"
background proxy2 python3 -u "$proxy" --listen "$proxy_port" --target "127.0.0.1:$tls_port" --capture "$tmp/tls.cap"
p=$last_pid
wait_line "$tmp/proxy2.out" "listening" 10 || true
background hospital4 timeout 30 "$hospital" "${as_hospital[@]}" --count 3 --timeout 10
h=$last_pid
wait_line "$tmp/hospital4.out" "subscribed to" 10 || true
w_status=0
timeout --foreground 30 "$wearable" "${as_wearable[@]}" --port "$proxy_port" --count 3 --interval-ms 100 \
  >"$tmp/wearable4.out" 2>"$tmp/wearable4.err" || w_status=$?
finish "$h" 10
stop "$p"
evidence_tls=$(check_readings "$tmp/hospital4.out" "$tmp/wearable4.out" 1,2,3) && delivered=1 || delivered=0

background proxy3 python3 -u "$proxy" --listen "$proxy_port" --target "127.0.0.1:$plain_port" --capture "$tmp/plain.cap"
p=$last_pid
wait_line "$tmp/proxy3.out" "listening" 10 || true
p_status=0
timeout --foreground 30 "$wearable" --plain --host localhost --port "$proxy_port" -V "$version" --count 3 --interval-ms 100 \
  >"$tmp/wearable5.out" 2>"$tmp/wearable5.err" || p_status=$?
stop "$p"
echo "wearable over TLS (exit $w_status), through the capturing proxy:"; indent "$tmp/wearable4.out" "$tmp/wearable4.err"
echo "hospital (exit $status): $evidence_tls"
echo "wearable over plain TCP (exit $p_status), through the capturing proxy:"; indent "$tmp/wearable5.out" "$tmp/wearable5.err"
captures=$(python3 - "$tmp/tls.cap" "$tmp/plain.cap" "$tmp/wearable4.out" "$tmp/wearable5.out" <<'EOF'
import sys
def needles(wearable_out):
    readings = [l[5:].strip().encode() for l in open(wearable_out) if l.startswith("sent ")]
    hr = [r[: r.index(b",")] for r in readings]  # b'{"hr":72'
    return readings, [b"patients/", b'"hr"'] + sorted(set(hr)) + readings
def look(cap, wearable_out):
    data = open(cap, "rb").read() if cap else b""
    readings, ns = needles(wearable_out)
    found = [n for n in ns if n in data]
    return data, readings, ns, found
tls, tls_r, tls_n, tls_f = look(sys.argv[1], sys.argv[3])
plain, plain_r, plain_n, plain_f = look(sys.argv[2], sys.argv[4])
at = plain.find(b"patients/")
excerpt = repr(plain[max(at - 2, 0): at + 80]) if at >= 0 else "-"
print(f"TLS capture ({len(tls)} bytes) holds {len(tls_f)} of {len(tls_n)} clear-text patterns, "
      f"plain-TCP capture ({len(plain)} bytes) holds {len(plain_f)} of {len(plain_n)}")
print("patterns: " + " ".join(n.decode() for n in tls_n[: len(tls_n) - len(tls_r)]) + f" ... and the {len(tls_r)} readings")
print(f"plain TCP, around the topic: {excerpt}")
ok = len(tls) > 1000 and len(tls_r) == 3 and not tls_f and len(plain_r) == 3 and len(plain_f) == len(plain_n)
sys.exit(0 if ok else 1)
EOF
) && ok=1 || ok=0
echo "captures:"; tail -n +2 <<<"$captures" | indent
evidence=$(head -1 <<<"$captures")
if [ "$ok" = 1 ] && [ $w_status = 0 ] && [ $p_status = 0 ] && [ "$delivered" = 1 ]; then
  verdict PASS "encryption: $evidence"
else
  verdict FAIL "encryption: wearable exits $w_status (TLS) / $p_status (plain), delivered=$delivered; $evidence"
fi

# ---- summary -------------------------------------------------------------------------------------
echo
echo "demo: $(($(date +%s) - start)) s"
if [ $passed = 4 ]; then
  echo "demo: PASS (4/4)"
else
  echo "demo: FAIL ($passed/4)"
  exit 1
fi
