#!/usr/bin/env bash
# EST enrollment administration over REST v1 and the CLI (issue #5), as an outside client sees it:
# enrollment endpoints (create, list with cursor, get, replace the policy, disable/enable and the
# EST path answering 404 meanwhile), bad input (bad or reserved labels, unknown profile or field,
# taken labels across tenants, other tenant, 413/415), device one-time passwords (shown once, only
# their SHA-256 stored, never logged) and renewal grants, enrollments held for approval by a real
# EST client (curl simpleenroll over HTTP Basic: 202, reject, approve, the retry receiving the
# certificate), role checks, and the CLI commands with their exit codes.
set -u
. "$(dirname "$0")/common.sh"
fp_require_binary
fp_start_server "$FP_TMP/data" || fp_abort "server did not start"
AUTH=(-H "Authorization: Bearer $TOKEN")
JSON=(-H 'Content-Type: application/json')
BASE=/api/v1/tenants/default
EP=$BASE/enrollment-endpoints
W=$FP_TMP/w
mkdir -p "$W"

req() { # req TOKEN METHOD PATH OUT [JSON body] → status
  local token=$1 method=$2 path=$3 out=$4 body=${5-}
  local -a auth=()
  [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
  if [ -n "$body" ]; then
    fp_request "$method" "$path" "$out" "${auth[@]}" "${JSON[@]}" --data-binary "$body"
  else
    fp_request "$method" "$path" "$out" "${auth[@]}"
  fi
}
is_problem() { [ "$1" = "$2" ] && fp_problem "$3" "$2"; } # is_problem CODE WANT FILE
# jq_ok FILE EXPR: EXPR is a python expression over d (the JSON body) that must be true.
jq_ok() {
  "$PY" -c '
import json, re, sys, datetime
d = json.load(open(sys.argv[1]))
ok = eval("(" + sys.argv[2].strip() + ")", {"d": d, "re": re, "datetime": datetime})  # may span lines
if not ok:
    sys.exit("false: %s on %s" % (sys.argv[2], json.dumps(d)[:600]))' "$1" "$2"
}
status_is() { [ "$1" = "$2" ] || { echo "status $1, want $2"; return 1; }; }
# est_enroll LABEL SERIAL PASSWORD OUT → status of simpleenroll over HTTP Basic (CSR as base64 DER)
est_enroll() {
  local label=$1 serial=$2 password=$3 out=$4
  if [ ! -f "$W/$serial.csr.b64" ]; then
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$serial.key" \
      -subj "/CN=$serial/serialNumber=$serial" -outform DER -out "$W/$serial.csr.der" 2>/dev/null || return 1
    base64 "$W/$serial.csr.der" >"$W/$serial.csr.b64"
  fi
  fp_curl -o "$out" -D "$out.h" -w '%{http_code}' -u "$serial:$password" -H 'Content-Type: application/pkcs10' \
    --data-binary @"$W/$serial.csr.b64" "https://$HTTPS/.well-known/est/$label/simpleenroll"
}
export -f status_is jq_ok
export PY
sql() { # sql QUERY → first column of the first row, read-only
  "$PY" -c 'import sqlite3,sys; r=sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True).execute(sys.argv[2]).fetchone(); print("" if r is None else r[0])' \
    "$DATA/fleetpki.db" "$1"
}

AUDITOR=$("$FP" token create --data "$DATA" --tenant default --role auditor 2>/dev/null)
OPERATOR=$("$FP" token create --data "$DATA" --tenant default --role operator 2>/dev/null)
code=$(req "$TOKEN" POST /api/v1/tenants "$W/other" '{"name":"other"}')
OTHER=$("$FP" token create --data "$DATA" --tenant other --role admin 2>/dev/null)
t "set-up: tokens of three roles and a second tenant" bash -c "[ -n '$AUDITOR' ] && [ -n '$OPERATOR' ] && [ -n '$OTHER' ] && [ $code = 201 ]"
for serial in meter-1 meter-2 meter-3; do
  req "$TOKEN" POST "$BASE/devices" "$W/dev" "{\"serial\":\"$serial\",\"type\":\"default\"}" >/dev/null
done

# --- the endpoint "default" of the tenant "default" ------------------------------------------------
code=$(req "$TOKEN" GET "$EP/default" "$W/d0")
t "the tenant default has the endpoint default (idevid+ldevid+otp, automatic, server keygen)" bash -c "
  status_is $code 200 && jq_ok '$W/d0' 'd[\"auth\"] == [\"idevid\", \"ldevid\", \"otp\"] and d[\"approval\"] == \"automatic\" and d[\"server_keygen\"] is True and d[\"url\"] == \"/.well-known/est/default/\"'"

# --- create, get, list -----------------------------------------------------------------------------
code=$(req "$TOKEN" POST "$EP" "$W/c1" \
  '{"label":"meters","profile":"ldevid","trusted_cas":["manufacturing"],"auth":["idevid","otp"],"approval":"manual","retry_after":30}')
t "create endpoint meters = 201 with its view" bash -c "status_is $code 201 && jq_ok '$W/c1' '
  d[\"label\"] == \"meters\" and d[\"tenant\"] == \"default\" and d[\"disabled\"] is False and
  d[\"url\"] == \"/.well-known/est/meters/\" and d[\"approval\"] == \"manual\" and d[\"retry_after\"] == 30 and
  d[\"auth\"] == [\"idevid\", \"otp\"] and d[\"profile\"] == \"ldevid\" and d[\"trusted_cas\"] == [\"manufacturing\"] and
  d[\"unknown_devices\"] == \"reject\" and d[\"linking\"] == \"optional\" and d[\"created_at\"] == d[\"updated_at\"]'"
t "create answers a Location header" grep -qi "^location: $EP/meters" "$W/c1.h"
code=$(req "$AUDITOR" GET "$EP/meters" "$W/g1")
t "an auditor reads the endpoint = 200, the same view" bash -c "status_is $code 200 && jq_ok '$W/g1' 'd[\"label\"] == \"meters\" and d[\"retry_after\"] == 30'"
req "$TOKEN" POST "$EP" "$W/c2" '{"label":"held","auth":["otp"],"trusted_cas":[],"approval":"manual"}' >/dev/null
code=$(req "$AUDITOR" GET "$EP?limit=1" "$W/l1")
t "list pages with limit=1 (a next_cursor)" bash -c "status_is $code 200 && jq_ok '$W/l1' 'len(d[\"items\"]) == 1 and isinstance(d[\"next_cursor\"], str)'"
labels=""
cursor=""
for _ in 1 2 3 4 5 6; do
  req "$AUDITOR" GET "$EP?limit=1${cursor:+&cursor=$cursor}" "$W/lp" >/dev/null
  labels="$labels $("$PY" -c 'import json,sys; print(" ".join(i["label"] for i in json.load(open(sys.argv[1]))["items"]))' "$W/lp")"
  cursor=$("$PY" -c 'import json,sys; c=json.load(open(sys.argv[1]))["next_cursor"]; print("" if c is None else c)' "$W/lp")
  [ -z "$cursor" ] && break
done
t "following next_cursor lists default, meters, held once each, in creation order" test "$labels" = " default meters held"
code=$(req "$TOKEN" GET "$EP?colour=red" "$W/lq")
t "list with an unknown query parameter = 400" is_problem "$code" 400 "$W/lq"
code=$(req "$TOKEN" GET "$EP?cursor=zz" "$W/lc")
t "list with a bad cursor = 400" is_problem "$code" 400 "$W/lc"

# --- bad input -------------------------------------------------------------------------------------
for bad in '{"label":"Bad_Label"}' '{"label":"cacerts"}' '{"label":"simpleenroll"}' '{"label":""}' \
           '{"label":"x1","profile":"nope"}' '{"label":"x2","colour":"red"}' '{"label":"x3","trusted_cas":["nope"]}' \
           '{"label":"x4","auth":[]}' '{"label":"x5","retry_after":0}' '{"label":5}' '{"profile":"ldevid"}' '[1]' 'nope'; do
  code=$(req "$TOKEN" POST "$EP" "$W/bad" "$bad")
  t "create with $bad = 400 problem" is_problem "$code" 400 "$W/bad"
done
t "refused creations left no endpoint behind" test "$(sql "SELECT COUNT(*) FROM enrollment_endpoints WHERE label LIKE 'x%' OR label IN ('cacerts', 'simpleenroll')")" = 0
code=$(req "$TOKEN" POST "$EP" "$W/dup" '{"label":"meters"}')
t "a taken label = 409 problem" is_problem "$code" 409 "$W/dup"
code=$(req "$OTHER" POST /api/v1/tenants/other/enrollment-endpoints "$W/dup2" '{"label":"meters","trusted_cas":[],"auth":["otp"]}')
t "a label taken by another tenant = 409 (labels are platform-wide)" is_problem "$code" 409 "$W/dup2"
code=$(req "$OTHER" GET "$EP/meters" "$W/o1")
t "another tenant's admin: GET = 404" is_problem "$code" 404 "$W/o1"
code=$(req "$OTHER" GET /api/v1/tenants/other/enrollment-endpoints/meters "$W/o2")
t "the label under another tenant = 404" is_problem "$code" 404 "$W/o2"
code=$(req "$OTHER" PUT "$EP/meters" "$W/o3" '{"auth":["otp"],"trusted_cas":[]}')
t "another tenant's admin: PUT = 404" is_problem "$code" 404 "$W/o3"
code=$(req "$TOKEN" GET "$EP/nope" "$W/nf")
t "an unknown label = 404" is_problem "$code" 404 "$W/nf"
code=$(fp_request POST "$EP" "$W/mt" "${AUTH[@]}" -H 'Content-Type: text/plain' --data-binary '{"label":"x6"}')
t "create with Content-Type text/plain = 415" is_problem "$code" 415 "$W/mt"
head -c 70000 /dev/zero | tr '\0' 'a' | sed 's/^/{"label":"x7","trust_anchors_pem":"/; s/$/"}/' >"$W/big.json"
code=$(fp_request POST "$EP" "$W/big" "${AUTH[@]}" "${JSON[@]}" --data-binary @"$W/big.json")
t "a body over 64 KiB = 413" test "$code" = 413
code=$(req "" GET "$EP" "$W/na")
t "no credential = 401" is_problem "$code" 401 "$W/na"

# --- replace the policy, disable, enable -----------------------------------------------------------
code=$(req "$TOKEN" PUT "$EP/meters" "$W/u1" '{"auth":["idevid","otp"],"approval":"automatic","trusted_cas":["manufacturing"]}')
t "PUT replaces the policy (retry_after back to its default 60)" bash -c "status_is $code 200 && jq_ok '$W/u1' '
  d[\"approval\"] == \"automatic\" and d[\"retry_after\"] == 60 and d[\"label\"] == \"meters\"'"
code=$(req "$TOKEN" PUT "$EP/meters" "$W/u2" '{"label":"meters","auth":["otp"],"trusted_cas":[],"approval":"manual","retry_after":5}')
t "PUT may repeat the label" bash -c "status_is $code 200 && jq_ok '$W/u2' 'd[\"retry_after\"] == 5 and d[\"auth\"] == [\"otp\"]'"
code=$(req "$TOKEN" PUT "$EP/meters" "$W/u3" '{"label":"other-name"}')
t "PUT with another label = 400" is_problem "$code" 400 "$W/u3"
code=$(req "$TOKEN" PUT "$EP/meters" "$W/u4" '{"colour":"red"}')
t "PUT with an unknown field = 400" is_problem "$code" 400 "$W/u4"
code=$(req "$TOKEN" PUT "$EP/meters" "$W/u5" '{"profile":"nope"}')
t "PUT with an unknown profile = 400" is_problem "$code" 400 "$W/u5"
code=$(req "$TOKEN" PUT "$EP/nope" "$W/u6" '{"auth":["otp"],"trusted_cas":[]}')
t "PUT of an unknown label = 404" is_problem "$code" 404 "$W/u6"
code=$(fp_curl -o /dev/null -w '%{http_code}' "https://$HTTPS/.well-known/est/meters/cacerts")
t "an enabled endpoint serves cacerts" test "$code" = 200
code=$(req "$TOKEN" POST "$EP/meters/disable" "$W/x1")
t "disable = 200, disabled" bash -c "status_is $code 200 && jq_ok '$W/x1' 'd[\"disabled\"] is True'"
code=$(fp_curl -o /dev/null -w '%{http_code}' "https://$HTTPS/.well-known/est/meters/cacerts")
t "a disabled endpoint's EST path = 404" test "$code" = 404
code=$(req "$TOKEN" POST "$EP/meters/disable" "$W/x2")
t "disable again = 200 (idempotent)" bash -c "status_is $code 200 && jq_ok '$W/x2' 'd[\"disabled\"] is True'"
code=$(req "$TOKEN" POST "$EP/meters/enable" "$W/x3" '{"force":true}')
t "enable with a body member = 400" is_problem "$code" 400 "$W/x3"
code=$(req "$TOKEN" POST "$EP/meters/enable" "$W/x4")
t "enable = 200, enabled" bash -c "status_is $code 200 && jq_ok '$W/x4' 'd[\"disabled\"] is False'"
code=$(fp_curl -o /dev/null -w '%{http_code}' "https://$HTTPS/.well-known/est/meters/cacerts")
t "enabled again, cacerts = 200" test "$code" = 200

# --- roles -----------------------------------------------------------------------------------------
code=$(req "$AUDITOR" POST "$EP" "$W/r1" '{"label":"by-auditor","auth":["otp"],"trusted_cas":[]}')
t "an auditor cannot create endpoints = 403" is_problem "$code" 403 "$W/r1"
code=$(req "$OPERATOR" PUT "$EP/meters" "$W/r2" '{"auth":["otp"],"trusted_cas":[]}')
t "an operator cannot change endpoints = 403" is_problem "$code" 403 "$W/r2"
code=$(req "$OPERATOR" POST "$EP/meters/disable" "$W/r3")
t "an operator cannot disable endpoints = 403" is_problem "$code" 403 "$W/r3"
code=$(req "$AUDITOR" POST "$BASE/devices/meter-1/enrollment-otp" "$W/r4" '{}')
t "an auditor cannot create OTPs = 403" is_problem "$code" 403 "$W/r4"
code=$(req "$AUDITOR" GET "$BASE/enrollment-requests" "$W/r5")
t "an auditor lists held enrollments = 200" bash -c "status_is $code 200 && jq_ok '$W/r5' 'd[\"items\"] == [] and d[\"next_cursor\"] is None'"

# --- one-time passwords and renewal grants ---------------------------------------------------------
code=$(req "$OPERATOR" POST "$BASE/devices/meter-1/enrollment-otp" "$W/p1")
t "an operator creates an OTP (no body) = 201, 43 base64url characters, valid one day" bash -c "status_is $code 201 && jq_ok '$W/p1' '
  re.fullmatch(r\"[A-Za-z0-9_-]{43}\", d[\"otp\"]) is not None and d[\"device_serial\"] == \"meter-1\" and
  (datetime.datetime.fromisoformat(d[\"expires_at\"].replace(\"Z\", \"+00:00\")) -
   datetime.datetime.fromisoformat(d[\"created_at\"].replace(\"Z\", \"+00:00\"))).total_seconds() == 86400'"
t "the OTP answer is not cached (Cache-Control: no-store)" grep -qi '^cache-control: no-store' "$W/p1.h"
OTP1=$(fp_json "$W/p1" otp)
t "only the OTP's SHA-256 is stored" test "$(sql "SELECT hex(secret_hash) FROM enrollment_otps ORDER BY id DESC LIMIT 1")" = \
  "$(printf %s "$OTP1" | sha256sum | cut -c1-64 | tr a-f A-F)"
code=$(req "$TOKEN" POST "$BASE/devices/meter-1/enrollment-otp" "$W/p2" '{"expires_in":60}')
t "expires_in 60 = an OTP valid 60 s" bash -c "status_is $code 201 && jq_ok '$W/p2' '
  (datetime.datetime.fromisoformat(d[\"expires_at\"].replace(\"Z\", \"+00:00\")) -
   datetime.datetime.fromisoformat(d[\"created_at\"].replace(\"Z\", \"+00:00\"))).total_seconds() == 60'"
for bad in '{"expires_in":0}' '{"expires_in":2592001}' '{"expires_in":"60"}' '{"ttl":60}'; do
  code=$(req "$TOKEN" POST "$BASE/devices/meter-1/enrollment-otp" "$W/pb" "$bad")
  t "OTP with $bad = 400" is_problem "$code" 400 "$W/pb"
done
code=$(req "$TOKEN" POST "$BASE/devices/nope/enrollment-otp" "$W/pn" '{}')
t "OTP for an unknown device = 404" is_problem "$code" 404 "$W/pn"
code=$(req "$OTHER" POST "$BASE/devices/meter-1/enrollment-otp" "$W/po" '{}')
t "OTP by another tenant's admin = 404" is_problem "$code" 404 "$W/po"
req "$TOKEN" POST "$BASE/devices" "$W/dev" '{"serial":"meter-4","type":"default"}' >/dev/null
code=$(req "$TOKEN" POST "$BASE/devices/meter-4/decommission" "$W/dc")
t "set-up: meter-4 decommissioned" test "$code" = 200
code=$(req "$TOKEN" POST "$BASE/devices/meter-4/enrollment-otp" "$W/pd" '{}')
t "OTP for a decommissioned device = 409" is_problem "$code" 409 "$W/pd"
code=$(req "$TOKEN" POST "$BASE/devices/meter-4/renewal-grant" "$W/gd" '{}')
t "renewal grant for a decommissioned device = 409" is_problem "$code" 409 "$W/gd"
code=$(req "$TOKEN" POST "$BASE/devices/meter-1/renewal-grant" "$W/g1")
t "renewal grant = 201, valid 7 days by default" bash -c "status_is $code 201 && jq_ok '$W/g1' '
  d[\"device_serial\"] == \"meter-1\" and
  (datetime.datetime.fromisoformat(d[\"expires_at\"].replace(\"Z\", \"+00:00\")) -
   datetime.datetime.fromisoformat(d[\"created_at\"].replace(\"Z\", \"+00:00\"))).total_seconds() == 604800'"
code=$(req "$TOKEN" POST "$BASE/devices/meter-1/renewal-grant" "$W/g2" '{"expires_in":-5}')
t "renewal grant with a negative expires_in = 400" is_problem "$code" 400 "$W/g2"
code=$(req "$OTHER" POST "$BASE/devices/meter-1/renewal-grant" "$W/g3" '{}')
t "renewal grant by another tenant's admin = 404" is_problem "$code" 404 "$W/g3"

# --- enrollments held for approval (a real EST client) ---------------------------------------------
code=$(req "$TOKEN" GET "$BASE/enrollment-requests/1" "$W/q0")
t "an unknown request id = 404" is_problem "$code" 404 "$W/q0"
code=$(req "$TOKEN" GET "$BASE/enrollment-requests/abc" "$W/q1")
t "a non-numeric request id = 404" is_problem "$code" 404 "$W/q1"
code=$(req "$TOKEN" GET "$BASE/enrollment-requests?state=bogus" "$W/q2")
t "list with an unknown state = 400" is_problem "$code" 400 "$W/q2"
code=$(req "$TOKEN" POST "$BASE/enrollment-requests/999/approve" "$W/q3")
t "approve an unknown request = 404" is_problem "$code" 404 "$W/q3"

req "$TOKEN" POST "$BASE/devices/meter-2/enrollment-otp" "$W/p3" '{}' >/dev/null
OTP2=$(fp_json "$W/p3" otp)
code=$(est_enroll held meter-2 "$OTP2" "$W/e1")
t "simpleenroll on a manual endpoint = 202 + Retry-After" bash -c "status_is $code 202 && grep -qi '^retry-after:' '$W/e1.h'"
code=$(req "$AUDITOR" GET "$BASE/enrollment-requests?state=pending" "$W/q4")
t "the held enrollment is listed pending with its endpoint's label, its CSR as PEM" bash -c "status_is $code 200 && jq_ok '$W/q4' '
  len(d[\"items\"]) == 1 and d[\"items\"][0][\"device_serial\"] == \"meter-2\" and d[\"items\"][0][\"endpoint\"] == \"held\" and d[\"items\"][0][\"auth_mode\"] == \"otp\" and
  d[\"items\"][0][\"csr\"].startswith(\"-----BEGIN CERTIFICATE REQUEST-----\") and d[\"items\"][0][\"certificate_serial\"] is None and
  \"csr_der\" not in d[\"items\"][0] and \"request_key\" not in d[\"items\"][0]'"
REQ2=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["id"])' "$W/q4" 2>/dev/null)
"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["csr"], end="")' "$W/q4" >"$W/held.csr" 2>/dev/null
openssl req -in "$W/held.csr" -outform DER -out "$W/held.der" 2>/dev/null
t "the listed CSR is the one the device sent (byte for byte)" cmp "$W/held.der" "$W/meter-2.csr.der"
code=$(req "$OTHER" GET "$BASE/enrollment-requests/$REQ2" "$W/q5")
t "another tenant's admin cannot read it = 404" is_problem "$code" 404 "$W/q5"
code=$(req "$AUDITOR" POST "$BASE/enrollment-requests/$REQ2/reject" "$W/q6" '{"reason":"no"}')
t "an auditor cannot reject = 403" is_problem "$code" 403 "$W/q6"
code=$(req "$TOKEN" POST "$BASE/enrollment-requests/$REQ2/reject" "$W/q7" '{"reason":"unexpected meter"}')
t "reject = 200, state rejected with the reason" bash -c "status_is $code 200 && jq_ok '$W/q7' '
  d[\"state\"] == \"rejected\" and d[\"reason\"] == \"unexpected meter\" and d[\"decided_by\"] and d[\"decided_at\"]'"
code=$(req "$TOKEN" POST "$BASE/enrollment-requests/$REQ2/reject" "$W/q8" '{"reason":"again"}')
t "reject again = 409" is_problem "$code" 409 "$W/q8"
code=$(req "$TOKEN" POST "$BASE/enrollment-requests/$REQ2/approve" "$W/q9")
t "approve a rejected request = 409" is_problem "$code" 409 "$W/q9"
code=$(req "$TOKEN" POST "$BASE/enrollment-requests/$REQ2/reject" "$W/qa" '{"colour":"red"}')
t "reject with an unknown field = 400" is_problem "$code" 400 "$W/qa"

req "$TOKEN" POST "$BASE/devices/meter-3/enrollment-otp" "$W/p4" '{}' >/dev/null
OTP3=$(fp_json "$W/p4" otp)
code=$(est_enroll held meter-3 "$OTP3" "$W/e2")
t "a second held enrollment = 202" test "$code" = 202
code=$(req "$TOKEN" GET "$BASE/enrollment-requests?state=pending" "$W/qb")
REQ3=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["id"])' "$W/qb" 2>/dev/null)
code=$(req "$OPERATOR" POST "$BASE/enrollment-requests/$REQ3/approve" "$W/qc")
t "an operator approves = 200, state issued with the certificate serial" bash -c "status_is $code 200 && jq_ok '$W/qc' '
  d[\"state\"] == \"issued\" and re.fullmatch(r\"[0-9a-f]+\", d[\"certificate_serial\"] or \"\") is not None'"
CERT3=$(fp_json "$W/qc" certificate_serial 2>/dev/null)
code=$(req "$TOKEN" GET "$BASE/certificates/$CERT3" "$W/qd")
t "the approved certificate exists and names the device" bash -c "status_is $code 200 && jq_ok '$W/qd' 'd.get(\"device\") in (None, \"meter-3\")'"
code=$(est_enroll held meter-3 "$OTP3" "$W/e3")
t "the device's identical retry receives the certificate (200)" test "$code" = 200
code=$(req "$TOKEN" GET "$BASE/enrollment-requests?state=issued" "$W/qe")
t "list by state issued = the approved one" bash -c "status_is $code 200 && jq_ok '$W/qe' '[i[\"id\"] for i in d[\"items\"]] == [$REQ3]'"
code=$(req "$TOKEN" GET "$BASE/enrollment-requests?limit=1" "$W/qf")
t "requests page with limit=1 (a next_cursor)" bash -c "status_is $code 200 && jq_ok '$W/qf' 'len(d[\"items\"]) == 1 and isinstance(d[\"next_cursor\"], str)'"

t "no one-time password appears in the server's output" bash -c "! grep -qF -e '$OTP1' -e '$OTP2' -e '$OTP3' '$FP_TMP'/server.*"

# --- CLI ---------------------------------------------------------------------------------------------
"$FP" est-endpoint create --data "$DATA" --label cli-ep --definition '{"auth":["otp"],"trusted_cas":[],"approval":"manual"}' >"$W/cli.create" 2>&1
rc=$?
t "CLI est-endpoint create = 0, prints the endpoint" bash -c "[ $rc = 0 ] && jq_ok '$W/cli.create' 'd[\"label\"] == \"cli-ep\" and d[\"approval\"] == \"manual\"'"
code=$(req "$AUDITOR" GET "$EP/cli-ep" "$W/cl1")
t "the server sees the CLI's endpoint" bash -c "status_is $code 200 && jq_ok '$W/cl1' 'd[\"approval\"] == \"manual\"'"
"$FP" est-endpoint list --data "$DATA" >"$W/cli.list" 2>&1
t "CLI est-endpoint list = 0, one line per endpoint" bash -c "[ \$(wc -l <'$W/cli.list') = 4 ] && grep -q '^cli-ep  enabled  profile=ldevid  auth=otp  approval=manual$' '$W/cli.list'"
"$FP" est-endpoint list --data "$DATA" --json >"$W/cli.jl" 2>&1
t "CLI est-endpoint list --json = one object per line" "$PY" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$W/cli.jl"
echo '{"label":"cli-ep","auth":["otp"],"trusted_cas":[],"retry_after":7}' >"$W/cli-def.json"
"$FP" est-endpoint update --data "$DATA" --label cli-ep --definition @"$W/cli-def.json" >"$W/cli.upd" 2>&1
t "CLI est-endpoint update --definition @FILE = 0" jq_ok "$W/cli.upd" 'd["retry_after"] == 7 and d["approval"] == "automatic"'
"$FP" est-endpoint show --data "$DATA" --label cli-ep >"$W/cli.show" 2>&1
t "CLI est-endpoint show = the policy in force" jq_ok "$W/cli.show" 'd["retry_after"] == 7'
"$FP" est-endpoint disable --data "$DATA" --label cli-ep >"$W/cli.dis" 2>&1
t "CLI est-endpoint disable = 0" jq_ok "$W/cli.dis" 'd["disabled"] is True'
"$FP" est-endpoint enable --data "$DATA" --label cli-ep >"$W/cli.en" 2>&1
t "CLI est-endpoint enable = 0" jq_ok "$W/cli.en" 'd["disabled"] is False'
"$FP" est-endpoint create --data "$DATA" --label meters >/dev/null 2>"$W/cli.err"
rc=$?
t "CLI create with a taken label = 1, one line on stderr" bash -c "[ $rc = 1 ] && [ \$(wc -l <'$W/cli.err') = 1 ] && grep -q '^fleetpki: ' '$W/cli.err'"
"$FP" est-endpoint create --data "$DATA" --label cacerts >/dev/null 2>&1
t "CLI create with an EST operation name = 1" test $? = 1
"$FP" est-endpoint update --data "$DATA" --label cli-ep --definition '{"label":"other"}' >/dev/null 2>&1
t "CLI update with a different label in the definition = 1" test $? = 1
"$FP" est-endpoint update --data "$DATA" --label cli-ep --definition 'not json' >/dev/null 2>&1
t "CLI update with bad JSON = 1" test $? = 1
"$FP" est-endpoint create --data "$DATA" >/dev/null 2>&1
t "CLI create without --label = 2 (usage)" test $? = 2
"$FP" est-endpoint update --data "$DATA" --label cli-ep >/dev/null 2>&1
t "CLI update without --definition = 2 (usage)" test $? = 2
"$FP" est-endpoint show --data "$DATA" --label nope >/dev/null 2>&1
t "CLI show of an unknown label = 1" test $? = 1
"$FP" enrollments list --data "$DATA" >"$W/cli.req" 2>&1
t "CLI enrollments list = 0, both requests" bash -c "[ \$(wc -l <'$W/cli.req') = 2 ] && grep -q '^$REQ3  issued  held  meter-3  otp  ' '$W/cli.req'"
"$FP" enrollments list --data "$DATA" --state rejected --json >"$W/cli.rej" 2>&1
t "CLI enrollments list --state rejected --json" jq_ok "$W/cli.rej" 'd["id"] == '"${REQ2:-0}"' and d["reason"] == "unexpected meter"'
"$FP" enrollments approve --data "$DATA" --id 999 >/dev/null 2>&1
t "CLI enrollments approve of an unknown id = 1" test $? = 1
"$FP" enrollments reject --data "$DATA" --id "${REQ3:-1}" --reason late >/dev/null 2>&1
t "CLI enrollments reject of an issued request = 1" test $? = 1
"$FP" enrollments approve --data "$DATA" >/dev/null 2>&1
t "CLI enrollments approve without --id = 2" test $? = 2
CLI_OTP=$("$FP" devices otp --data "$DATA" --serial meter-1 2>/dev/null)
t "CLI devices otp = 0, prints only the password" bash -c "[[ '$CLI_OTP' =~ ^[A-Za-z0-9_-]{43}\$ ]]"
"$FP" devices otp --data "$DATA" --serial meter-1 --expires-in 120 --json >"$W/cli.otp" 2>&1
t "CLI devices otp --json" jq_ok "$W/cli.otp" 'd["device_serial"] == "meter-1" and len(d["otp"]) == 43'
"$FP" devices otp --data "$DATA" --serial nope >/dev/null 2>&1
t "CLI devices otp for an unknown device = 1" test $? = 1
"$FP" devices otp --data "$DATA" --serial meter-1 --expires-in 0 >/dev/null 2>&1
t "CLI devices otp --expires-in 0 = 2" test $? = 2
out=$("$FP" devices grant-renewal --data "$DATA" --serial meter-1 --expires-in 3600 2>&1)
rc=$?
t "CLI devices grant-renewal = 0" bash -c "[ $rc = 0 ] && [[ '$out' == 'granted meter-1 until '* ]]"
"$FP" devices grant-renewal --data "$DATA" --tenant other --serial meter-1 >/dev/null 2>&1
t "CLI devices grant-renewal in a tenant without the device = 1" test $? = 1

fp_finish
