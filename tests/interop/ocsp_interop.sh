#!/usr/bin/env bash
# OCSP responder (issue 3 point 3) and /metrics (point 4) against outside clients:
#   - `openssl ocsp -issuer … -cert … -url …` (with and without nonce, SHA-1 and SHA-256 CertIDs,
#     -CAfile and -VAfile verification): good; revoked after REST revoke (keyCompromise), also on
#     the pre-signed (nonce-less) path within one second; suspended (certificateHold) then good
#     after reactivate; never-issued serial = revoked 1970 + extended-revoke (and "unknown" with
#     FLEETPKI_OCSP_NEVER_ISSUED=unknown after a restart, which also reuses the responder);
#   - GET /ocsp/<url-encoded base64> with curl (cache headers, 304, '/' and '+' in the base64, '+'
#     arriving as a space), checked by openssl and python3-cryptography;
#   - GnuTLS `ocsptool --ask`;
#   - bad input over curl: garbage, truncated, empty, oversized (handler limit and server limit),
#     too many entries, unsupported and inconsistent hash algorithms (crafted), unknown issuer:
#     each the right OCSP error status (HTTP 200, no-store), the server still answering;
#   - GET /metrics: Prometheus text 0.0.4 with the expected series and consistent values.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
fp_require_binary
command -v ocsptool >/dev/null 2>&1 || fp_abort "ocsptool is not installed (apt-get install gnutls-bin)"

fp_start_server "$FP_TMP/data" 2>"$FP_TMP/start.err" || fp_abort "server starts on 127.0.0.1:0" "$(cat "$FP_TMP/start.err")"
ok "server listens: https $HTTPS, http $HTTP"
W=$FP_TMP/w
mkdir -p "$W"
ROOT=$DATA/root-ca.pem
ISSUING=$W/issuing.pem
# ca-chain.pem = issuing CA, then the root
awk '/BEGIN CERTIFICATE/{n++} n==1' "$DATA/ca-chain.pem" >"$ISSUING"
URL="http://$HTTP/ocsp"

# issue NAME: a P-256 tls-client certificate through REST; writes $W/NAME.pem, echoes the serial.
issue() {
  local name=$1 code
  fp_make_csr p256 "$W/$name.csr" "/CN=$name" || return 1
  code=$(fp_issue tls-client "$W/$name.csr" "$W/$name.json") || return 1
  [ "$code" = 201 ] || { echo "issue $name: HTTP $code" >&2; return 1; }
  fp_json "$W/$name.json" certificate >"$W/$name.pem"
  fp_json "$W/$name.json" serial
}
# lifecycle SERIAL ACTION JSON: POST …/certificates/SERIAL/ACTION; echoes the HTTP status.
lifecycle() {
  fp_request POST "/api/v1/tenants/default/certificates/$1/$2" "$W/lifecycle.json" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary "$3"
}
# ask OUT openssl-ocsp-args…: runs openssl ocsp against the responder, output in OUT.
ask() {
  local out=$1
  shift
  openssl ocsp -url "$URL" -timeout 10 "$@" >"$out" 2>&1
}
# py_ocsp FILE: "STATUS [certStatus reason revocation_time extended_revoke]" of a DER response,
# as python3-cryptography (a third implementation) reads it.
py_ocsp() {
  "$PY" - "$1" <<'EOF'
import sys
from cryptography import x509
from cryptography.x509 import ocsp
r = ocsp.load_der_ocsp_response(open(sys.argv[1], "rb").read())
if r.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
    print(r.response_status.name)
    sys.exit(0)
ext = any(e.oid.dotted_string == "1.3.6.1.5.5.7.48.1.9" for e in r.extensions)
reason = r.revocation_reason.name if r.revocation_reason is not None else "-"
rt = r.revocation_time.strftime("%Y-%m-%dT%H:%M:%SZ") if r.revocation_time is not None else "-"
print(r.response_status.name, r.certificate_status.name, reason, rt, "extended_revoke" if ext else "-")
EOF
}
export -f py_ocsp
export PY
# post_raw FILE OUT: POSTs FILE as an OCSP request with curl; echoes the HTTP status, headers in OUT.h.
post_raw() {
  curl -sS --noproxy '*' --max-time 30 -o "$2" -D "$2.h" -w '%{http_code}' \
    -H 'Content-Type: application/ocsp-request' --data-binary @"$1" "$URL"
}
# expect_ocsp_error NAME FILE STATUS: POST FILE, expect HTTP 200 + OCSP STATUS + no-store.
expect_ocsp_error() {
  local name=$1 file=$2 want=$3 code got
  code=$(post_raw "$file" "$W/err.der")
  got=$(py_ocsp "$W/err.der" 2>&1)
  if [ "$code" = 200 ] && [ "$got" = "$want" ] && grep -qi '^cache-control: no-cache, no-store' "$W/err.der.h"; then
    ok "$name: HTTP 200, $want, no-store"
  else
    no "$name: HTTP 200, $want, no-store" "HTTP $code, OCSP '$got'; $(grep -i '^cache-control' "$W/err.der.h")"
  fi
}

# --- good ------------------------------------------------------------------------------------
S_GOOD=$(issue dev-good) || fp_abort "issue a certificate over REST"
ask "$W/good.txt" -issuer "$ISSUING" -cert "$W/dev-good.pem" -CAfile "$ROOT" -respout "$W/good.der"
t "openssl ocsp (nonce): Response verify OK, good" \
  bash -c "grep -q 'Response verify OK' '$W/good.txt' && grep -q ': good' '$W/good.txt'"
t "the answer echoes the nonce" bash -c "openssl ocsp -respin '$W/good.der' -resp_text -noverify | grep -q 'OCSP Nonce'"
ask "$W/good-nn.txt" -issuer "$ISSUING" -cert "$W/dev-good.pem" -CAfile "$ROOT" -no_nonce
t "openssl ocsp -no_nonce (pre-signed path): verify OK, good" \
  bash -c "grep -q 'Response verify OK' '$W/good-nn.txt' && grep -q ': good' '$W/good-nn.txt'"
ask "$W/good-256.txt" -issuer "$ISSUING" -sha256 -cert "$W/dev-good.pem" -CAfile "$ROOT" -no_nonce
t "openssl ocsp -sha256 (SHA-256 CertID): verify OK, good" \
  bash -c "grep -q 'Response verify OK' '$W/good-256.txt' && grep -q ': good' '$W/good-256.txt'"
# The delegated responder certificate from the answer, trusted directly with -VAfile.
openssl ocsp -respin "$W/good.der" -resp_text -noverify 2>/dev/null |
  sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' >"$W/responder.pem"
t "the answer carries the delegated responder certificate" test -s "$W/responder.pem"
t "responder certificate: issued by the issuing CA, EKU OCSP Signing, OCSP No Check, no CDP/AIA" bash -c "
  openssl verify -CAfile '$ROOT' -untrusted '$ISSUING' -purpose ocsphelper '$W/responder.pem' >/dev/null &&
  txt=\$(openssl x509 -in '$W/responder.pem' -noout -text) &&
  grep -q 'OCSP Signing' <<<\"\$txt\" && grep -q 'OCSP No Check' <<<\"\$txt\" &&
  grep -q 'Digital Signature' <<<\"\$txt\" &&
  ! grep -q 'CRL Distribution' <<<\"\$txt\" && ! grep -q 'Authority Information Access' <<<\"\$txt\""
ask "$W/good-va.txt" -issuer "$ISSUING" -cert "$W/dev-good.pem" -VAfile "$W/responder.pem"
t "openssl ocsp -VAfile responder.pem: verify OK, good" \
  bash -c "grep -q 'Response verify OK' '$W/good-va.txt' && grep -q ': good' '$W/good-va.txt'"
RESPONDER_SERIAL=$(openssl x509 -in "$W/responder.pem" -noout -serial)

# --- GnuTLS ocsptool ---------------------------------------------------------------------------
timeout 30 ocsptool --ask="$URL" --load-issuer="$ISSUING" --load-cert="$W/dev-good.pem" \
  --load-trust="$ISSUING" >"$W/gnutls-good.txt" 2>&1
t "ocsptool --ask: Successful, good, verified" bash -c "
  grep -q 'Response Status: Successful' '$W/gnutls-good.txt' && grep -q 'Certificate Status: good' '$W/gnutls-good.txt' &&
  grep -q 'Verifying OCSP Response: Success' '$W/gnutls-good.txt'"

# --- revoked (REST), on the live and on the pre-signed path ---------------------------------------
S_REV=$(issue dev-revoked) || fp_abort "issue a second certificate"
ask "$W/rev-warm.txt" -issuer "$ISSUING" -cert "$W/dev-revoked.pem" -CAfile "$ROOT" -no_nonce
t "before revocation: good (and now cached)" grep -q ': good' "$W/rev-warm.txt"
code=$(lifecycle "$S_REV" revoke '{"reason":"keyCompromise"}')
revoked_at=$(date +%s%N)
t "REST revoke keyCompromise = 200" test "$code" = 200
fresh_ms=""
for _ in $(seq 1 40); do
  ask "$W/rev-nn.txt" -issuer "$ISSUING" -cert "$W/dev-revoked.pem" -CAfile "$ROOT" -no_nonce
  if grep -q ': revoked' "$W/rev-nn.txt"; then fresh_ms=$((($(date +%s%N) - revoked_at) / 1000000)); break; fi
  sleep 0.025
done
t "pre-signed path answers revoked within 1 s of the REST revoke (${fresh_ms:-never} ms, openssl process included)" \
  bash -c "[ -n '$fresh_ms' ] && [ '$fresh_ms' -lt 1000 ]"
t "revoked answer: verify OK, Reason keyCompromise" \
  bash -c "grep -q 'Response verify OK' '$W/rev-nn.txt' && grep -q 'Reason: keyCompromise' '$W/rev-nn.txt'"
ask "$W/rev.txt" -issuer "$ISSUING" -sha256 -cert "$W/dev-revoked.pem" -CAfile "$ROOT"
t "nonce + SHA-256: revoked, keyCompromise" \
  bash -c "grep -q ': revoked' '$W/rev.txt' && grep -q 'Reason: keyCompromise' '$W/rev.txt'"
timeout 30 ocsptool --ask="$URL" --load-issuer="$ISSUING" --load-cert="$W/dev-revoked.pem" \
  --load-trust="$ISSUING" >"$W/gnutls-rev.txt" 2>&1
t "ocsptool --ask: revoked, verified" bash -c "
  grep -q 'Certificate Status: revoked' '$W/gnutls-rev.txt' && grep -q 'Verifying OCSP Response: Success' '$W/gnutls-rev.txt'"

# --- suspended, then reactivated -----------------------------------------------------------------
S_HOLD=$(issue dev-hold) || fp_abort "issue a third certificate"
ask "$W/hold-warm.txt" -issuer "$ISSUING" -cert "$W/dev-hold.pem" -CAfile "$ROOT" -no_nonce
t "REST suspend = 200" test "$(lifecycle "$S_HOLD" suspend '{}')" = 200
ask "$W/hold.txt" -issuer "$ISSUING" -cert "$W/dev-hold.pem" -CAfile "$ROOT"
t "suspended: revoked, Reason certificateHold" \
  bash -c "grep -q ': revoked' '$W/hold.txt' && grep -q 'Reason: certificateHold' '$W/hold.txt'"
t "REST reactivate = 200" test "$(lifecycle "$S_HOLD" reactivate '{}')" = 200
back=""
for _ in $(seq 1 40); do
  ask "$W/back.txt" -issuer "$ISSUING" -cert "$W/dev-hold.pem" -CAfile "$ROOT" -no_nonce
  if grep -q ': good' "$W/back.txt"; then back=yes; break; fi
  sleep 0.025
done
t "reactivated: good again on the pre-signed path within 1 s" test "$back" = yes

# --- never issued ----------------------------------------------------------------------------------
ask "$W/never.txt" -issuer "$ISSUING" -serial 0x5a5a5a5a5a5a5a5a5a5a -CAfile "$ROOT" -no_nonce -respout "$W/never.der"
t "never-issued serial: verify OK, revoked (never good)" \
  bash -c "grep -q 'Response verify OK' '$W/never.txt' && grep -q ': revoked' '$W/never.txt'"
t "never-issued: 1970-01-01, certificateHold, extended-revoke (python3-cryptography)" \
  bash -c "[ \"\$(py_ocsp '$W/never.der')\" = 'SUCCESSFUL REVOKED certificate_hold 1970-01-01T00:00:00Z extended_revoke' ] || { py_ocsp '$W/never.der'; false; }"
ask "$W/cacert.txt" -issuer "$ROOT" -cert "$ISSUING" -CAfile "$ROOT" -no_nonce
t "the issuing CA's certificate under the root: good" \
  bash -c "grep -q 'Response verify OK' '$W/cacert.txt' && grep -q ': good' '$W/cacert.txt'"

# --- GET ----------------------------------------------------------------------------------------------
openssl ocsp -issuer "$ISSUING" -cert "$W/dev-good.pem" -no_nonce -reqout "$W/get.req" >/dev/null 2>&1
B64=$(base64 -w0 "$W/get.req")
ENC=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$B64")
code=$(curl -sS --noproxy '*' --max-time 30 -o "$W/get.der" -D "$W/get.h" -w '%{http_code}' "$URL/$ENC")
t "GET /ocsp/<url-encoded base64> = 200 application/ocsp-response" \
  bash -c "[ '$code' = 200 ] && grep -qi '^content-type: application/ocsp-response' '$W/get.h'"
t "GET answer: verify OK, good (openssl -respin)" bash -c "
  openssl ocsp -respin '$W/get.der' -issuer '$ISSUING' -cert '$W/dev-good.pem' -CAfile '$ROOT' 2>&1 | tee '$W/get.txt' |
  grep -q ': good' && grep -q 'Response verify OK' '$W/get.txt'"
t "GET answer: cache headers (Last-Modified, Expires, ETag, Cache-Control max-age public no-transform must-revalidate, Date)" \
  "$PY" - "$W/get.h" <<'EOF'
import sys, re, email.utils
h = {}
for line in open(sys.argv[1]):
    if ":" in line:
        k, v = line.split(":", 1)
        h[k.strip().lower()] = v.strip()
for k in ("last-modified", "expires", "etag", "cache-control", "date"):
    assert k in h, "missing %s in %r" % (k, h)
m = re.fullmatch(r"max-age=(\d+), public, no-transform, must-revalidate", h["cache-control"])
assert m, h["cache-control"]
lm = email.utils.parsedate_to_datetime(h["last-modified"])
ex = email.utils.parsedate_to_datetime(h["expires"])
assert (ex - lm).total_seconds() == 3600, (lm, ex)
assert 0 < int(m.group(1)) <= (ex - lm).total_seconds(), "max-age must stay below nextUpdate"
assert re.fullmatch(r'"[0-9a-f]{64}"', h["etag"]), h["etag"]
EOF
ETAG=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *//p' "$W/get.h" | tr -d '\r')
code=$(curl -sS --noproxy '*' --max-time 30 -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$URL/$ENC")
t "GET with If-None-Match = ETag: 304" test "$code" = 304
# A request whose base64 holds both '/' and '+': sent raw ('/' splits the path), '+' as %2B, and
# '+' as a space (%20), as form-decoding proxies do.
found=""
for i in $(seq 1 300); do
  openssl ocsp -issuer "$ISSUING" -serial "0x$(openssl rand -hex 12)" -no_nonce -reqout "$W/slash.req" >/dev/null 2>&1
  b=$(base64 -w0 "$W/slash.req")
  case $b in *+*/* | */*+*) found=$b; break ;; esac
done
t "found a request whose base64 holds '/' and '+'" test -n "$found"
if [ -n "$found" ]; then
  variants=("$found" "${found//+/%2B}" "${found//+/%20}")
  labels=("'+' raw" "'+' as %2B" "'+' as a space (%20)")
  for i in 0 1 2; do
    code=$(curl -sS --noproxy '*' --max-time 30 -o "$W/slash.der" -w '%{http_code}' "$URL/${variants[$i]}")
    t "GET with '/' unescaped and ${labels[$i]}: successful, revoked (never issued)" \
      bash -c "[ '$code' = 200 ] && [ \"\$(py_ocsp '$W/slash.der' | cut -d' ' -f1-2)\" = 'SUCCESSFUL REVOKED' ]"
  done
fi
code=$(curl -sS --noproxy '*' --max-time 30 -o "$W/badget.der" -D "$W/badget.der.h" -w '%{http_code}' "$URL/not-base64!!")
t "GET with a path that is not base64: HTTP 200 malformedRequest" \
  bash -c "[ '$code' = 200 ] && [ \"\$(py_ocsp '$W/badget.der')\" = MALFORMED_REQUEST ]"

# --- bad input -----------------------------------------------------------------------------------------
openssl ocsp -issuer "$ISSUING" -cert "$W/dev-good.pem" -no_nonce -reqout "$W/good.req" >/dev/null 2>&1
printf 'this is not DER at all' >"$W/garbage.req"
expect_ocsp_error "garbage" "$W/garbage.req" MALFORMED_REQUEST
head -c 30 "$W/good.req" >"$W/truncated.req"
expect_ocsp_error "truncated request" "$W/truncated.req" MALFORMED_REQUEST
: >"$W/empty.req"
expect_ocsp_error "empty body" "$W/empty.req" MALFORMED_REQUEST
head -c 9000 /dev/urandom >"$W/big.req"
expect_ocsp_error "oversized (9000 bytes > 8 KiB request limit)" "$W/big.req" MALFORMED_REQUEST
head -c 70000 /dev/zero >"$W/huge.req"
code=$(post_raw "$W/huge.req" "$W/huge.der")
t "oversized beyond the server's 64 KiB body limit: HTTP 413" test "$code" = 413
serials=()
for i in $(seq 1 9); do serials+=(-serial "0x$(openssl rand -hex 10)"); done
openssl ocsp -issuer "$ISSUING" "${serials[@]}" -no_nonce -reqout "$W/nine.req" >/dev/null 2>&1
expect_ocsp_error "9 entries (limit 8)" "$W/nine.req" MALFORMED_REQUEST
openssl ocsp -issuer "$ISSUING" "${serials[@]:0:16}" -no_nonce -reqout "$W/eight.req" >/dev/null 2>&1
code=$(post_raw "$W/eight.req" "$W/eight.der")
t "8 entries: successful, 8 single responses, verified" bash -c "
  [ '$code' = 200 ] && openssl ocsp -respin '$W/eight.der' -CAfile '$ROOT' -verify_other '$ISSUING' -resp_text 2>&1 | tee '$W/eight.txt' |
  grep -q 'Response verify OK' && [ \$(grep -c 'Cert Status' '$W/eight.txt') = 8 ]"
openssl ocsp -issuer "$ISSUING" -sha384 -cert "$W/dev-good.pem" -no_nonce -reqout "$W/sha384.req" >/dev/null 2>&1
expect_ocsp_error "SHA-384 CertID (unsupported hash)" "$W/sha384.req" MALFORMED_REQUEST
# Crafted CertIDs: MD5, and SHA-256's OID with 20-octet (SHA-1 sized) hashes.
"$PY" - "$W" <<'EOF'
import sys
w = sys.argv[1]
def tlv(tag, body):
    n = len(body)
    if n < 0x80: l = bytes([n])
    elif n < 0x100: l = bytes([0x81, n])
    else: l = bytes([0x82, n >> 8, n & 0xff])
    return bytes([tag]) + l + body
def request(oid, hash_len):
    alg = tlv(0x30, tlv(0x06, oid) + b"\x05\x00")
    cert_id = tlv(0x30, alg + tlv(0x04, b"\x11" * hash_len) + tlv(0x04, b"\x22" * hash_len) + tlv(0x02, b"\x12\x34"))
    return tlv(0x30, tlv(0x30, tlv(0x30, tlv(0x30, cert_id))))
md5 = bytes.fromhex("2a864886f70d0205")
sha256 = bytes.fromhex("608648016503040201")
open(w + "/md5.req", "wb").write(request(md5, 16))
open(w + "/sha256-short.req", "wb").write(request(sha256, 20))
EOF
expect_ocsp_error "MD5 CertID (crafted)" "$W/md5.req" MALFORMED_REQUEST
expect_ocsp_error "SHA-256 CertID with 20-octet hashes (crafted)" "$W/sha256-short.req" MALFORMED_REQUEST
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/other.key" -subj "/CN=Other CA" \
  -days 2 -out "$W/other.pem" >/dev/null 2>&1
openssl ocsp -issuer "$W/other.pem" -serial 0x1234 -no_nonce -reqout "$W/other.req" >/dev/null 2>&1
expect_ocsp_error "unknown issuer" "$W/other.req" UNAUTHORIZED
ask "$W/other.txt" -issuer "$W/other.pem" -serial 0x1234
t "openssl ocsp reports the unknown issuer as 'Responder Error: unauthorized'" grep -q 'unauthorized' "$W/other.txt"
t "the server still answers after the bad input (health 200, good)" bash -c "
  [ \"\$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' 'http://$HTTP/api/v1/health')\" = 200 ] &&
  openssl ocsp -url '$URL' -issuer '$ISSUING' -cert '$W/dev-good.pem' -CAfile '$ROOT' 2>&1 | grep -q ': good'"

# --- /metrics --------------------------------------------------------------------------------------
code=$(curl -sS --noproxy '*' --max-time 30 -o "$W/metrics.txt" -D "$W/metrics.h" -w '%{http_code}' "http://$HTTP/metrics")
t "GET /metrics = 200 text/plain; version=0.0.4" \
  bash -c "[ '$code' = 200 ] && grep -qi '^content-type: text/plain; version=0.0.4' '$W/metrics.h'"
t "metrics: exposition syntax, expected series and values" "$PY" - "$W/metrics.txt" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
assert text.endswith("\n")
samples, types = {}, {}
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$')
for line in text.splitlines():
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ", 3)
        assert name not in types, "TYPE twice for " + name
        types[name] = kind
        continue
    if line.startswith("# HELP "):
        continue
    m = line_re.match(line)
    assert m, "not an exposition line: %r" % line
    value = float(m.group(3))
    samples[(m.group(1), m.group(2) or "")] = value
def get(name, labels=""):
    assert (name, labels) in samples, "missing %s%s" % (name, labels)
    return samples[(name, labels)]
assert types["fleetpki_certificates"] == "gauge"
assert get("fleetpki_certificates", '{tenant="default",status="revoked"}') >= 1
assert get("fleetpki_certificates", '{tenant="default",status="valid"}') >= 2
assert get("fleetpki_store_up") == 1
assert get("fleetpki_certificates_issued_total") >= 3
assert get("fleetpki_certificates_revoked_total") >= 1
assert get("fleetpki_certificates_suspended_total") >= 1
assert get("fleetpki_certificates_reactivated_total") >= 1
for name in ("renewed", "rekeyed"):
    get("fleetpki_certificates_%s_total" % name)
assert get("fleetpki_ocsp_responses_total", '{status="successful"}') >= 10
assert get("fleetpki_ocsp_responses_total", '{status="malformedRequest"}') >= 9
assert get("fleetpki_ocsp_responses_total", '{status="unauthorized"}') >= 2
assert get("fleetpki_ocsp_certificate_status_total", '{status="revoked"}') >= 3
assert get("fleetpki_ocsp_cache_lookups_total", '{result="hit"}') >= 1
assert get("fleetpki_ocsp_responder_certificates_issued_total") >= 3
assert types["fleetpki_ocsp_response_duration_seconds"] == "histogram"
buckets = [(k[1], v) for k, v in samples.items() if k[0] == "fleetpki_ocsp_response_duration_seconds_bucket"]
assert len(buckets) >= 5 and any('le="+Inf"' in b for b, _ in buckets)
values = [v for _, v in buckets]
assert values == sorted(values), "buckets must be cumulative"
total = get("fleetpki_ocsp_response_duration_seconds_count")
assert total == max(values) == sum(get("fleetpki_ocsp_responses_total", '{status="%s"}' % s)
    for s in ("successful", "malformedRequest", "internalError", "tryLater", "sigRequired", "unauthorized"))
assert get("fleetpki_ocsp_response_duration_seconds_sum") > 0
EOF

# --- restart: responder reused; never-issued answered "unknown" by policy ---------------------------
fp_stop_server
t "server stops on SIGTERM" test -z "$SERVER_PID"
FLEETPKI_OCSP_NEVER_ISSUED=unknown fp_start_server "$DATA" 2>"$FP_TMP/restart.err" ||
  fp_abort "server restarts" "$(cat "$FP_TMP/restart.err")"
URL="http://$HTTP/ocsp"
ask "$W/after.txt" -issuer "$ISSUING" -cert "$W/dev-good.pem" -CAfile "$ROOT" -respout "$W/after.der"
openssl ocsp -respin "$W/after.der" -resp_text -noverify 2>/dev/null |
  sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' >"$W/responder2.pem"
t "after a restart: good, same responder certificate" bash -c "
  grep -q ': good' '$W/after.txt' && [ \"\$(openssl x509 -in '$W/responder2.pem' -noout -serial)\" = '$RESPONDER_SERIAL' ]"
ask "$W/rev-after.txt" -issuer "$ISSUING" -cert "$W/dev-revoked.pem" -CAfile "$ROOT" -no_nonce
t "after a restart: still revoked" grep -q ': revoked' "$W/rev-after.txt"
ask "$W/unknown.txt" -issuer "$ISSUING" -serial 0x5a5a5a5a5a5a5a5a5a5a -CAfile "$ROOT" -no_nonce -respout "$W/unknown.der"
t "FLEETPKI_OCSP_NEVER_ISSUED=unknown: never-issued serial is unknown, verify OK" bash -c "
  grep -q 'Response verify OK' '$W/unknown.txt' && grep -q ': unknown' '$W/unknown.txt' &&
  [ \"\$(py_ocsp '$W/unknown.der' | cut -d' ' -f1-2)\" = 'SUCCESSFUL UNKNOWN' ]"
t "no error lines in the server log" bash -c "! grep -iE ' (error|fatal) ' '$FP_TMP'/server.*.err"

fp_finish
