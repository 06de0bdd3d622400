#!/usr/bin/env bash
# Throwaway certificates for the TLS tests and the demo, made with the openssl CLI (OpenSSL 3.0).
#
#   scripts/gen-certs.sh DIR
#
# Writes into DIR (created if missing), every file PEM:
#   ca.pem ca.key                            "sansmqtt test CA" (EC P-256, 10 years)
#   broker.pem broker.key                    CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1
#   wearable-01.pem wearable-01.key          device, EC P-256, signed by the CA
#   hospital-display.pem hospital-display.key  device, RSA 2048, signed by the CA
#   rogue-ca.pem rogue-ca.key                "sansmqtt rogue CA", unrelated to the CA
#   rogue-device.pem rogue-device.key        device signed by the rogue CA
#   broker-expired.pem broker-expired.key    like broker.pem, signed by the CA, valid 2020-01-01..2021-01-01
#   broker-wrong-host.pem broker-wrong-host.key  CN/SAN DNS:not-localhost.example, signed by the CA
#
# Keys: EC keys are "EC PRIVATE KEY" (SEC 1), the RSA key is "RSA PRIVATE KEY" (PKCS#1): the
# traditional forms, which BearSSL's and OpenSSL's decoders both read. Device certificates carry
# extendedKeyUsage clientAuth, broker certificates serverAuth; the CN of a device is its name
# (mosquitto's use_identity_as_username takes it as the user name).
#
# Idempotent: when DIR already holds a complete set made by this version of the script whose CA
# is still valid, nothing is done. Otherwise the whole set is made again in a temporary directory
# and moved into DIR. No network; well under a second on a PC (the RSA key takes the longest).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
out=$1
version=1  # bump when the set changes

mkdir -p "$out"
# One writer at a time: two runs into DIR must not mix the files of two sets.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$out/.gen-certs.lock"
  flock 9
fi
stamp="$out/.gen-certs-complete"
complete() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ] || return 1
  local f
  for f in ca broker wearable-01 hospital-display rogue-ca rogue-device broker-expired broker-wrong-host; do
    [ -s "$out/$f.pem" ] && [ -s "$out/$f.key" ] || return 1
  done
  # Still valid for at least a day.
  openssl x509 -in "$out/ca.pem" -noout -checkend 86400 >/dev/null 2>&1
}
if complete; then
  exit 0
fi

work=$(mktemp -d "$out/.gen-certs.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# Runs a command, showing its output only when it fails.
quiet() {
  local log
  log=$("$@" 2>&1) || { printf 'gen-certs.sh: %s failed:\n%s\n' "$*" "$log" >&2; return 1; }
}
ec_key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"; }
rsa_key() { openssl genrsa -traditional -out "$1.key" 2048; }

# A self-signed CA: self_ca NAME "Common Name"
self_ca() {
  ec_key "$1"
  openssl req -new -x509 -key "$1.key" -out "$1.pem" -days 3650 -sha256 -subj "/O=sansmqtt tests/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash"
}

# An extension file for a leaf: leaf_ext FILE serverAuth|clientAuth [SAN]
leaf_ext() {
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$2"
    echo "subjectKeyIdentifier=hash"
    echo "authorityKeyIdentifier=keyid"
    if [ -n "${3:-}" ]; then echo "subjectAltName=$3"; fi
  } >"$1"
}

# A leaf signed by a CA: leaf NAME CA "Common Name" serverAuth|clientAuth [SAN]
leaf() {
  local name=$1 ca=$2 cn=$3 usage=$4 san=${5:-}
  openssl req -new -key "$name.key" -out "$name.csr" -subj "/O=sansmqtt tests/CN=$cn"
  leaf_ext "$name.ext" "$usage" "$san"
  quiet openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 3650 -sha256 -extfile "$name.ext" -out "$name.pem"
  rm -f "$name.csr" "$name.ext"
}

self_ca ca "sansmqtt test CA"
self_ca rogue-ca "sansmqtt rogue CA"

ec_key broker
leaf broker ca localhost serverAuth "DNS:localhost,IP:127.0.0.1,IP:::1"
ec_key broker-wrong-host
leaf broker-wrong-host ca not-localhost.example serverAuth "DNS:not-localhost.example"
ec_key wearable-01
leaf wearable-01 ca wearable-01 clientAuth
rsa_key hospital-display
leaf hospital-display ca hospital-display clientAuth
ec_key rogue-device
leaf rogue-device rogue-ca rogue-device clientAuth

# The expired broker certificate: OpenSSL 3.0's `x509 -req` cannot set notBefore, `ca` can.
ec_key broker-expired
openssl req -new -key broker-expired.key -out broker-expired.csr -subj "/O=sansmqtt tests/CN=localhost"
mkdir ca-db
: >ca-db/index.txt
cat >ca-db/ca.cnf <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
x509_extensions = broker_ext
[ any ]
organizationName = optional
commonName = supplied
[ broker_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
EOF
openssl rand -hex 8 >ca-db/serial
quiet openssl ca -batch -notext -config ca-db/ca.cnf -cert ca.pem -keyfile ca.key -in broker-expired.csr \
  -out broker-expired.pem -startdate 20200101000000Z -enddate 20210101000000Z
rm -rf ca-db broker-expired.csr

# Check the set before publishing it.
openssl verify -CAfile ca.pem broker.pem broker-wrong-host.pem wearable-01.pem hospital-display.pem >/dev/null
openssl verify -CAfile rogue-ca.pem rogue-device.pem >/dev/null
if openssl verify -CAfile ca.pem broker-expired.pem >/dev/null 2>&1; then
  echo "gen-certs.sh: broker-expired.pem is not expired" >&2
  exit 1
fi
openssl verify -CAfile ca.pem -no_check_time broker-expired.pem >/dev/null

chmod 600 ./*.key
for f in ./*.pem ./*.key; do
  mv -f "$f" "$out/"
done
echo "$version" >"$stamp"
