#!/usr/bin/env bash
# Certificate lifecycle over REST v1 and the CLI, as an outside client sees it: revoke with a
# reason, suspend, reactivate, renew (same key), re-key (new CSR), revoke-by-query, the expiry view,
# and the refusals of the state machine, each with its problem+json status. Renewed and re-keyed
# certificates are checked with openssl (same/new key, same subject, chain verifies).
set -u
. "$(dirname "$0")/common.sh"
fp_require_binary
fp_start_server "$FP_TMP/data" || fp_abort "server did not start"
AUTH=(-H "Authorization: Bearer $TOKEN")
JSON=(-H 'Content-Type: application/json')
BASE=/api/v1/tenants/default/certificates

issue() { # issue NAME → serial on stdout
  fp_make_csr p256 "$FP_TMP/$1.csr" "/CN=$1" -addext "subjectAltName=DNS:$1.example" || return 1
  [ "$(fp_issue tls-client "$FP_TMP/$1.csr" "$FP_TMP/$1.json")" = 201 ] || return 1
  fp_json "$FP_TMP/$1.json" serial
}
post() { # post PATH OUT [JSON body] → status
  local path=$1 out=$2 body=${3:-}
  if [ -n "$body" ]; then
    fp_request POST "$path" "$out" "${AUTH[@]}" "${JSON[@]}" --data-binary "$body"
  else
    fp_request POST "$path" "$out" "${AUTH[@]}"
  fi
}
field() { fp_json "$1" "$2" 2>/dev/null; }
is_problem() { [ "$1" = "$2" ] && fp_problem "$3" "$2"; }       # is_problem CODE WANT FILE
listed_has() { fp_count_certs "$1" >/dev/null && grep -q "^$2 " "$FP_TMP/listed"; }

# --- revoke ----------------------------------------------------------------------------------
A=$(issue dev-a)
t "issue dev-a" test -n "$A"
code=$(post "$BASE/$A/revoke" "$FP_TMP/r1" '{"reason":"keyCompromise"}')
t "revoke = 200" test "$code" = 200
t "revoke answers status revoked, reason keyCompromise" bash -c \
  "[ \"$(field "$FP_TMP/r1" status)\" = revoked ] && [ \"$(field "$FP_TMP/r1" revocation_reason)\" = keyCompromise ]"
fp_request GET "$BASE/$A" "$FP_TMP/g1" "${AUTH[@]}" >/dev/null
t "GET shows revoked with revoked_at" bash -c "[ \"$(field "$FP_TMP/g1" status)\" = revoked ] && [ -n \"$(field "$FP_TMP/g1" revoked_at)\" ]"
code=$(post "$BASE/$A/revoke" "$FP_TMP/r2" '{"reason":"superseded"}')
t "revoking twice = 409 problem (revoked is final)" is_problem "$code" 409 "$FP_TMP/r2"
code=$(post "$BASE/$A/reactivate" "$FP_TMP/r3")
t "reactivating a revoked certificate = 409" test "$code" = 409
code=$(post "$BASE/$A/renew" "$FP_TMP/r4")
t "renewing a revoked certificate = 409" test "$code" = 409
code=$(post "$BASE/7f00112233445566778899aabbccddee/revoke" "$FP_TMP/r5" '{"reason":"keyCompromise"}')
t "revoking an unknown serial = 404 problem" is_problem "$code" 404 "$FP_TMP/r5"

B=$(issue dev-b)
for bad in '{"reason":"certificateHold"}' '{"reason":"removeFromCRL"}' '{"reason":"nonsense"}' '{"reason":7}' \
           '{"reason":true}' '{"why":"keyCompromise"}' '[1]' 'not json'; do
  code=$(post "$BASE/$B/revoke" "$FP_TMP/bad" "$bad")
  t "revoke body $bad = 400" test "$code" = 400
done
fp_request GET "$BASE/$B" "$FP_TMP/g2" "${AUTH[@]}" >/dev/null
t "bad revoke requests left dev-b valid" test "$(field "$FP_TMP/g2" status)" = valid

AUDITOR=$("$FP" token create --data "$DATA" --tenant default --role auditor 2>/dev/null)
code=$(fp_request POST "$BASE/$B/revoke" "$FP_TMP/aud" -H "Authorization: Bearer $AUDITOR" "${JSON[@]}" --data-binary '{}')
t "an auditor may not revoke (403)" test "$code" = 403
code=$(fp_request POST "$BASE/$B/revoke" "$FP_TMP/anon" "${JSON[@]}" --data-binary '{}')
t "no token = 401" test "$code" = 401

# --- suspend / reactivate -------------------------------------------------------------------
code=$(post "$BASE/$B/suspend" "$FP_TMP/s1")
t "suspend = 200, status suspended, reason certificateHold" bash -c \
  "[ $code = 200 ] && [ \"$(field "$FP_TMP/s1" status)\" = suspended ] && [ \"$(field "$FP_TMP/s1" revocation_reason)\" = certificateHold ]"
code=$(post "$BASE/$B/suspend" "$FP_TMP/s2")
t "suspending twice = 409" test "$code" = 409
code=$(post "$BASE/$B/rekey" "$FP_TMP/s3" "$(fp_make_request tls-client "$FP_TMP/dev-a.csr" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"csr": d["csr"]}))')")
t "re-keying a suspended certificate = 409" test "$code" = 409
code=$(post "$BASE/$B/reactivate" "$FP_TMP/s4")
t "reactivate = 200, status valid" bash -c "[ $code = 200 ] && [ \"$(field "$FP_TMP/s4" status)\" = valid ]"

# --- renew / re-key -------------------------------------------------------------------------
code=$(post "$BASE/$B/renew" "$FP_TMP/n1")
t "renew = 201 with renewal_of" bash -c "[ $code = 201 ] && [ \"$(field "$FP_TMP/n1" renewal_of)\" = $B ]"
field "$FP_TMP/n1" certificate >"$FP_TMP/renewed.pem"
field "$FP_TMP/n1" chain >"$FP_TMP/renewed-chain.pem"
field "$FP_TMP/dev-b.json" certificate >"$FP_TMP/b.pem"
t "renewed certificate keeps the key" bash -c \
  "[ \"\$(openssl x509 -in $FP_TMP/renewed.pem -noout -pubkey)\" = \"\$(openssl x509 -in $FP_TMP/b.pem -noout -pubkey)\" ]"
t "renewed certificate keeps subject and SAN" bash -c \
  "[ \"\$(openssl x509 -in $FP_TMP/renewed.pem -noout -subject -ext subjectAltName)\" = \"\$(openssl x509 -in $FP_TMP/b.pem -noout -subject -ext subjectAltName)\" ]"
t "renewed certificate verifies (openssl verify -x509_strict)" \
  openssl verify -x509_strict -CAfile "$DATA/root-ca.pem" -untrusted "$FP_TMP/renewed-chain.pem" "$FP_TMP/renewed.pem"
t "renewed certificate has a new serial" bash -c "[ \"$(field "$FP_TMP/n1" serial)\" != $B ]"

fp_make_csr p384 "$FP_TMP/new.csr" "/CN=somebody-else" || true
code=$(post "$BASE/$B/rekey" "$FP_TMP/k1" "$("$PY" -c 'import json,sys; print(json.dumps({"csr": open(sys.argv[1]).read()}))' "$FP_TMP/new.csr")")
t "rekey = 201" test "$code" = 201
field "$FP_TMP/k1" certificate >"$FP_TMP/rekeyed.pem"
t "re-keyed certificate carries the CSR's key" bash -c \
  "[ \"\$(openssl x509 -in $FP_TMP/rekeyed.pem -noout -pubkey)\" = \"\$(openssl req -in $FP_TMP/new.csr -noout -pubkey)\" ]"
t "re-keyed certificate keeps the old subject, not the CSR's" bash -c \
  "openssl x509 -in $FP_TMP/rekeyed.pem -noout -subject | grep -q 'CN *= *dev-b'"
code=$(post "$BASE/$B/rekey" "$FP_TMP/k2" "$("$PY" -c 'import json,sys; print(json.dumps({"csr": open(sys.argv[1]).read()}))' "$FP_TMP/dev-b.csr")")
t "re-key with the current key = 400" test "$code" = 400

# Revoking the original revokes its renewals too.
R1=$(field "$FP_TMP/n1" serial)
R2=$(field "$FP_TMP/k1" serial)
code=$(post "$BASE/$B/revoke" "$FP_TMP/c1" '{"reason":"keyCompromise"}')
t "revoke the original = 200" test "$code" = 200
for s in "$R1" "$R2"; do
  fp_request GET "$BASE/$s" "$FP_TMP/c2" "${AUTH[@]}" >/dev/null
  t "renewal $s revoked with the original" test "$(field "$FP_TMP/c2" status)" = revoked
done

# --- revoke-by-query ------------------------------------------------------------------------
for i in 1 2 3; do
  fp_make_csr p256 "$FP_TMP/srv$i.csr" "/CN=srv$i.example" -addext "subjectAltName=DNS:srv$i.example" >/dev/null
  fp_issue tls-server "$FP_TMP/srv$i.csr" "$FP_TMP/srv$i.json" >/dev/null
done
C=$(issue dev-c)
code=$(post /api/v1/tenants/default/bulk-revocations "$FP_TMP/bulk" '{"profile":"tls-server","reason":"cessationOfOperation"}')
t "bulk revocation = 202 with a Location" bash -c "[ $code = 202 ] && grep -qi '^location: /api/v1/tenants/default/bulk-revocations/' $FP_TMP/bulk.h"
JOB=$(field "$FP_TMP/bulk" id)
state=""
for _ in $(seq 1 100); do
  fp_request GET "/api/v1/tenants/default/bulk-revocations/$JOB" "$FP_TMP/job" "${AUTH[@]}" >/dev/null
  state=$(field "$FP_TMP/job" state)
  [ "$state" = done ] && break
  sleep 0.1
done
t "bulk job reaches done" test "$state" = done
# The server's own TLS certificate is a tls-server certificate of the tenant too: 3 + 1.
t "bulk job revoked the 3 tls-server certificates and the server's own" test "$(field "$FP_TMP/job" processed)" = 4
for i in 1 2 3; do
  s=$(field "$FP_TMP/srv$i.json" serial)
  fp_request GET "$BASE/$s" "$FP_TMP/b$i" "${AUTH[@]}" >/dev/null
  t "srv$i revoked by the bulk job (cessationOfOperation)" bash -c \
    "[ \"$(field "$FP_TMP/b$i" status)\" = revoked ] && [ \"$(field "$FP_TMP/b$i" revocation_reason)\" = cessationOfOperation ]"
done
fp_request GET "$BASE/$C" "$FP_TMP/cc" "${AUTH[@]}" >/dev/null
t "a tls-client certificate is spared by the tls-server bulk job" test "$(field "$FP_TMP/cc" status)" = valid
code=$(post /api/v1/tenants/default/bulk-revocations "$FP_TMP/bulk2" '{"reason":"keyCompromise"}')
t "bulk revocation without a criterion = 400" test "$code" = 400
code=$(fp_request GET /api/v1/tenants/default/bulk-revocations/999999 "$FP_TMP/nojob" "${AUTH[@]}")
t "unknown bulk job = 404" test "$code" = 404

# --- expiry view (REST and CLI) -------------------------------------------------------------
SOON=$("$PY" -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc)+datetime.timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
PAST=$("$PY" -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc)+datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
t "REST: certificates expiring within 400 days include dev-c" listed_has "expires_before=$SOON" "$C"
t "REST: none of them expires within a day" test "$(fp_count_certs "expires_before=$PAST")" = 0
t "CLI: certificates list --expires-before lists dev-c" bash -c \
  "'$FP' certificates list --data '$DATA' --expires-before $SOON | grep -q '^$C '"
t "CLI: certificates list --expires-before tomorrow lists nothing" bash -c \
  "[ -z \"\$('$FP' certificates list --data '$DATA' --expires-before $PAST)\" ]"

# --- CLI lifecycle (another process; the server shares the database) -------------------------
D=$(issue dev-d)
t "CLI suspend" bash -c "'$FP' suspend --data '$DATA' --serial $D | grep -q suspended"
t "CLI reactivate" bash -c "'$FP' reactivate --data '$DATA' --serial $D | grep -q valid"
t "CLI revoke --reason superseded" bash -c "'$FP' revoke --data '$DATA' --serial $D --reason superseded | grep -q revoked"
fp_request GET "$BASE/$D" "$FP_TMP/d" "${AUTH[@]}" >/dev/null
t "the server sees the CLI's revocation" test "$(field "$FP_TMP/d" revocation_reason)" = superseded
"$FP" revoke --data "$DATA" --serial "$D" >/dev/null 2>"$FP_TMP/cli.err"
t "CLI revoke twice exits 1 with a message" bash -c "[ $? = 1 ] && grep -q 'already revoked' $FP_TMP/cli.err"
"$FP" revoke --data "$DATA" --serial "$D" --reason bogus >/dev/null 2>&1
t "CLI revoke with a bad reason exits 1" test $? = 1
"$FP" revoke --data "$DATA" >/dev/null 2>&1
t "CLI revoke without --serial is a usage error (2)" test $? = 2

t "server still healthy" test "$(fp_health)" = 200
fp_stop_server
fp_finish
