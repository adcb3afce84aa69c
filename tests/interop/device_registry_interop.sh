#!/usr/bin/env bash
# Device registry over REST v1 and the CLI, as an outside client sees it: device types, register,
# get, list with filters and cursor, the state machine and its 409s, issuance with "device" (linked,
# idevid serialNumber read back by openssl and python3-cryptography), suspend/decommission of a
# device answered by `openssl ocsp` for its certificate (certificateHold, then revoked), CSV import
# with malformed rows over REST and the CLI, and bad input (400/401/403/404/409/413/415) without
# side effects.
set -u
. "$(dirname "$0")/common.sh"
fp_require_binary
fp_start_server "$FP_TMP/data" || fp_abort "server did not start"
AUTH=(-H "Authorization: Bearer $TOKEN")
JSON=(-H 'Content-Type: application/json')
BASE=/api/v1/tenants/default
W=$FP_TMP/w
mkdir -p "$W"
ROOT=$DATA/root-ca.pem
ISSUING=$W/issuing.pem
awk '/BEGIN CERTIFICATE/{n++} n==1' "$DATA/ca-chain.pem" >"$ISSUING"
URL="http://$HTTP/ocsp"

post() { # post PATH OUT [JSON body] → status
  local path=$1 out=$2 body=${3:-}
  if [ -n "$body" ]; then
    fp_request POST "$path" "$out" "${AUTH[@]}" "${JSON[@]}" --data-binary "$body"
  else
    fp_request POST "$path" "$out" "${AUTH[@]}"
  fi
}
get() { fp_request GET "$1" "$2" "${AUTH[@]}"; }
field() { fp_json "$1" "$2" 2>/dev/null; }
is_problem() { [ "$1" = "$2" ] && fp_problem "$3" "$2"; } # is_problem CODE WANT FILE
device_count() { # device_count QUERY → number of devices over all pages (follows next_cursor)
  local q=$1 cursor="" n=0 pages=0
  while :; do
    local qq=$q
    [ -n "$cursor" ] && qq="${qq:+$qq&}cursor=$cursor"
    [ "$(get "$BASE/devices${qq:+?$qq}" "$W/page")" = 200 ] || { echo ERR; return 1; }
    n=$((n + $("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$W/page")))
    cursor=$("$PY" -c 'import json,sys; c=json.load(open(sys.argv[1]))["next_cursor"]; print("" if c is None else c)' "$W/page")
    pages=$((pages + 1))
    [ -z "$cursor" ] && break
    [ "$pages" -gt 1000 ] && { echo LOOP; return 1; }
  done
  echo "$n $pages"
}
# issue_for SERIAL PROFILE NAME [DEVICE] → HTTP status; certificate in $W/NAME.pem
issue_for() {
  local profile=$2 name=$3 device=${4:-$1}
  if [ "$profile" = idevid ]; then
    fp_make_csr p256 "$W/$name.csr" "/CN=$name/serialNumber=$1" || return 1
  else
    fp_make_csr p256 "$W/$name.csr" "/CN=$name" -addext "subjectAltName=DNS:$name.example" || return 1
  fi
  "$PY" -c 'import json,sys; print(json.dumps({"profile": sys.argv[1], "csr": open(sys.argv[2]).read(), "device": sys.argv[3]}))' \
    "$profile" "$W/$name.csr" "$device" >"$W/$name.req"
  local code
  code=$(fp_request POST "$BASE/certificates" "$W/$name.json" "${AUTH[@]}" "${JSON[@]}" --data-binary @"$W/$name.req")
  [ "$code" = 201 ] && fp_json "$W/$name.json" certificate >"$W/$name.pem"
  echo "$code"
}
ocsp_of() { # ocsp_of NAME → openssl ocsp output
  openssl ocsp -url "$URL" -timeout 10 -issuer "$ISSUING" -cert "$W/$1.pem" -CAfile "$ROOT" 2>&1
}

# --- device types ------------------------------------------------------------------------------
code=$(get "$BASE/device-types/default" "$W/t0")
t "a new tenant has the device type default" bash -c "[ $code = 200 ] && [ \"$(field "$W/t0" name)\" = default ]"
code=$(post "$BASE/device-types" "$W/t1" \
  '{"name":"sensor","default_profiles":["idevid","ldevid"],"allowed_manufacturing_cas":["manufacturing"],"mud_url":"https://mud.example.com/sensor"}')
t "create device type sensor = 201" bash -c "[ $code = 201 ] && [ \"$(field "$W/t1" mud_url)\" = https://mud.example.com/sensor ]"
code=$(post "$BASE/device-types" "$W/t2" '{"name":"sensor"}')
t "same type name again = 409 problem" is_problem "$code" 409 "$W/t2"
for bad in '{"name":"x","mud_url":"http://insecure"}' '{"name":"x","default_profiles":["nope"]}' \
           '{"name":"x","default_profiles":"idevid"}' '{"name":"a b"}' '{"name":5}' '{"nam":"x"}'; do
  code=$(post "$BASE/device-types" "$W/tb" "$bad")
  t "device type body $bad = 400 problem" is_problem "$code" 400 "$W/tb"
done
code=$(get "$BASE/device-types?limit=1" "$W/tl")
t "device types list pages (limit=1 gives a next_cursor)" bash -c "[ $code = 200 ] && [ \"$(field "$W/tl" next_cursor)\" != null ]"
code=$(get "$BASE/device-types/nope" "$W/tn")
t "unknown device type = 404 problem" is_problem "$code" 404 "$W/tn"

# --- register, get, list -------------------------------------------------------------------------
code=$(post "$BASE/devices" "$W/d1" '{"serial":"SN-0001","type":"sensor"}')
t "register SN-0001 = 201, registered, type sensor" bash -c \
  "[ $code = 201 ] && [ \"$(field "$W/d1" state)\" = registered ] && [ \"$(field "$W/d1" type)\" = sensor ]"
code=$(post "$BASE/devices" "$W/d2" '{"serial":"SN-0002"}')
t "register without type uses default" bash -c "[ $code = 201 ] && [ \"$(field "$W/d2" type)\" = default ]"
code=$(post "$BASE/devices" "$W/d3" '{"serial":"SN-0001"}')
t "register an existing serial = 409 problem" is_problem "$code" 409 "$W/d3"
code=$(get "$BASE/devices/SN-0001" "$W/g1")
t "GET device = 200 with empty certificates" bash -c \
  "[ $code = 200 ] && [ \"$(field "$W/g1" serial)\" = SN-0001 ] && [ \"$(field "$W/g1" certificates)\" = '[]' ]"
code=$(get "$BASE/devices/SN-9999" "$W/g2")
t "GET unknown device = 404 problem" is_problem "$code" 404 "$W/g2"
for i in $(seq 3 7); do post "$BASE/devices" "$W/dx" "{\"serial\":\"SN-000$i\"}" >/dev/null; done
t "list with limit=2 follows next_cursor over 4 pages (7 devices)" test "$(device_count limit=2)" = "7 4"
t "list filtered by type=sensor has 1" test "$(device_count type=sensor)" = "1 1"
code=$(get "$BASE/devices?state=bogus" "$W/l1")
t "list with a bad state = 400" is_problem "$code" 400 "$W/l1"
code=$(get "$BASE/devices?limit=0" "$W/l2")
t "list with limit=0 = 400" is_problem "$code" 400 "$W/l2"
code=$(get "$BASE/devices?cursor=zz" "$W/l3")
t "list with a bad cursor = 400" is_problem "$code" 400 "$W/l3"
code=$(get "$BASE/devices?color=red" "$W/l4")
t "list with an unknown parameter = 400" is_problem "$code" 400 "$W/l4"

# --- state machine -----------------------------------------------------------------------------
code=$(post "$BASE/devices/SN-0003/activate" "$W/s1")
t "activate a registered device = 409 problem" is_problem "$code" 409 "$W/s1"
code=$(post "$BASE/devices/SN-0003/provision" "$W/s2")
t "provision = 200, provisioned" bash -c "[ $code = 200 ] && [ \"$(field "$W/s2" state)\" = provisioned ]"
code=$(post "$BASE/devices/SN-0003/suspend" "$W/s3")
t "suspend a provisioned device = 409" is_problem "$code" 409 "$W/s3"
code=$(post "$BASE/devices/SN-0003/activate" "$W/s4")
t "activate = 200, active" bash -c "[ $code = 200 ] && [ \"$(field "$W/s4" state)\" = active ]"
code=$(post "$BASE/devices/SN-0003/decommission" "$W/s5")
t "decommission = 200" bash -c "[ $code = 200 ] && [ \"$(field "$W/s5" state)\" = decommissioned ]"
code=$(post "$BASE/devices/SN-0003/reactivate" "$W/s6")
t "reactivate a decommissioned device = 409 (final)" is_problem "$code" 409 "$W/s6"
code=$(post "$BASE/devices/SN-0004/provision" "$W/s7" '{"why":"x"}')
t "transition with an unknown body field = 400" is_problem "$code" 400 "$W/s7"
code=$(post "$BASE/devices/NOPE/provision" "$W/s8")
t "transition of an unknown device = 404" is_problem "$code" 404 "$W/s8"
t "list state=decommissioned has 1" test "$(device_count state=decommissioned)" = "1 1"

# --- issuance linked to a device, cascade to OCSP -------------------------------------------------
code=$(issue_for SN-0001 idevid birth)
t "issue idevid with device SN-0001 = 201" test "$code" = 201
t "openssl reads serialNumber=SN-0001 in the idevid subject" \
  bash -c "openssl x509 -in '$W/birth.pem' -noout -subject -nameopt RFC2253 | grep -q 'serialNumber=SN-0001'"
t "python3-cryptography reads the same serialNumber" "$PY" -c '
import sys
from cryptography import x509
from cryptography.x509.oid import NameOID
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
v = [a.value for a in c.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)]
assert v == ["SN-0001"], v' "$W/birth.pem"
get "$BASE/devices/SN-0001" "$W/g3" >/dev/null
t "device is provisioned, last_seen_at set, certificate linked" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "provisioned", d
assert d["last_seen_at"], d
assert [c["serial"] for c in d["certificates"]] == [sys.argv[2]], d' "$W/g3" "$(field "$W/birth.json" serial)"
code=$(issue_for SN-0001 tls-client op1)
t "issue tls-client with device SN-0001 = 201" test "$code" = 201
get "$BASE/devices/SN-0001" "$W/g4" >/dev/null
t "device is active with 2 linked certificates" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "active" and len(d["certificates"]) == 2, d' "$W/g4"
ocsp_of op1 >"$W/o0.txt"
t "OCSP: op1 good (Response verify OK)" bash -c "grep -q 'Response verify OK' '$W/o0.txt' && grep -q ': good' '$W/o0.txt'"
code=$(post "$BASE/devices/SN-0001/suspend" "$W/c1")
t "suspend device SN-0001 = 200" test "$code" = 200
ocsp_of op1 >"$W/o1.txt"
t "OCSP after device suspension: op1 revoked, certificateHold" \
  bash -c "grep -q ': revoked' '$W/o1.txt' && grep -qi 'certificateHold' '$W/o1.txt'"
code=$(issue_for SN-0001 tls-client op2)
t "issuing for a suspended device = 409 problem" is_problem "$code" 409 "$W/op2.json"
code=$(post "$BASE/devices/SN-0001/reactivate" "$W/c2")
ocsp_of op1 >"$W/o2.txt"
t "device reactivated: op1 good again" bash -c "[ $code = 200 ] && grep -q ': good' '$W/o2.txt'"
code=$(post "$BASE/devices/SN-0001/decommission" "$W/c3")
ocsp_of op1 >"$W/o3.txt"
t "device decommissioned: op1 revoked (cessationOfOperation)" \
  bash -c "[ $code = 200 ] && grep -q ': revoked' '$W/o3.txt' && grep -qi 'cessationOfOperation' '$W/o3.txt'"
get "$BASE/devices/SN-0001" "$W/g5" >/dev/null
t "both linked certificates are revoked" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "decommissioned" and {c["status"] for c in d["certificates"]} == {"revoked"}, d' "$W/g5"
code=$(issue_for SN-0404 tls-client ghost)
t "issuing for an unknown device = 404 problem" is_problem "$code" 404 "$W/ghost.json"
code=$(issue_for SN-0005 idevid wrong SN-0006)
t "idevid whose serialNumber differs from the device = 400" is_problem "$code" 400 "$W/wrong.json"

# --- CSV import over REST ----------------------------------------------------------------------
printf 'serial,type\r\nCSV-1,sensor\r\nCSV-2,\r\n"CSV-3","default"\r\nCSV-1,\r\nbad serial,\r\nCSV-4,nope\r\nCSV-5,a,b\r\nSN-0002,\r\n"CSV-6\r\n' >"$W/in.csv"
code=$(fp_request POST "$BASE/devices/import" "$W/i1" "${AUTH[@]}" -H 'Content-Type: text/csv' --data-binary @"$W/in.csv")
t "REST import = 200: 3 accepted, rejected lines 5 6 7 8 9 10" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["accepted"] == 3, d
assert [r["line"] for r in d["rejected"]] == [5, 6, 7, 8, 9, 10], d
assert all(r["reason"] for r in d["rejected"]), d' "$W/i1"
code=$(get "$BASE/devices/CSV-3" "$W/i2")
t "imported CSV-3 (quoted) is registered" bash -c "[ $code = 200 ] && [ \"$(field "$W/i2" state)\" = registered ]"
code=$(fp_request POST "$BASE/devices/import" "$W/i3" "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$W/in.csv")
t "import with Content-Type application/json = 415 problem" is_problem "$code" 415 "$W/i3"
printf 'id,kind\nX\n' >"$W/badhdr.csv"
code=$(fp_request POST "$BASE/devices/import" "$W/i4" "${AUTH[@]}" -H 'Content-Type: text/csv' --data-binary @"$W/badhdr.csv")
t "import with a wrong header = 400 problem" is_problem "$code" 400 "$W/i4"
"$PY" -c 'print("serial"); [print("BIG-%d" % i) for i in range(10001)]' >"$W/big.csv"
code=$(fp_request POST "$BASE/devices/import" "$W/i5" "${AUTH[@]}" -H 'Content-Type: text/csv' --data-binary @"$W/big.csv")
t "import over the REST limit = 413 problem" bash -c "[ $code = 413 ]"
code=$(get "$BASE/devices/BIG-1" "$W/i6")
t "nothing of the oversized import was registered" test "$code" = 404

# --- CSV import and list with the CLI ------------------------------------------------------------
printf 'serial\nCLI-1\nCLI-2\nCLI-1\nCLI 3\n' >"$W/cli.csv"
"$FP" devices import --data "$DATA" --file "$W/cli.csv" >"$W/cli.out" 2>"$W/cli.err"
rc=$?
t "CLI import exits 0 with rejected rows" test "$rc" = 0
t "CLI import reports accepted 2 and lines 4 and 5" bash -c \
  "grep -q '^accepted 2' '$W/cli.out' && grep -q '^line 4: CLI-1: duplicate' '$W/cli.out' && grep -q '^line 5: ' '$W/cli.out'"
t "the server sees CLI-2" test "$(get "$BASE/devices/CLI-2" "$W/c9")" = 200
"$FP" devices import --data "$DATA" --file "$W/badhdr.csv" >/dev/null 2>"$W/cli2.err"
rc=$?
t "CLI import with a wrong header exits 1 with one line on stderr" bash -c "[ $rc = 1 ] && [ \$(wc -l <'$W/cli2.err') = 1 ]"
"$FP" devices import --data "$DATA" --file "$W/missing.csv" >/dev/null 2>&1
t "CLI import of a missing file exits 1" test "$?" = 1
"$FP" devices import --data "$DATA" >/dev/null 2>&1
t "CLI import without --file is a usage error (2)" test "$?" = 2
"$FP" devices list --data "$DATA" --state decommissioned >"$W/list.out" 2>&1
t "CLI list --state decommissioned lists SN-0001 and SN-0003" bash -c \
  "[ \$(wc -l <'$W/list.out') = 2 ] && grep -q '^SN-0001 ' '$W/list.out' && grep -q '^SN-0003 ' '$W/list.out'"

# --- bad input and permissions -------------------------------------------------------------------
before=$(device_count "")
for bad in '{"type":"default"}' '{"serial":5}' '{"serial":"SN-X","type":7}' '{"serial":"SN-X","extra":1}' \
           "{\"serial\":\"$(printf 'A%.0s' $(seq 65))\"}" '{"serial":"a/b"}' '{"serial":"SN-X","type":"nope"}' \
           '[1]' 'not json'; do
  code=$(post "$BASE/devices" "$W/b1" "$bad")
  t "register body ${bad:0:40} = 400 problem" is_problem "$code" 400 "$W/b1"
done
code=$(fp_request POST "$BASE/devices" "$W/b2" "${AUTH[@]}" -H 'Content-Type: text/plain' --data-binary '{"serial":"SN-X"}')
t "register with Content-Type text/plain = 415" is_problem "$code" 415 "$W/b2"
code=$(fp_request POST "$BASE/devices" "$W/b3" "${JSON[@]}" --data-binary '{"serial":"SN-X"}')
t "register without a token = 401" is_problem "$code" 401 "$W/b3"
AUDITOR=$("$FP" token create --data "$DATA" --tenant default --role auditor 2>/dev/null)
code=$(fp_request POST "$BASE/devices" "$W/b4" -H "Authorization: Bearer $AUDITOR" "${JSON[@]}" --data-binary '{"serial":"SN-AUD"}')
t "an auditor may not register (403)" is_problem "$code" 403 "$W/b4"
code=$(fp_request POST "$BASE/devices/SN-0002/provision" "$W/b5" -H "Authorization: Bearer $AUDITOR")
t "an auditor may not transition (403)" is_problem "$code" 403 "$W/b5"
code=$(fp_request GET "$BASE/devices/SN-0002" "$W/b6" -H "Authorization: Bearer $AUDITOR")
t "an auditor may read a device" bash -c "[ $code = 200 ] && [ \"$(field "$W/b6" state)\" = registered ]"
t "bad requests registered nothing" test "$(device_count "")" = "$before"
code=$(post /api/v1/tenants "$W/tn" '{"name":"other"}')
OTHER=$("$FP" token create --data "$DATA" --tenant other --role admin 2>/dev/null)
if [ "$code" = 201 ] && [ -n "$OTHER" ]; then
  code=$(fp_request GET "$BASE/devices/SN-0002" "$W/o1" -H "Authorization: Bearer $OTHER")
  t "another tenant's admin gets 404 for our device" is_problem "$code" 404 "$W/o1"
  code=$(fp_request POST "$BASE/devices/SN-0002/decommission" "$W/o2" -H "Authorization: Bearer $OTHER")
  t "another tenant's admin cannot decommission it (404)" is_problem "$code" 404 "$W/o2"
  get "$BASE/devices/SN-0002" "$W/o3" >/dev/null
  t "SN-0002 is still registered" test "$(field "$W/o3" state)" = registered
else
  no "create tenant other over REST (needed for the isolation checks)" "HTTP $code"
fi

fp_finish
