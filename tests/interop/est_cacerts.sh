#!/usr/bin/env bash
# EST /cacerts (RFC 7030 §4.1.3, RFC 8951): a base64 certs-only PKCS#7, read by curl + openssl,
# holding exactly the certificates of DIR/ca-chain.pem (issuing CA and root).
set -u
. "$(dirname "$0")/common.sh"
fp_require_binary
fp_start_server "$FP_TMP/data"

body=$FP_TMP/cacerts.b64
code=$(curl -s --cacert "$DATA/ca-chain.pem" -D "$FP_TMP/headers" -o "$body" -w '%{http_code}' \
  "https://$HTTPS/.well-known/est/cacerts")
t "GET /.well-known/est/cacerts = 200 without credentials" test "$code" = 200
t "Content-Type is application/pkcs7-mime; smime-type=certs-only" \
  grep -qi '^content-type: application/pkcs7-mime; *smime-type=certs-only' "$FP_TMP/headers"
t "body is base64 (RFC 8951) of a DER PKCS#7" \
  bash -c "openssl base64 -d -in '$body' -out '$FP_TMP/cacerts.p7' && openssl pkcs7 -inform DER -in '$FP_TMP/cacerts.p7' -noout"
openssl pkcs7 -inform DER -in "$FP_TMP/cacerts.p7" -print_certs -out "$FP_TMP/got.pem" 2>/dev/null
fingerprints() { # PEM bundle on stdin -> its certificates' SHA-256 fingerprints, sorted
  local d
  d=$(mktemp -d "$FP_TMP/fp.XXXXXX")
  csplit -s -z -f "$d/c." - '/BEGIN CERTIFICATE/' '{*}'
  for f in "$d"/c.*; do openssl x509 -in "$f" -noout -fingerprint -sha256 2>/dev/null; done | sort
}
t "it holds the two certificates of ca-chain.pem" \
  bash -c "[ \"\$(grep -c 'BEGIN CERTIFICATE' '$FP_TMP/got.pem')\" = 2 ]"
want=$(fingerprints <"$DATA/ca-chain.pem")
got=$(fingerprints <"$FP_TMP/got.pem")
t "same certificates as ca-chain.pem" test -n "$want" -a "$want" = "$got"
fp_finish
