#!/usr/bin/env bash
# tls-certs.sh - throwaway TLS material for the TLS tests, made with openssl.
#
#   tls-certs.sh DIR    writes into DIR (created if missing):
#     ca.pem, ca-key.pem           a test CA
#     server.pem, server-key.pem   a server certificate signed by it, valid for
#                                  DNS:localhost only (10 days): connecting by 127.0.0.1 with
#                                  host name verification must fail, which the tests check
#     wrong-ca.pem                 an unrelated CA that did NOT sign the server certificate
#
# Keys are mode 600. Nothing here is secret beyond the test: never use it for real servers.
set -euo pipefail

dir=${1:?usage: tls-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
umask 077

# make_ca NAME CN: self-signed CA certificate NAME.pem with key NAME-key.pem
make_ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 10 -subj "/CN=$2" \
        -keyout "$1-key.pem" -out "$1.pem" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        2>/dev/null
}

make_ca ca "arus test CA"
make_ca wrong-ca "arus wrong CA"
rm -f wrong-ca-key.pem

openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
    -keyout server-key.pem -out server.csr 2>/dev/null
printf '%s\n' "subjectAltName = DNS:localhost" \
    "basicConstraints = CA:FALSE" "keyUsage = digitalSignature, keyEncipherment" \
    "extendedKeyUsage = serverAuth" >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 10 \
    -sha256 -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
chmod 644 ca.pem wrong-ca.pem server.pem
openssl verify -CAfile ca.pem server.pem >/dev/null
