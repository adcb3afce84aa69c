#!/usr/bin/env bash
# The tamper-evident audit log as an outside client and an attacker with the database see it:
# REST listing (filters, cursor pagination, roles, tenant isolation, bad parameters as
# problem+json), JSON-lines export, platform log and checkpoints, no secrets in the export, then
# `fleetpki audit verify` on copies of the data folder edited by hand with python's sqlite3:
# an edited row, a deleted row, two swapped rows, a truncated tail, a forged checkpoint, a
# replaced pinned key. Each must exit 1 with one line naming the right event; the untouched copy 0.
set -u
. "$(dirname "$0")/common.sh"
fp_require_binary
# Checkpoints from the service within a second of a burst of 5 events (and at shutdown).
export FLEETPKI_AUDIT_CHECKPOINT_EVENTS=5 FLEETPKI_AUDIT_CHECKPOINT_SECONDS=1
fp_start_server "$FP_TMP/data" || fp_abort "server did not start"
PLATFORM=$TOKEN
JSON=(-H 'Content-Type: application/json')
BASE=/api/v1/tenants/default/audit

t "the audit key is pinned in the data folder" grep -q 'BEGIN PUBLIC KEY' "$DATA/audit-key.pem"

# --- some changes over REST and the CLI --------------------------------------------------------
code=$(fp_request POST /api/v1/tenants "$FP_TMP/tenant" -H "Authorization: Bearer $PLATFORM" "${JSON[@]}" \
  --data-binary '{"name":"other"}')
t "create tenant other (201)" test "$code" = 201
ADMIN=$("$FP" token create --data "$DATA" --tenant default --role admin)
AUDITOR=$("$FP" token create --data "$DATA" --tenant default --role auditor)
OPERATOR=$("$FP" token create --data "$DATA" --tenant default --role operator)
ENROLL=$("$FP" token create --data "$DATA" --tenant default --role enrollment)
OTHER_AUDITOR=$("$FP" token create --data "$DATA" --tenant other --role auditor)
t "tokens created" test -n "$ADMIN" -a -n "$AUDITOR" -a -n "$OPERATOR" -a -n "$ENROLL" -a -n "$OTHER_AUDITOR"
for i in 1 2 3; do
  fp_make_csr p256 "$FP_TMP/d$i.csr" "/CN=dev-$i" || fp_abort "openssl req failed"
  [ "$(fp_issue tls-client "$FP_TMP/d$i.csr" "$FP_TMP/d$i.json")" = 201 ] || no "issue dev-$i"
done
S1=$(fp_json "$FP_TMP/d1.json" serial)
code=$(fp_request POST "/api/v1/tenants/default/certificates/$S1/revoke" "$FP_TMP/rv" \
  -H "Authorization: Bearer $PLATFORM" "${JSON[@]}" --data-binary '{"reason":"keyCompromise"}')
t "revoke dev-1 (200)" test "$code" = 200

get() { # get PATH TOKEN OUT → status
  if [ -n "$2" ]; then fp_request GET "$1" "$3" -H "Authorization: Bearer $2"; else fp_request GET "$1" "$3"; fi
}
pyjson() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }

# --- listing -----------------------------------------------------------------------------------
code=$(get "$BASE?limit=1000" "$AUDITOR" "$FP_TMP/all")
t "auditor lists the tenant's audit (200)" test "$code" = 200
t "events have the documented fields, tenant default only, ascending ids" pyjson "$FP_TMP/all" '
items = d["items"]
assert len(items) >= 8, len(items)
keys = {"id","tenant","actor","action","object","request_id","details","at","prev_hash","hash"}
assert all(set(e) == keys for e in items), items[0]
assert all(e["tenant"] == "default" for e in items)
ids = [e["id"] for e in items]; assert ids == sorted(ids) and len(set(ids)) == len(ids)
assert all(isinstance(e["details"], dict) and e["at"].endswith("Z") and len(e["hash"]) == 64 for e in items)
assert {"token.create", "certificate.issue", "certificate.revoke"} <= {e["action"] for e in items}, {e["action"] for e in items}
assert d["next_cursor"] is None'
t "admin lists the tenant's audit (200)" test "$(get "$BASE" "$ADMIN" "$FP_TMP/x")" = 200

# Cursor pagination: limit=3 pages walk exactly the single-page listing.
: >"$FP_TMP/paged"
cursor="" pages=0
while :; do
  q="limit=3${cursor:+&cursor=$cursor}"
  [ "$(get "$BASE?$q" "$AUDITOR" "$FP_TMP/p")" = 200 ] || { no "page status"; break; }
  cursor=$(pyjson "$FP_TMP/p" '
assert len(d["items"]) <= 3
open(sys.argv[1] + ".ids", "w").write("".join("%d\n" % e["id"] for e in d["items"]))
print(d["next_cursor"] or "")')
  cat "$FP_TMP/p.ids" >>"$FP_TMP/paged"
  pages=$((pages + 1))
  [ -z "$cursor" ] || [ "$pages" -gt 100 ] && break
done
pyjson "$FP_TMP/all" 'print("".join("%d\n" % e["id"] for e in d["items"]), end="")' >"$FP_TMP/all.ids"
t "cursor pages (limit=3) walk every event once, in order" cmp "$FP_TMP/paged" "$FP_TMP/all.ids"
t "more than one page was needed" test "$pages" -gt 2

get "$BASE?action=certificate.issue" "$AUDITOR" "$FP_TMP/f1" >/dev/null
t "filter action=certificate.issue (the 3 devices and the server's own TLS certificate)" pyjson "$FP_TMP/f1" '
assert all(e["action"] == "certificate.issue" for e in d["items"]), d
subjects = sorted(e["details"]["subject"] for e in d["items"])
assert subjects == ["CN=dev-1", "CN=dev-2", "CN=dev-3", "CN=fleetpki server"], subjects'
get "$BASE?object=$S1" "$AUDITOR" "$FP_TMP/f2" >/dev/null
t "filter object=<serial> finds its issue and revoke" pyjson "$FP_TMP/f2" '
assert sorted(e["action"] for e in d["items"]) == ["certificate.issue", "certificate.revoke"], d'
get "$BASE?actor=nobody" "$AUDITOR" "$FP_TMP/f3" >/dev/null
t "filter actor=nobody is empty" pyjson "$FP_TMP/f3" 'assert d["items"] == [], d'
get "$BASE?since=2999-01-01T00:00:00Z" "$AUDITOR" "$FP_TMP/f4" >/dev/null
t "filter since the future is empty" pyjson "$FP_TMP/f4" 'assert d["items"] == [], d'
get "$BASE?until=2999-01-01T00:00:00Z&since=0&limit=1000" "$AUDITOR" "$FP_TMP/f5" >/dev/null
t "filter since=0&until=2999 keeps everything" cmp <(pyjson "$FP_TMP/f5" 'print("".join("%d\n" % e["id"] for e in d["items"]), end="")') "$FP_TMP/all.ids"

LONG=$(printf 'a%.0s' $(seq 1 300))
for bad in limit=0 limit=1001 limit=x cursor=zz cursor=c-1 since=yesterday until=2026-13-01T00:00:00Z \
           unknown=1 "action=$LONG" tenant=other; do
  code=$(get "$BASE?$bad" "$AUDITOR" "$FP_TMP/bad")
  t "bad query ${bad:0:24} = 400 problem" bash -c "[ $code = 400 ] && $(declare -f fp_problem); PY=$PY fp_problem $FP_TMP/bad 400"
done
code=$(get "$BASE" "$OPERATOR" "$FP_TMP/op")
t "operator token = 403 problem" bash -c "[ $code = 403 ] && $(declare -f fp_problem); PY=$PY fp_problem $FP_TMP/op 403"
t "enrollment token = 403" test "$(get "$BASE" "$ENROLL" "$FP_TMP/en")" = 403
code=$(get "$BASE" "$OTHER_AUDITOR" "$FP_TMP/oa")
t "another tenant's auditor = 404 problem" bash -c "[ $code = 404 ] && $(declare -f fp_problem); PY=$PY fp_problem $FP_TMP/oa 404"
t "unknown tenant = 404" test "$(get /api/v1/tenants/nope/audit "$PLATFORM" "$FP_TMP/nt")" = 404
t "no token = 401" test "$(get "$BASE" "" "$FP_TMP/nt")" = 401
get /api/v1/tenants/other/audit "$OTHER_AUDITOR" "$FP_TMP/other" >/dev/null
t "tenant other sees only its own events" pyjson "$FP_TMP/other" '
assert d["items"] and all(e["tenant"] == "other" for e in d["items"]), d'

# --- export ------------------------------------------------------------------------------------
code=$(get "$BASE/export" "$AUDITOR" "$FP_TMP/exp")
t "export = 200 application/x-ndjson" bash -c "[ $code = 200 ] && grep -qi '^content-type: application/x-ndjson' $FP_TMP/exp.h"
t "export lines are the listed events" cmp <("$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    print(json.loads(line)["id"])' "$FP_TMP/exp") "$FP_TMP/all.ids"
code=$(get "$BASE/export?limit=2" "$AUDITOR" "$FP_TMP/exp2")
t "export limit=2: two lines and X-Next-Cursor" bash -c \
  "[ $code = 200 ] && [ \$(wc -l <$FP_TMP/exp2) = 2 ] && grep -qi '^x-next-cursor: c[0-9]' $FP_TMP/exp2.h"
t "export by an operator = 403" test "$(get "$BASE/export" "$OPERATOR" "$FP_TMP/x")" = 403

# --- platform log and checkpoints --------------------------------------------------------------
get "/api/v1/audit?limit=1000" "$PLATFORM" "$FP_TMP/plat" >/dev/null
t "platform log has platform-wide and both tenants' events" pyjson "$FP_TMP/plat" '
t = {e["tenant"] for e in d["items"]}
assert None in t and "default" in t and "other" in t, t'
get "/api/v1/audit?tenant=other" "$PLATFORM" "$FP_TMP/plat2" >/dev/null
t "platform log ?tenant=other" pyjson "$FP_TMP/plat2" 'assert d["items"] and {e["tenant"] for e in d["items"]} == {"other"}'
t "platform log for a tenant admin = 403" test "$(get /api/v1/audit "$ADMIN" "$FP_TMP/x")" = 403
t "platform log for a tenant auditor = 403" test "$(get /api/v1/audit "$AUDITOR" "$FP_TMP/x")" = 403
for i in $(seq 1 50); do  # the service signs within about a second of the burst
  get /api/v1/audit/checkpoints "$PLATFORM" "$FP_TMP/cps" >/dev/null
  pyjson "$FP_TMP/cps" 'assert d["items"]' 2>/dev/null && break
  sleep 0.2
done
t "the service made a checkpoint, signature verifies with the pinned key (python cryptography)" \
  "$PY" -c '
import json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
cp = json.load(open(sys.argv[1]))["items"][0]
key = serialization.load_pem_public_key(open(sys.argv[2], "rb").read())
text = "fleetpki-audit-checkpoint-v1\nid=%d\nlast_event_id=%d\nlast_event_hash=%s\nevent_count=%d\n" % (
    cp["id"], cp["last_event_id"], cp["last_event_hash"], cp["event_count"])
import calendar, time
at = calendar.timegm(time.strptime(cp["created_at"], "%Y-%m-%dT%H:%M:%SZ"))
text += "created_at=%d\nkey_id=%s\n" % (at, cp["key_id"])
key.verify(bytes.fromhex(cp["signature"]), text.encode(), ec.ECDSA(hashes.SHA256()))
der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
from hashlib import sha256
assert sha256(der).hexdigest() == cp["key_id"]' "$FP_TMP/cps" "$DATA/audit-key.pem"
t "checkpoints for a tenant admin = 403" test "$(get /api/v1/audit/checkpoints "$ADMIN" "$FP_TMP/x")" = 403
t "checkpoints bad limit = 400" test "$(get '/api/v1/audit/checkpoints?limit=0' "$PLATFORM" "$FP_TMP/x")" = 400

fp_stop_server || no "server stopped cleanly"

# --- secrets never appear ----------------------------------------------------------------------
t "CLI export of every event" "$FP" audit export --data "$DATA" --out "$FP_TMP/full.jsonl"
t "CLI export is JSON lines with token.create events" "$PY" -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert sum(e["action"] == "token.create" for e in ev) >= 5, len(ev)' "$FP_TMP/full.jsonl"
t "no token, secret (hex, upper hex, base64) or private key in the export" "$PY" -c '
import base64, sys
text = open(sys.argv[1]).read()
for tok in sys.argv[2:]:
    secret = tok.rsplit("_", 1)[1]
    raw = bytes.fromhex(secret)
    for needle in (tok, secret, secret.upper(), base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")):
        assert needle not in text, "secret found in the audit export"
assert "PRIVATE KEY" not in text and "BEGIN" not in text' \
  "$FP_TMP/full.jsonl" "$PLATFORM" "$ADMIN" "$AUDITOR" "$OPERATOR" "$ENROLL" "$OTHER_AUDITOR"
"$FP" audit export --data "$DATA" --tenant other --out "$FP_TMP/other.jsonl"
t "CLI export --tenant other" "$PY" -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert ev and all(e["tenant"] == "other" for e in ev)' "$FP_TMP/other.jsonl"
LAST=$(tail -1 "$FP_TMP/full.jsonl" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
t "CLI export --after LAST-2 gives two events" test "$("$FP" audit export --data "$DATA" --after $((LAST - 2)) | wc -l)" = 2
"$FP" audit export --data "$DATA" --tenant nope >/dev/null 2>&1
t "CLI export of an unknown tenant exits 1" test $? = 1

# --- verify: intact, then tampered copies ------------------------------------------------------
out=$("$FP" audit verify --data "$DATA" 2>&1)
t "verify the untouched folder exits 0" test $? = 0
t "summary names events, checkpoints and the last checkpoint (shutdown checkpoint covers the end)" \
  bash -c "echo '$out' | grep -Eq '^audit log intact: $LAST events, [1-9][0-9]* checkpoints, last checkpoint at event $LAST\$'"
"$FP" audit verify >/dev/null 2>&1
t "verify without --data is a usage error (2)" test $? = 2

copy() { rm -rf "$FP_TMP/$1"; cp -a "$DATA" "$FP_TMP/$1"; }
sqlx() { "$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit(); c.close()' "$FP_TMP/$1/fleetpki.db" "$2"; }
# expect_broken NAME COPY PATTERN: verify exits 1 with exactly one stderr line matching PATTERN.
expect_broken() {
  local err code
  err=$("$FP" audit verify --data "$FP_TMP/$2" 2>&1 >/dev/null)
  code=$?
  if [ "$code" = 1 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && printf '%s' "$err" | grep -Eq "$3"; then
    ok "$1"
  else
    no "$1" "exit $code: $err"
  fi
}

copy edited
sqlx edited "UPDATE audit_events SET object = 'forged' WHERE id = 5"
expect_broken "an edited row names event 5" edited 'audit log broken: event 5: hash does not match its content \(edited\?\)'
copy edited2
sqlx edited2 "UPDATE audit_events SET details_json = '{\"role\":\"auditor\"}' WHERE action = 'token.create' AND id = (SELECT MIN(id) FROM audit_events WHERE action = 'token.create')"
FIRST_TOKEN_EVENT=$("$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT MIN(id) FROM audit_events WHERE action = \"token.create\"").fetchone()[0])' "$FP_TMP/edited2/fleetpki.db")
expect_broken "an edited details column names its event" edited2 "event $FIRST_TOKEN_EVENT: hash does not match"
copy deleted
sqlx deleted "DELETE FROM audit_events WHERE id = 6"
expect_broken "a deleted row names event 6" deleted 'event 6 missing \(deleted\?\)'
copy deleted_first
sqlx deleted_first "DELETE FROM audit_events WHERE id = 1"
expect_broken "the first row deleted names event 1" deleted_first 'event 1 missing \(deleted\?\)'
copy swapped
sqlx swapped "
CREATE TEMP TABLE s AS SELECT * FROM audit_events WHERE id IN (7, 8);
UPDATE audit_events SET (tenant_id, actor, action, object, request_id, details_json, at, prev_hash, hash) =
  (SELECT tenant_id, actor, action, object, request_id, details_json, at, prev_hash, hash FROM s WHERE s.id = 8) WHERE id = 7;
UPDATE audit_events SET (tenant_id, actor, action, object, request_id, details_json, at, prev_hash, hash) =
  (SELECT tenant_id, actor, action, object, request_id, details_json, at, prev_hash, hash FROM s WHERE s.id = 7) WHERE id = 8;"
expect_broken "two swapped rows name event 7" swapped 'event 7: does not follow event 6 \(reordered'
copy truncated
sqlx truncated "DELETE FROM audit_events WHERE id = $LAST"
expect_broken "a truncated tail covered by a checkpoint names the missing event" truncated \
  "event $LAST missing \(log truncated: checkpoint [0-9]+ covers events up to $LAST\)"
copy forged
sqlx forged "UPDATE audit_checkpoints SET event_count = event_count + 1 WHERE id = (SELECT MAX(id) FROM audit_checkpoints)"
expect_broken "an edited checkpoint: signature invalid" forged 'checkpoint [0-9]+: signature invalid'
copy repinned
rm -f "$FP_TMP/repinned/audit-key.pem"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl ec -pubout -out "$FP_TMP/repinned/audit-key.pem" 2>/dev/null
expect_broken "another pinned key: checkpoint 1 signed by another key" repinned \
  'checkpoint 1: signed by a key other than the pinned audit key'

# --- checkpoint command ------------------------------------------------------------------------
copy cp
t "audit checkpoint with nothing new" bash -c "'$FP' audit checkpoint --data '$FP_TMP/cp' | grep -q 'no new audit events'"
"$FP" token create --data "$FP_TMP/cp" --tenant default --role auditor >/dev/null
t "audit checkpoint after a change signs one" bash -c "'$FP' audit checkpoint --data '$FP_TMP/cp' | grep -Eq '^checkpoint [0-9]+ at event $((LAST + 1)) '"
t "verify after the CLI checkpoint exits 0" "$FP" audit verify --data "$FP_TMP/cp"
t "the pin is never overwritten" cmp "$DATA/audit-key.pem" "$FP_TMP/cp/audit-key.pem"

fp_finish
