#!/usr/bin/env bash
# Regenerates the CSR vectors of tests/data/pki with the openssl CLI (a third-party implementation).
# Keys are throwaway (written to /dev/null). Run from this directory: ./make_csrs.sh
set -euo pipefail
req() { openssl req -new -nodes -keyout /dev/null -outform DER "$@"; }

req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj "/O=Acme/CN=dev-p256" -out csr_p256.der
req -newkey ec -pkeyopt ec_paramgen_curve:P-384 -sha384 -subj "/O=Acme/CN=dev-p384" -out csr_p384.der
req -newkey ed25519 -subj "/O=Acme/CN=dev-ed25519" -out csr_ed25519.der
req -newkey rsa:2048 -sha256 -subj "/O=Acme/CN=dev-rsa2048" -out csr_rsa2048.der
req -newkey rsa:1024 -sha256 -subj "/O=Acme/CN=dev-rsa1024" -out csr_rsa1024.der
req -newkey ec -pkeyopt ec_paramgen_curve:secp256k1 -subj "/CN=dev-k256" -out csr_secp256k1.der
req -newkey ec -pkeyopt ec_paramgen_curve:P-224 -subj "/CN=dev-p224" -out csr_p224.der
req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj "/CN=dev-exts" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "extendedKeyUsage=serverAuth,clientAuth" \
  -addext "nameConstraints=critical,permitted;DNS:.example.com" \
  -addext "crlDistributionPoints=URI:http://crl.example.com/ca.crl" \
  -addext "authorityInfoAccess=OCSP;URI:http://ocsp.example.com" \
  -addext "subjectAltName=DNS:dev1.example.com,IP:10.0.0.1,IP:2001:db8::1,URI:urn:dev:ops:acme-1234,email:ops@example.com,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:dev@example.com" \
  -addext "1.2.3.4.5=ASN1:NULL" \
  -out csr_p256_exts.der
cat > /tmp/fleetpki_challenge.cnf <<'CNF'
[req]
prompt = no
distinguished_name = dn
attributes = attrs
[dn]
CN = dev-challenge
[attrs]
challengePassword = s3cret-tls-unique
CNF
req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -config /tmp/fleetpki_challenge.cnf -out csr_p256_challenge.der
rm -f /tmp/fleetpki_challenge.cnf
openssl req -inform DER -in csr_p256.der -out csr_p256.pem
# A self-signed CA certificate (the default openssl.cnf v3_ca section: SKI, AKI, CA:TRUE critical).
openssl req -x509 -new -nodes -keyout /dev/null -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -subj "/C=DE/O=Acme/CN=cli-root" -days 3650 -outform DER -out cert_p256_root.der
