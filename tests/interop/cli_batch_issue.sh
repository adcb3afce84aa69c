#!/usr/bin/env bash
# Local batch issuance (factory use) without a server:
#   fleetpki init, fleetpki token create, fleetpki issue --csr-dir IN --out OUT
# with one bad CSR among good ones (*.csr and *.pem, several key types): the good ones become
# OUT/<stem>.crt and pass openssl verify and check_profile.py, the bad one is named on stderr and
# skipped, the exit code is 1; a run with only good CSRs exits 0. Then a server started on the same
# data dir lists every certificate issued, and the operator token works as a bearer token.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
fp_require_binary

D=$FP_TMP/data
IN=$FP_TMP/in
OUT=$FP_TMP/out
IN2=$FP_TMP/in2
OUT2=$FP_TMP/out2
mkdir -p "$IN" "$IN2"

out=$("$FP" init --data "$D" 2>&1)
rc=$?
if [ "$rc" = 0 ]; then ok "fleetpki init --data DIR exits 0"; else no "fleetpki init --data DIR exits 0" "$out"; fi
t "init wrote admin.token (0600), ca-chain.pem, root-ca.pem, manufacturing-ca.pem" bash -c \
  "[ \$(stat -c %a '$D/admin.token') = 600 ] && openssl x509 -in '$D/ca-chain.pem' -noout && openssl x509 -in '$D/root-ca.pem' -noout && openssl x509 -in '$D/manufacturing-ca.pem' -noout"

OPERATOR=$("$FP" token create --data "$D" --tenant default --role operator 2>"$FP_TMP/token.err")
rc=$?
t "fleetpki token create --role operator exits 0" test "$rc" = 0
t "token create prints exactly one non-empty line" bash -c "[ \$(printf '%s\n' \"\$1\" | grep -c .) = 1 ]" _ "$OPERATOR"
OPERATOR=$(printf '%s' "$OPERATOR" | tr -d '\r\n')

# Good CSRs (tls-client: CN required), mixed extensions and key types; a bad one; a file to ignore.
good=(dev-001.csr dev-002.pem dev-003.csr dev-004.pem dev-005.csr)
kinds=(p256 p384 ed25519 rsa2048 p256)
for i in "${!good[@]}"; do
  fp_make_csr "${kinds[$i]}" "$IN/${good[$i]}" "/CN=${good[$i]%.*}" ||
    fp_abort "openssl req makes ${good[$i]}" "$(cat "$IN/${good[$i]}.err")"
  rm -f "$IN/${good[$i]}.key" "$IN/${good[$i]}.err"
done
printf -- '-----BEGIN CERTIFICATE REQUEST-----\nAAAAthis-is-broken\n-----END CERTIFICATE REQUEST-----\n' >"$IN/broken-007.csr"
echo "not a CSR, and not named like one" >"$IN/README.txt"

"$FP" issue --data "$D" --tenant default --profile tls-client --csr-dir "$IN" --out "$OUT" \
  >"$FP_TMP/issue.out" 2>"$FP_TMP/issue.err" </dev/null
rc=$?
t "issue with one bad CSR exits 1" test "$rc" = 1
t "the bad CSR is named on stderr" grep -q "broken-007" "$FP_TMP/issue.err"
t "no certificate for the bad CSR" test ! -e "$OUT/broken-007.crt"
t "README.txt is ignored (no README.crt)" test ! -e "$OUT/README.crt"
ISSUING=$FP_TMP/issuing.pem
"$PY" -c '
import re, sys
b = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", open(sys.argv[1]).read(), re.S)
open(sys.argv[2], "w").write(b[0] + "\n")' "$D/ca-chain.pem" "$ISSUING"
: >"$FP_TMP/serials"
for f in "${good[@]}"; do
  stem=${f%.*}
  crt=$OUT/$stem.crt
  if [ ! -s "$crt" ]; then
    no "$f → $stem.crt exists" "$(cat "$FP_TMP/issue.err")"
    continue
  fi
  ok "$f → $stem.crt exists"
  t "$stem.crt: PEM, verified by openssl against root-ca.pem" \
    openssl verify -x509_strict -purpose sslclient -CAfile "$D/root-ca.pem" -untrusted "$D/ca-chain.pem" "$crt"
  # The CLI has no listener of its own: the URLs' host is the configured public URL, not checked here.
  t "$stem.crt: tls-client profile (check_profile.py)" "$PY" "$CHECK_PROFILE" "$crt" "$ISSUING" tls-client --csr "$IN/$f"
  openssl x509 -in "$crt" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f' >>"$FP_TMP/serials"
done
t "exactly ${#good[@]} certificates written" test "$(find "$OUT" -name '*.crt' | wc -l)" = "${#good[@]}"

# A clean batch exits 0.
for n in 1 2; do
  fp_make_csr p256 "$IN2/line-$n.csr" "/CN=line-$n" || no "openssl req line-$n"
  rm -f "$IN2/line-$n.csr.key" "$IN2/line-$n.csr.err"
done
"$FP" issue --data "$D" --tenant default --profile tls-client --csr-dir "$IN2" --out "$OUT2" \
  >"$FP_TMP/issue2.out" 2>"$FP_TMP/issue2.err" </dev/null
rc=$?
t "issue with only good CSRs exits 0" test "$rc" = 0
t "…and writes line-1.crt and line-2.crt" test -s "$OUT2/line-1.crt" -a -s "$OUT2/line-2.crt"
for n in 1 2; do
  [ -s "$OUT2/line-$n.crt" ] && openssl x509 -in "$OUT2/line-$n.crt" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f' >>"$FP_TMP/serials"
done
issued=$(wc -l <"$FP_TMP/serials")
t "all $issued batch serials are distinct" test "$(sort -u "$FP_TMP/serials" | wc -l)" = "$issued"

# Usage errors.
"$FP" issue --data "$D" --tenant default --profile tls-client --csr-dir "$IN2" --out "$OUT2" --no-such-flag \
  >/dev/null 2>&1
t "issue with an unknown flag exits 2" test "$?" = 2
"$FP" issue --data "$D" --tenant default --profile no-such-profile --csr-dir "$IN2" --out "$FP_TMP/out3" \
  >/dev/null 2>"$FP_TMP/issue3.err"
rc=$?
t "issue with an unknown profile exits 1 with a message" bash -c "[ $rc = 1 ] && [ -s '$FP_TMP/issue3.err' ]"

# --link-devices: IDevIDs linked to registered devices by their CSR's subject serialNumber.
IN3=$FP_TMP/in3
OUT3=$FP_TMP/out3
mkdir -p "$IN3"
printf 'serial\nF-1\nF-2\n' >"$FP_TMP/devices.csv"
t "devices import F-1, F-2 exits 0" bash -c "'$FP' devices import --data '$D' --file '$FP_TMP/devices.csv' >/dev/null"
for s in F-1 F-2 F-9; do
  fp_make_csr p256 "$IN3/$s.csr" "/CN=widget/serialNumber=$s" || no "openssl req $s"
  rm -f "$IN3/$s.csr.key" "$IN3/$s.csr.err"
done
"$FP" issue --data "$D" --profile idevid --csr-dir "$IN3" --out "$OUT3" --link-devices \
  >"$FP_TMP/issue4.out" 2>"$FP_TMP/issue4.err" </dev/null
rc=$?
t "issue --link-devices with one unregistered serial exits 1, naming its CSR" \
  bash -c "[ $rc = 1 ] && grep -q 'F-9.csr' '$FP_TMP/issue4.err' && [ ! -e '$OUT3/F-9.crt' ]"
t "the registered devices' IDevIDs are written, serialNumber from the registry" bash -c \
  "openssl x509 -in '$OUT3/F-1.crt' -noout -subject | grep -q 'serialNumber *= *F-1' && openssl x509 -in '$OUT3/F-2.crt' -noout -subject | grep -q 'serialNumber *= *F-2'"
t "the linked devices are now provisioned (devices list)" bash -c \
  "'$FP' devices list --data '$D' | grep -q '^F-1 .*provisioned' && '$FP' devices list --data '$D' | grep -q '^F-2 .*provisioned'"
F1_SERIAL=$(openssl x509 -in "$OUT3/F-1.crt" -noout -serial 2>/dev/null | sed 's/^serial=//' | tr 'A-F' 'a-f')

# The store saw them: a server on the same data dir lists them, for the operator token too.
fp_start_server "$D" 2>"$FP_TMP/start.err" || fp_abort "server starts on the batch data dir" "$(cat "$FP_TMP/start.err")"
ok "server listens on the batch data dir: https $HTTPS"
count=$(fp_count_certs)
t "every batch certificate is recorded ($issued issued; list has $count)" bash -c \
  "[ '${count#ERR}' = '$count' ] && [ '$count' -ge '$issued' ]"
t "every batch serial is in the REST list with status valid" "$PY" - "$FP_TMP/listed" "$FP_TMP/serials" <<'EOF'
import sys
items = {l.split()[0].lower(): l.split()[1] for l in open(sys.argv[1]) if l.strip()}
want = [s.strip() for s in open(sys.argv[2]) if s.strip()]
missing = [s for s in want if s not in items]
assert not missing, "not listed: %r" % missing
assert all(items[s] == "valid" for s in want), "not all valid"
EOF
# The only tls-client certificates are the batches' (the server's own TLS certificate may be listed
# too, under another profile).
t "the list's tls-client certificates are exactly the batch ones" "$PY" - "$FP_TMP/listed" "$FP_TMP/serials" <<'EOF'
import sys
listed = {l.split()[0].lower() for l in open(sys.argv[1]) if l.strip() and l.split()[2] == "tls-client"}
want = {s.strip() for s in open(sys.argv[2]) if s.strip()}
assert listed == want, "extra: %r, missing: %r" % (sorted(listed - want), sorted(want - listed))
EOF
code=$(fp_request GET /api/v1/tenants/default/devices/F-1 "$FP_TMP/f1.json" -H "Authorization: Bearer $TOKEN")
t "REST shows F-1's batch IDevID among its certificates" bash -c "[ $code = 200 ] && grep -qi '$F1_SERIAL' '$FP_TMP/f1.json'"
code=$(fp_request GET /api/v1/tenants/default/certificates "$FP_TMP/op.json" -H "Authorization: Bearer $OPERATOR")
t "the operator token works as a bearer token (GET list = 200)" test "$code" = 200
TOKEN_SAVED=$TOKEN
TOKEN=$OPERATOR
code=$(fp_issue tls-client "$IN2/line-1.csr" "$FP_TMP/op-issue.json")
TOKEN=$TOKEN_SAVED
t "the operator token may issue (POST = 201)" test "$code" = 201
t "after a graceful stop the server exits" fp_stop_server

fp_finish
