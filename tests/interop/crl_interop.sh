#!/usr/bin/env bash
# CRLs (RFC 5280 §5) over plain HTTP, checked by the openssl CLI and curl:
#   - shape of complete and delta CRLs (`openssl crl -text`): v2, CRL number, AKI, critical IDP naming
#     the certificates' CDP, onlyContainsUserCerts, Next Update, freshestCRL / critical delta indicator;
#   - signatures (`openssl crl -CAfile`), the root's own CRL (the issuing CA's revocation status);
#   - `openssl verify -crl_check`, `-crl_check_all` (leaf + issuing CA against the root's CRL) and
#     `-use_deltas` with complete + delta CRLs: good, revoked (keyCompromise), suspended, and
#     reactivated (certificateHold in the complete CRL, removeFromCRL in the delta);
#   - revocations made over REST reach the delta CRL within a few seconds;
#   - caching headers (Last-Modified = thisUpdate, Expires = nextUpdate, ETag = SHA-256 of the body,
#     Cache-Control bounded by nextUpdate), If-None-Match -> 304, HEAD, 404 problem+json.
# The server runs with complete CRLs re-issued every 8 s (FLEETPKI_CRL_POLICY) so that revocations
# reach a complete CRL during the test.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
fp_require_binary
W=$FP_TMP/w
mkdir -p "$W"

REISSUE=8
export FLEETPKI_CRL_POLICY="complete_reissue_after=$REISSUE,poll_interval_ms=300,debounce_ms=100"
# The URL relying parties use (CDP, IDP, freshestCRL); fetched here from the listener itself.
PUBLIC=http://pki.example.test:8080
fp_start_server "$FP_TMP/data" --public-url "$PUBLIC" 2>"$FP_TMP/start.err" ||
  fp_abort "server starts on 127.0.0.1:0" "$(cat "$FP_TMP/start.err")"
ok "server listens: https $HTTPS, http $HTTP"
BASE="http://$HTTP"

# crl_get PATH OUT [curl args…]: GET on the HTTP listener; prints the status, headers in OUT.h.
crl_get() {
  local path=$1 out=$2
  shift 2
  curl -sS --noproxy '*' --max-time 30 -o "$out" -D "$out.h" -w '%{http_code}' "$@" "$BASE$path"
}
# header FILE NAME: the value of a response header (last one, CR stripped).
header() { grep -i "^$2:" "$1.h" | tail -1 | cut -d: -f2- | sed 's/^[[:space:]]*//; s/\r$//'; }
crl_text() { openssl crl -inform DER -in "$1" -noout -text 2>&1; }
# crl_number CRL, delta_base CRL: the cRLNumber and the deltaCRLIndicator, in decimal (openssl
# prints the first in hex; the second in decimal, or in hex with 0x when it is large).
crl_number() {
  local hex
  hex=$(openssl crl -inform DER -in "$1" -noout -crlnumber 2>/dev/null | sed -n 's/^crlNumber=\(0x\)\{0,1\}//p')
  [ -n "$hex" ] && echo $((16#$hex))
}
delta_base() {
  local value
  value=$(crl_text "$1" | grep -A1 'Delta CRL Indicator' | tail -1 | tr -d ' :')
  case $value in
    0x*) echo $((16#${value#0x})) ;;
    [0-9]*) echo $((10#$value)) ;;
  esac
}
# shellcheck disable=SC2016 # the sed program is literal
# names_uri URL < TEXT: `openssl crl -text` names exactly URL (it may print more on the same line).
names_uri() { grep -qE "URI:$(printf '%s' "$1" | sed 's/[].[*^$()+?{}|\\]/\\&/g')([[:space:]]|\$)"; }
to_pem() { openssl crl -inform DER -in "$1" -out "$2" 2>/dev/null; }
# has_serial CRL SERIAL_HEX: the CRL lists the serial (openssl prints upper-case hex).
has_serial() {
  local s
  s=$(printf '%s' "$2" | tr 'a-f' 'A-F')
  crl_text "$1" | grep -q "Serial Number: 0*$s\$"
}
# reason_of CRL SERIAL_HEX: the "X509v3 CRL Reason Code" line after the serial (empty if none).
reason_of() {
  local s
  s=$(printf '%s' "$2" | tr 'a-f' 'A-F')
  crl_text "$1" | awk -v s="$s" '
    /Serial Number:/ { on = ($3 ~ ("^0*" s "$")) ; next }
    on && /CRL Reason Code/ { getline; gsub(/^[ \t]+/, ""); print; exit }'
}
# wait_for PATH OUT SECONDS CHECK…: refetches PATH into OUT until CHECK succeeds (bounded).
wait_for() {
  local path=$1 out=$2 seconds=$3 i
  shift 3
  for ((i = 0; i < seconds * 5; i++)); do
    if [ "$(crl_get "$path" "$out")" = 200 ] && "$@"; then return 0; fi
    sleep 0.2
  done
  return 1
}

# --- CA material ---------------------------------------------------------------------------------
ROOT=$DATA/root-ca.pem
"$PY" -c '
import re, sys
b = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", open(sys.argv[1]).read(), re.S)
open(sys.argv[2], "w").write(b[0] + "\n")' "$DATA/ca-chain.pem" "$W/issuing.pem"
ISSUING=$W/issuing.pem

# --- shape of the published CRLs -----------------------------------------------------------------
code=$(crl_get /crl/default/issuing.crl "$W/complete0.crl")
t "GET /crl/default/issuing.crl = 200" test "$code" = 200
t "Content-Type: application/pkix-crl" test "$(header "$W/complete0.crl" content-type)" = application/pkix-crl
txt=$(crl_text "$W/complete0.crl")
t "complete CRL parses as DER (openssl crl)" test -n "$(crl_number "$W/complete0.crl")"
t "complete CRL is v2" grep -q "Version 2 (0x1)" <<<"$txt"
t "complete CRL has a CRL number" grep -q "X509v3 CRL Number:" <<<"$txt"
t "complete CRL has an authority key identifier" grep -q "X509v3 Authority Key Identifier:" <<<"$txt"
t "complete CRL has Next Update" grep -q "Next Update: [A-Z]" <<<"$txt"
t "IDP is critical" grep -q "X509v3 Issuing Distribution Point: critical" <<<"$txt"
t "IDP names $PUBLIC/crl/default/issuing.crl" names_uri "$PUBLIC/crl/default/issuing.crl" <<<"$txt"
t "IDP: only user certificates" grep -q "Only User Certificates" <<<"$txt"
t "freshestCRL names the delta CRL" names_uri "$PUBLIC/crl/default/issuing.delta.crl" <<<"$txt"
t "complete CRL signature verifies with the issuing CA (openssl crl -CAfile)" \
  bash -c "openssl crl -inform DER -in '$W/complete0.crl' -CAfile '$ISSUING' -noout 2>&1 | grep -q 'verify OK'"

code=$(crl_get /crl/default/issuing.delta.crl "$W/delta0.crl")
t "GET /crl/default/issuing.delta.crl = 200" test "$code" = 200
dtxt=$(crl_text "$W/delta0.crl")
t "delta CRL has a critical delta CRL indicator" grep -q "X509v3 Delta CRL Indicator: critical" <<<"$dtxt"
t "delta indicator = the complete CRL's number" test "$(delta_base "$W/delta0.crl")" = "$(crl_number "$W/complete0.crl")"
t "delta CRL number > complete CRL number" test "$(crl_number "$W/delta0.crl")" -gt "$(crl_number "$W/complete0.crl")"
t "delta CRL has the same IDP" names_uri "$PUBLIC/crl/default/issuing.crl" <<<"$dtxt"
t "delta CRL has no freshestCRL" bash -c "! grep -q 'Freshest CRL' <<<'$dtxt'"
t "delta CRL signature verifies" \
  bash -c "openssl crl -inform DER -in '$W/delta0.crl' -CAfile '$ISSUING' -noout 2>&1 | grep -q 'verify OK'"

code=$(crl_get /crl/default/root.crl "$W/root.crl")
t "GET /crl/default/root.crl = 200 (the root CA's CRL, for -crl_check_all)" test "$code" = 200
rtxt=$(crl_text "$W/root.crl")
t "root CRL is signed by the root key" \
  bash -c "openssl crl -inform DER -in '$W/root.crl' -CAfile '$ROOT' -noout 2>&1 | grep -q 'verify OK'"
t "root CRL has no IDP (it covers the CA certificates, which carry no CDP)" \
  bash -c "! grep -q 'Issuing Distribution Point' <<<'$rtxt' && grep -q 'Next Update: [A-Z]' <<<'$rtxt'"
to_pem "$W/root.crl" "$W/root.crl.pem"

# --- certificates: good, revoked, suspended, suspended then reactivated ------------------------------
declare -A SERIAL
for name in good revoked held released cli; do
  fp_make_csr p256 "$W/$name.csr" "/CN=crl-$name" || fp_abort "openssl makes a CSR"
  code=$(fp_issue tls-client "$W/$name.csr" "$W/$name.json")
  case $code in 200 | 201) ;; *) fp_abort "issue $name = 2xx" "$code $(cat "$W/$name.json")" ;; esac
  fp_json "$W/$name.json" certificate >"$W/$name.pem"
  SERIAL[$name]=$(fp_json "$W/$name.json" serial)
done
ok "issued five tls-client certificates"
cdp=$(openssl x509 -in "$W/good.pem" -noout -ext crlDistributionPoints 2>/dev/null | sed -n 's/^ *URI://p')
t "the certificate's CDP is the IDP URL byte for byte" test "$cdp" = "$PUBLIC/crl/default/issuing.crl"

# verify CERT CRL-PEM… [openssl flags…] (flags after --): prints openssl's output, exit status kept.
verify() {
  local cert=$1
  shift
  local crls=() flags=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do crls+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  flags=("$@")
  cat "${crls[@]}" >"$W/crls.pem"
  openssl verify -CAfile "$ROOT" -untrusted "$ISSUING" -CRLfile "$W/crls.pem" "${flags[@]}" "$cert" 2>&1
}
expect_ok() {
  local out
  if out=$(verify "$@") && grep -q ': OK$' <<<"$out"; then return 0; fi
  echo "$out"
  return 1
}
expect_revoked() {
  local out
  out=$(verify "$@")
  if ! grep -q ': OK$' <<<"$out" && grep -q 'certificate revoked' <<<"$out"; then return 0; fi
  echo "$out"
  return 1
}

to_pem "$W/complete0.crl" "$W/complete0.pem"
t "good: verify -crl_check = OK" expect_ok "$W/good.pem" "$W/complete0.pem" -- -crl_check
t "good: verify -crl_check_all (issuing CA checked against the root's CRL) = OK" \
  expect_ok "$W/good.pem" "$W/complete0.pem" "$W/root.crl.pem" -- -crl_check_all
t "without the root's CRL, -crl_check_all cannot check the issuing CA" bash -c \
  "out=\$(openssl verify -CAfile '$ROOT' -untrusted '$ISSUING' -CRLfile '$W/complete0.pem' -crl_check_all '$W/good.pem' 2>&1); ! grep -q ': OK\$' <<<\"\$out\" && grep -q 'unable to get certificate CRL' <<<\"\$out\""

# --- revocations over REST reach the delta CRL ------------------------------------------------------
lifecycle() {  # lifecycle ACTION NAME [JSON]: POST …/{serial}/ACTION; prints the status
  local body=${3:-'{}'}
  fp_request POST "/api/v1/tenants/default/certificates/${SERIAL[$2]}/$1" "$W/$2.$1.json" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary "$body"
}
start_ns=$(date +%s%N)
code=$(lifecycle revoke revoked '{"reason":"keyCompromise"}')
t "POST …/revoke {\"reason\":\"keyCompromise\"} = 200" test "$code" = 200
code=$(lifecycle suspend held)
t "POST …/suspend = 200" test "$code" = 200
code=$(lifecycle suspend released)
t "POST …/suspend (the one to reactivate) = 200" test "$code" = 200
in_delta() { has_serial "$W/delta1.crl" "${SERIAL[revoked]}" && has_serial "$W/delta1.crl" "${SERIAL[held]}" &&
  has_serial "$W/delta1.crl" "${SERIAL[released]}"; }
if wait_for /crl/default/issuing.delta.crl "$W/delta1.crl" 10 in_delta; then
  ok "the delta CRL lists the three changes after $((($(date +%s%N) - start_ns) / 1000000)) ms"
else
  no "the delta CRL lists the three changes within 10 s" "$(crl_text "$W/delta1.crl")"
fi
t "delta: keyCompromise" test "$(reason_of "$W/delta1.crl" "${SERIAL[revoked]}")" = "Key Compromise"
t "delta: certificateHold" test "$(reason_of "$W/delta1.crl" "${SERIAL[held]}")" = "Certificate Hold"
crl_get /crl/default/issuing.crl "$W/complete1.crl" >/dev/null
to_pem "$W/complete1.crl" "$W/complete1.pem"
to_pem "$W/delta1.crl" "$W/delta1.pem"
if ! has_serial "$W/complete1.crl" "${SERIAL[revoked]}"; then
  # Complete CRL from before the revocation: only the delta knows. (Skipped if a re-issue raced.)
  t "revoked, complete CRL only (not yet in it): verify -crl_check = OK (stale view)" \
    expect_ok "$W/revoked.pem" "$W/complete1.pem" -- -crl_check
fi
t "revoked: verify -crl_check -use_deltas with complete + delta = certificate revoked" \
  expect_revoked "$W/revoked.pem" "$W/complete1.pem" "$W/delta1.pem" -- -crl_check -use_deltas
t "held: -crl_check_all -use_deltas = certificate revoked" \
  expect_revoked "$W/held.pem" "$W/complete1.pem" "$W/delta1.pem" "$W/root.crl.pem" -- -crl_check_all -use_deltas
t "good: -crl_check_all -use_deltas = OK" \
  expect_ok "$W/good.pem" "$W/complete1.pem" "$W/delta1.pem" "$W/root.crl.pem" -- -crl_check_all -use_deltas

# A revocation by another process (the CLI on the same data folder) is found by the poll.
start_ns=$(date +%s%N)
t "fleetpki revoke (CLI, another process) --reason superseded" \
  "$FP" revoke --data "$DATA" --serial "${SERIAL[cli]}" --reason superseded
by_cli() { [ "$(reason_of "$W/delta_cli.crl" "${SERIAL[cli]}")" = "Superseded" ]; }
if wait_for /crl/default/issuing.delta.crl "$W/delta_cli.crl" 10 by_cli; then
  ok "the delta CRL lists the CLI's revocation after $((($(date +%s%N) - start_ns) / 1000000)) ms"
else
  no "the delta CRL lists the CLI's revocation within 10 s" "$(crl_text "$W/delta_cli.crl")"
fi

# --- the next complete CRL carries them; reactivation is removeFromCRL in the delta -----------------
in_complete() { has_serial "$W/complete2.crl" "${SERIAL[revoked]}" && has_serial "$W/complete2.crl" "${SERIAL[released]}"; }
t "a complete CRL lists them within $((REISSUE + 4)) s (scheduled re-issue)" \
  wait_for /crl/default/issuing.crl "$W/complete2.crl" $((REISSUE + 4)) in_complete
base=$(crl_number "$W/complete2.crl")
t "complete: certificateHold for the suspended one" \
  test "$(reason_of "$W/complete2.crl" "${SERIAL[released]}")" = "Certificate Hold"
t "the complete CRL's number grew" test "$base" -gt "$(crl_number "$W/complete1.crl")"
code=$(lifecycle reactivate released)
t "POST …/reactivate = 200" test "$code" = 200
removed() { [ "$(reason_of "$W/delta2.crl" "${SERIAL[released]}")" = "Remove From CRL" ]; }
t "the delta lists the reactivated certificate as removeFromCRL" \
  wait_for /crl/default/issuing.delta.crl "$W/delta2.crl" 10 removed
t "the delta no longer lists revocations its base carries" bash -c "$(declare -f has_serial crl_text); ! has_serial '$W/delta2.crl' '${SERIAL[revoked]}'"
dbase=$(delta_base "$W/delta2.crl")
to_pem "$W/complete2.crl" "$W/complete2.pem"
to_pem "$W/delta2.crl" "$W/delta2.pem"
if [ "$dbase" = "$base" ]; then
  t "reactivated: complete only = certificate revoked (hold)" \
    expect_revoked "$W/released.pem" "$W/complete2.pem" -- -crl_check
  t "reactivated: complete + delta with -use_deltas = OK (removeFromCRL)" \
    expect_ok "$W/released.pem" "$W/complete2.pem" "$W/delta2.pem" "$W/root.crl.pem" -- -crl_check_all -use_deltas
  t "revoked: complete only = certificate revoked" expect_revoked "$W/revoked.pem" "$W/complete2.pem" -- -crl_check
  t "revoked: -crl_check_all -use_deltas = certificate revoked" \
    expect_revoked "$W/revoked.pem" "$W/complete2.pem" "$W/delta2.pem" "$W/root.crl.pem" -- -crl_check_all -use_deltas
else
  no "delta $dbase is based on the complete CRL $base (a re-issue raced the test)"
fi
t "a later complete CRL drops the reactivated certificate" \
  wait_for /crl/default/issuing.crl "$W/complete3.crl" $((REISSUE + 4)) \
  bash -c "$(declare -f has_serial crl_text); ! has_serial '$W/complete3.crl' '${SERIAL[released]}' && has_serial '$W/complete3.crl' '${SERIAL[revoked]}'"

# --- HTTP caching --------------------------------------------------------------------------------
code=$(crl_get /crl/default/issuing.crl "$W/c.crl")
etag=$(header "$W/c.crl" etag)
t "ETag is the quoted hex SHA-256 of the body" test "$etag" = "\"$(sha256sum "$W/c.crl" | cut -d' ' -f1)\""
t "Last-Modified = thisUpdate, Expires = nextUpdate" "$PY" - "$W/c.crl" <<'EOF'
import email.utils, subprocess, sys, datetime
f = sys.argv[1]
h = {}
for line in open(f + ".h", encoding="latin-1"):
    if ":" in line:
        k, v = line.split(":", 1)
        h[k.strip().lower()] = v.strip()
def crl_time(opt):
    out = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", f, "-noout", opt], capture_output=True, text=True).stdout
    v = out.strip().split("=", 1)[1]
    return datetime.datetime.strptime(v, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=datetime.timezone.utc)
lm = email.utils.parsedate_to_datetime(h["last-modified"])
ex = email.utils.parsedate_to_datetime(h["expires"])
assert lm == crl_time("-lastupdate"), (lm, crl_time("-lastupdate"))
assert ex == crl_time("-nextupdate"), (ex, crl_time("-nextupdate"))
assert h["last-modified"].endswith(" GMT") and h["expires"].endswith(" GMT")
EOF
t "Cache-Control: public, max-age=N (0 < N <= time to nextUpdate), no-transform" "$PY" - "$W/c.crl" <<'EOF'
import email.utils, re, sys, time
h = {}
for line in open(sys.argv[1] + ".h", encoding="latin-1"):
    if ":" in line:
        k, v = line.split(":", 1)
        h[k.strip().lower()] = v.strip()
m = re.fullmatch(r"public, max-age=(\d+), no-transform", h["cache-control"])
assert m, h["cache-control"]
left = email.utils.parsedate_to_datetime(h["expires"]).timestamp() - time.time()
assert 0 < int(m.group(1)) <= left + 2, (m.group(1), left)
EOF
code=$(crl_get /crl/default/issuing.crl "$W/c304" -H "If-None-Match: $etag")
t "If-None-Match with the ETag = 304" test "$code" = 304
t "304 has no body and repeats the ETag" bash -c "[ ! -s '$W/c304' ] && grep -qi '^etag: $etag' '$W/c304.h'"
code=$(crl_get /crl/default/issuing.crl "$W/c304w" -H "If-None-Match: \"other\", W/$etag")
t "If-None-Match with a weak match in a list = 304" test "$code" = 304
code=$(crl_get /crl/default/issuing.crl "$W/c200" -H 'If-None-Match: "0123"')
t "If-None-Match with another ETag = 200 with the body" bash -c "[ '$code' = 200 ] && cmp -s '$W/c200' '$W/c.crl'"
code=$(crl_get /crl/default/issuing.delta.crl "$W/d.crl")
t "delta: max-age is short (<= 30 s)" bash -c "grep -qiE '^cache-control: public, max-age=([0-9]|[12][0-9]|30), no-transform' '$W/d.crl.h'"
code=$(curl -sS --noproxy '*' --max-time 30 -I -o "$W/head.h" -w '%{http_code}' "$BASE/crl/default/issuing.crl")
t "HEAD = 200 with the Content-Length of the CRL" bash -c \
  "[ '$code' = 200 ] && grep -qi '^content-length: $(stat -c %s "$W/c.crl")' '$W/head.h'"
for path in /crl/nope/issuing.crl /crl/default/nope.crl /crl/default/issuing.p3.crl /crl/default/issuing.pem \
  /crl/default/root.p1.crl; do
  code=$(crl_get "$path" "$W/nf")
  t "GET $path = 404 problem+json" bash -c "[ '$code' = 404 ] && $(declare -f fp_problem); PY='$PY' fp_problem '$W/nf' 404"
done
code=$(curl -sS --noproxy '*' --max-time 30 -o /dev/null -w '%{http_code}' -X POST "$BASE/crl/default/issuing.crl")
t "POST /crl/… = 405" test "$code" = 405

# --- a restart serves the stored CRLs (still fresh) instead of signing new ones ---------------------
# Stop right after a scheduled re-issue (complete and its delta), so that no other one can land
# between the fetch and the stop.
crl_get /crl/default/issuing.crl "$W/before.crl" >/dev/null
last=$(crl_number "$W/before.crl")
newer() { [ "$(crl_number "$W/before.crl")" -gt "$last" ]; }
wait_for /crl/default/issuing.crl "$W/before.crl" $((REISSUE + 4)) newer || no "a scheduled re-issue"
on_base() { [ "$(delta_base "$W/before.delta.crl")" = "$(crl_number "$W/before.crl")" ]; }
wait_for /crl/default/issuing.delta.crl "$W/before.delta.crl" 5 on_base || no "its delta"
fp_stop_server || no "server stops on SIGTERM"
unset FLEETPKI_CRL_POLICY
fp_start_server "$DATA" --public-url "$PUBLIC" 2>"$FP_TMP/restart.err" ||
  fp_abort "server restarts" "$(cat "$FP_TMP/restart.err")"
BASE="http://$HTTP"
crl_get /crl/default/issuing.crl "$W/after.crl" >/dev/null
crl_get /crl/default/issuing.delta.crl "$W/after.delta.crl" >/dev/null
t "after a restart the stored complete CRL is served again (byte-identical, not re-signed)" \
  cmp -s "$W/before.crl" "$W/after.crl"
t "and the stored delta CRL too" cmp -s "$W/before.delta.crl" "$W/after.delta.crl"
t "revocations survive the restart" has_serial "$W/after.crl" "${SERIAL[revoked]}"
fp_finish
