#!/bin/sh
# Throwaway certificates for tls_test.cpp, made with the openssl CLI (OpenSSL 3.0) in DIR:
#
#   tests/transport/make_certs.sh DIR
#
#   ca-ec.pem/.key          CA, EC P-256            ca-rsa.pem/.key    CA, RSA 2048
#   rogue-ca.pem/.key       CA, EC, trusted by nobody
#   bundle.pem              rogue-ca + ca-rsa + ca-ec: a CA file with several anchors, RSA and EC
#   server-ec.pem/.key      CN/SAN localhost, EC, by ca-ec (key: PKCS#8)
#   server-rsa.pem/.key     CN/SAN localhost, RSA, by ca-rsa
#   server-expired.pem/.key CN/SAN localhost, EC, by ca-ec, valid 2020-01-01 .. 2021-01-01
#   client-ec.pem/.key      client, EC key as "EC PRIVATE KEY" (SEC 1), by ca-ec
#   client-rsa.pem/.key     client, RSA key as "RSA PRIVATE KEY" (PKCS#1), by ca-ec
#   client-pkcs8.pem/.key   client, EC key as "PRIVATE KEY" (PKCS#8), by ca-rsa
#   rogue-client.pem/.key   client, EC, by rogue-ca
#
# No network. Exits non-zero (with openssl's messages on stderr) if anything fails.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

ec_sec1() { openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"; }
ec_pkcs8() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
rsa_pkcs1() { openssl genrsa -traditional -out "$1.key" 2048 2>/dev/null; }

ca() {  # ca NAME "Common Name"
  openssl req -new -x509 -key "$1.key" -out "$1.pem" -days 30 -sha256 -subj "/O=sansmqtt transport tests/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}

leaf() {  # leaf NAME CA "Common Name" serverAuth|clientAuth
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$4"
    if [ "$4" = serverAuth ]; then echo "subjectAltName=DNS:$3"; fi
  } >"$1.ext"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/O=sansmqtt transport tests/CN=$3"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 30 -sha256 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ec_sec1 ca-ec && ca ca-ec "transport test CA (EC)"
rsa_pkcs1 ca-rsa && ca ca-rsa "transport test CA (RSA)"
ec_sec1 rogue-ca && ca rogue-ca "transport rogue CA"
cat rogue-ca.pem ca-rsa.pem ca-ec.pem >bundle.pem

ec_pkcs8 server-ec && leaf server-ec ca-ec localhost serverAuth
rsa_pkcs1 server-rsa && leaf server-rsa ca-rsa localhost serverAuth
ec_sec1 client-ec && leaf client-ec ca-ec client-ec clientAuth
rsa_pkcs1 client-rsa && leaf client-rsa ca-ec client-rsa clientAuth
ec_pkcs8 client-pkcs8 && leaf client-pkcs8 ca-rsa client-pkcs8 clientAuth
ec_sec1 rogue-client && leaf rogue-client rogue-ca rogue-client clientAuth

# Expired: OpenSSL 3.0's `x509 -req` cannot set notBefore in the past; `openssl ca` can.
ec_sec1 server-expired
openssl req -new -key server-expired.key -out server-expired.csr -subj "/O=sansmqtt transport tests/CN=localhost"
mkdir -p ca-db
: >ca-db/index.txt
openssl rand -hex 8 >ca-db/serial
cat >ca-db/ca.cnf <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
default_md = sha256
policy = any
unique_subject = no
x509_extensions = server_ext
[ any ]
organizationName = optional
commonName = supplied
[ server_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
EOF
openssl ca -batch -notext -config ca-db/ca.cnf -cert ca-ec.pem -keyfile ca-ec.key -in server-expired.csr \
  -out server-expired.pem -startdate 20200101000000Z -enddate 20210101000000Z 2>/dev/null
rm -rf ca-db server-expired.csr

# The set is what it claims to be.
openssl verify -CAfile ca-ec.pem server-ec.pem client-ec.pem client-rsa.pem >/dev/null
openssl verify -CAfile ca-rsa.pem server-rsa.pem client-pkcs8.pem >/dev/null
openssl verify -CAfile rogue-ca.pem rogue-client.pem >/dev/null
openssl verify -CAfile ca-ec.pem -no_check_time server-expired.pem >/dev/null
grep -q 'BEGIN EC PRIVATE KEY' client-ec.key
grep -q 'BEGIN RSA PRIVATE KEY' client-rsa.key
grep -q 'BEGIN PRIVATE KEY' client-pkcs8.key
