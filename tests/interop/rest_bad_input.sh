#!/usr/bin/env bash
# Bad input to the REST API, one case per kind: each must get its 4xx as application/problem+json
# ({"type","title","status","detail","request_id"}, "status" = the HTTP status), the server must
# still answer GET /api/v1/health, and the certificate list must not grow (nothing stored).
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
fp_require_binary

fp_start_server "$FP_TMP/data" 2>"$FP_TMP/start.err" || fp_abort "server starts on 127.0.0.1:0" "$(cat "$FP_TMP/start.err")"
ok "server listens: https $HTTPS, http $HTTP"
W=$FP_TMP/w
mkdir -p "$W"
COLL=/api/v1/tenants/default/certificates
BASE=$(fp_count_certs)
[ "${BASE#ERR}" = "$BASE" ] || fp_abort "GET $COLL answers with a list" "$BASE"

# One issuance that must work, so that a refusal below is about the input and not a broken server.
fp_make_csr p256 "$W/good.csr" "/CN=good-client" || fp_abort "openssl req" "$(cat "$W/good.csr.err")"
code=$(fp_issue tls-client "$W/good.csr" "$W/good.json")
[ "$code" = 201 ] || fp_abort "control: a good CSR is issued (201)" "status $code: $(head -c 600 "$W/good.json")"
ok "control: a good CSR is issued (201)"
BASE=$((BASE + 1))

# expect_problem NAME STATUS METHOD PATH [curl args…]: the whole bad-input contract for one case.
n_case=0
expect_problem() {
  local name=$1 want=$2 method=$3 path=$4 code count health
  shift 4
  n_case=$((n_case + 1))
  local r="$W/case$n_case"
  code=$(fp_request "$method" "$path" "$r" "$@" 2>"$r.curl")
  if [ "$code" = "$want" ]; then
    ok "$name: $want"
  else
    no "$name: $want" "status $code: $(head -c 400 "$r" 2>/dev/null) $(cat "$r.curl")"
  fi
  t "$name: application/problem+json with status $want" fp_problem "$r" "$want"
  if [ "$want" = 401 ]; then
    t "$name: WWW-Authenticate: Bearer" grep -qiE '^www-authenticate:[[:space:]]*Bearer' "$r.h"
  fi
  health=$(fp_health)
  t "$name: server still answers health (200)" test "$health" = 200
  count=$(fp_count_certs)
  t "$name: nothing stored ($BASE certificates)" test "$count" = "$BASE"
}
# post_json NAME STATUS FILE [curl args…]: POST FILE to the default tenant with the admin token.
post_json() {
  local name=$1 want=$2 file=$3
  shift 3
  expect_problem "$name" "$want" POST "$COLL" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' --data-binary @"$file" "$@"
}
# req_with_csr_text PROFILE TEXTFILE > JSON
req_with_csr_text() { fp_make_request "$1" "$2"; }
# bad_csr NAME PROFILE KIND SUBJECT [openssl req args…]: a CSR openssl makes, refused with 400.
bad_csr() {
  local name=$1 profile=$2 kind=$3 subj=$4 f
  shift 4
  f="$W/csr$((n_case + 1))"
  if ! fp_make_csr "$kind" "$f.csr" "$subj" "$@"; then
    no "$name: openssl req makes the CSR" "$(cat "$f.csr.err")"
    return
  fi
  fp_make_request "$profile" "$f.csr" >"$f.json"
  post_json "$name" 400 "$f.json"
}

# --- 400: the CSR itself --------------------------------------------------------------------------
printf -- '-----BEGIN CERTIFICATE REQUEST-----\n!!!this is not base64!!!\n-----END CERTIFICATE REQUEST-----\n' >"$W/malformed.pem"
req_with_csr_text tls-client "$W/malformed.pem" >"$W/malformed.json"
post_json "malformed PEM" 400 "$W/malformed.json"

printf 'hello, I am not a CSR\n' >"$W/notpem.txt"
req_with_csr_text tls-client "$W/notpem.txt" >"$W/notpem.json"
post_json "not PEM at all" 400 "$W/notpem.json"

"$PY" - "$W/good.csr" "$W/truncated.pem" <<'EOF'
import base64, re, sys, textwrap
pem = open(sys.argv[1]).read()
der = base64.b64decode("".join(re.findall(r"^[A-Za-z0-9+/=]+$", pem, re.M)))
cut = base64.b64encode(der[: len(der) // 2]).decode()
open(sys.argv[2], "w").write("-----BEGIN CERTIFICATE REQUEST-----\n%s\n-----END CERTIFICATE REQUEST-----\n"
                             % "\n".join(textwrap.wrap(cut, 64)))
EOF
req_with_csr_text tls-client "$W/truncated.pem" >"$W/truncated.json"
post_json "truncated DER" 400 "$W/truncated.json"

# Same structure, one byte of the subject changed after signing: the signature no longer verifies.
fp_make_csr p256 "$W/sig.csr" "/CN=signature-aaaa" || no "openssl req (signature case)"
"$PY" - "$W/sig.csr" "$W/badsig.pem" <<'EOF'
import base64, re, sys, textwrap
pem = open(sys.argv[1]).read()
der = base64.b64decode("".join(re.findall(r"^[A-Za-z0-9+/=]+$", pem, re.M)))
assert der.count(b"signature-aaaa") == 1
der = der.replace(b"signature-aaaa", b"signature-aaab")
b64 = base64.b64encode(der).decode()
open(sys.argv[2], "w").write("-----BEGIN CERTIFICATE REQUEST-----\n%s\n-----END CERTIFICATE REQUEST-----\n"
                             % "\n".join(textwrap.wrap(b64, 64)))
EOF
t "set-up: python3-cryptography sees the tampered CSR's signature fail" "$PY" -c '
import sys
from cryptography import x509
assert not x509.load_pem_x509_csr(open(sys.argv[1], "rb").read()).is_signature_valid' "$W/badsig.pem"
req_with_csr_text tls-client "$W/badsig.pem" >"$W/badsig.json"
post_json "CSR with a wrong signature" 400 "$W/badsig.json"

bad_csr "weak key RSA-1024" tls-client rsa1024 "/CN=weak-rsa"
bad_csr "unsupported curve secp256k1" tls-client secp256k1 "/CN=k1"

# --- 400: the CSR asks for what only the profile decides -------------------------------------------
bad_csr "CSR asks for CA:TRUE" tls-client p256 "/CN=wants-ca" -addext "basicConstraints=critical,CA:TRUE"
bad_csr "CSR asks for keyCertSign" tls-client p256 "/CN=wants-kcs" -addext "keyUsage=critical,digitalSignature,keyCertSign"
bad_csr "CSR asks for an extra EKU" tls-client p256 "/CN=wants-eku" -addext "extendedKeyUsage=clientAuth,codeSigning"
bad_csr "CSR asks for nameConstraints" tls-client p256 "/CN=wants-nc" -addext "nameConstraints=critical,permitted;DNS:.example.com"
bad_csr "CSR asks for a CRL distribution point" tls-client p256 "/CN=wants-cdp" -addext "crlDistributionPoints=URI:http://attacker.example/x.crl"
bad_csr "CSR asks for an AIA" tls-client p256 "/CN=wants-aia" -addext "authorityInfoAccess=OCSP;URI:http://attacker.example/ocsp"

# --- 400: the profile's name rules ----------------------------------------------------------------
bad_csr "idevid without subject serialNumber" idevid p256 "/CN=no-serial-number"
bad_csr "tls-server without SANs and a CN that is no host name" tls-server p256 "/CN=not a host name!"
bad_csr "tls-client without CN" tls-client p256 "/O=No Common Name"
bad_csr "code-signing without CN" code-signing p256 "/O=No Common Name"

# --- 400: JSON of the wrong shape ------------------------------------------------------------------
printf '{"profile": "tls-client", "csr": ' >"$W/syntax.json"
post_json "JSON syntax error" 400 "$W/syntax.json"
"$PY" -c 'import json,sys; print(json.dumps([{"profile": "tls-client", "csr": open(sys.argv[1]).read()}]))' "$W/good.csr" >"$W/array.json"
post_json "JSON not an object (array)" 400 "$W/array.json"
printf '"tls-client"' >"$W/string.json"
post_json "JSON not an object (string)" 400 "$W/string.json"
printf '{"profile": "tls-client"}' >"$W/nocsr.json"
post_json "JSON without \"csr\"" 400 "$W/nocsr.json"
"$PY" -c 'import json,sys; print(json.dumps({"profile": 5, "csr": open(sys.argv[1]).read()}))' "$W/good.csr" >"$W/profnum.json"
post_json "\"profile\" not a string" 400 "$W/profnum.json"
"$PY" -c 'import json; print(json.dumps({"profile": "tls-client", "csr": 42}))' >"$W/csrnum.json"
post_json "\"csr\" not a string" 400 "$W/csrnum.json"

# --- 401: credentials -----------------------------------------------------------------------------
fp_make_request tls-client "$W/good.csr" >"$W/good.req"
expect_problem "no Authorization header" 401 POST "$COLL" -H 'Content-Type: application/json' --data-binary @"$W/good.req"
expect_problem "no Authorization header (GET list)" 401 GET "$COLL"
expect_problem "malformed token (Basic scheme)" 401 POST "$COLL" -H 'Authorization: Basic YWRtaW46YWRtaW4=' \
  -H 'Content-Type: application/json' --data-binary @"$W/good.req"
expect_problem "malformed token (Bearer with junk)" 401 POST "$COLL" -H 'Authorization: Bearer %%% not a token %%%' \
  -H 'Content-Type: application/json' --data-binary @"$W/good.req"
expect_problem "empty Bearer token" 401 POST "$COLL" -H 'Authorization: Bearer ' \
  -H 'Content-Type: application/json' --data-binary @"$W/good.req"
# Same length and alphabet as the real token, last character changed: looks valid, is not.
last=${TOKEN: -1}
if [ "$last" = a ]; then wrong="${TOKEN%?}b"; else wrong="${TOKEN%?}a"; fi
expect_problem "wrong token (revoked-looking)" 401 POST "$COLL" -H "Authorization: Bearer $wrong" \
  -H 'Content-Type: application/json' --data-binary @"$W/good.req"

# --- 404: names that do not exist -----------------------------------------------------------------
expect_problem "unknown tenant" 404 POST /api/v1/tenants/no-such-tenant/certificates \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary @"$W/good.req"
fp_make_request no-such-profile "$W/good.csr" >"$W/noprof.json"
post_json "unknown profile" 404 "$W/noprof.json"
expect_problem "unknown serial" 404 GET "$COLL/4000000000000000000000000000000a" -H "Authorization: Bearer $TOKEN"

# --- 413 and 415 ----------------------------------------------------------------------------------
"$PY" -c 'import json,sys; print(json.dumps({"profile": "tls-client", "csr": open(sys.argv[1]).read(), "pad": "x" * 70000}))' \
  "$W/good.csr" >"$W/big.json"
t "set-up: the big body is over 64 KiB" test "$(stat -c %s "$W/big.json")" -gt 65536
post_json "body over 64 KiB" 413 "$W/big.json"
expect_problem "Content-Type text/plain" 415 POST "$COLL" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: text/plain' --data-binary @"$W/good.req"
expect_problem "Content-Type application/x-www-form-urlencoded" 415 POST "$COLL" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @"$W/good.req"

t "the server process is still running" kill -0 "$SERVER_PID"
# Secrets never reach the logs: neither the admin token nor its secret half.
t "no token or token secret in the server's output" \
  bash -c "! grep -qF -e '$TOKEN' -e '${TOKEN##*_}' '$FP_TMP'/server.*"
fp_finish
