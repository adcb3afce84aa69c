#!/usr/bin/env bash
# The CLI changes a running server's configuration: `fleetpki` commands run against the data
# folder of a live `serve` (another process on the same database) and the server applies them
# within its configuration poll (FLEETPKI_CONFIG_POLL_MS, here 200 ms), without a restart:
# a new profile issues, a retired one stops, a new tenant works, a disabled tenant stops.
set -u
. "$(dirname "$0")/common.sh"
fp_require_binary
FLEETPKI_CONFIG_POLL_MS=200 fp_start_server "$FP_TMP/data" || fp_abort "server did not start"
T=$FP_TMP

fp_make_csr p256 "$T/dev.csr" "/CN=dev-1" || fp_abort "openssl req"
# until_status WANT PROFILE [TENANT]: issues until the status is WANT, for at most 10 s (the poll
# is 200 ms; the bound only keeps a broken server from hanging the test). Prints the last status.
until_status() {
  local want=$1 profile=$2 tenant=${3:-default} code="" i
  for ((i = 0; i < 50; i++)); do
    code=$(fp_issue "$profile" "$T/dev.csr" "$T/u.json" "$tenant")
    [ "$code" = "$want" ] && break
    sleep 0.2
  done
  echo "$code"
}
cli() { "$FP" "$@" --data "$DATA" >"$T/cli.out" 2>"$T/cli.err"; }

t "tls-client issues before any change (201)" test "$(fp_issue tls-client "$T/dev.csr" "$T/a.json")" = 201
t "an unknown profile is 404 before it exists" test "$(fp_issue sensor "$T/dev.csr" "$T/b.json")" = 404

# --- a profile created by the CLI while the server runs ------------------------------------------
cat >"$T/sensor.json" <<'JSON'
{"name":"sensor","ca":"issuing","validity":30,"subject":[{"attribute":"CN","required":true}]}
JSON
t "CLI profiles create sensor (server running) exits 0" cli profiles create --file "$T/sensor.json"
t "the server issues under the new profile without a restart (201)" test "$(until_status 201 sensor)" = 201
t "... with the profile's 30-day validity" bash -c "
  '$PY' -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"certificate\"])' '$T/u.json' >'$T/sensor.pem' &&
  openssl x509 -in '$T/sensor.pem' -noout -checkend \$((29 * 86400)) >/dev/null &&
  ! openssl x509 -in '$T/sensor.pem' -noout -checkend \$((31 * 86400)) >/dev/null"

# --- a profile retired by the CLI ---------------------------------------------------------------
t "CLI profiles retire tls-client exits 0" cli profiles retire --name tls-client
code=$(until_status 409 tls-client)
t "the server refuses the retired profile without a restart (409)" test "$code" = 409
t "... as problem+json" fp_problem "$T/u.json" 409

# --- a tenant created, then disabled, by the CLI ----------------------------------------------------
t "CLI tenant create acme exits 0" cli tenant create --tenant acme
t "the new tenant issues at once (201)" test "$(until_status 201 tls-client acme)" = 201
t "CLI tenant disable acme exits 0" cli tenant disable --tenant acme
t "the disabled tenant is 404 without a restart" test "$(until_status 404 tls-client acme)" = 404
t "tenant default is unaffected (sensor still 201)" test "$(fp_issue sensor "$T/dev.csr" "$T/c.json")" = 201
t "CLI tenant enable acme exits 0" cli tenant enable --tenant acme
t "enabled again: acme issues (201)" test "$(until_status 201 tls-client acme)" = 201

# --- a CA added to an existing tenant by the CLI: issues, and its CRL and OCSP are served ----------
t "CLI ca create --tenant default --name line2 exits 0" cli ca create --tenant default --name line2
cat >"$T/line2.json" <<'JSON'
{"name":"line2-client","ca":"line2","validity":30,"subject":[{"attribute":"CN","required":true}]}
JSON
t "CLI profiles create line2-client exits 0" cli profiles create --file "$T/line2.json"
t "the server issues from the new CA without a restart (201)" test "$(until_status 201 line2-client)" = 201
"$PY" -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
open(sys.argv[2], "w").write(d["certificate"])
certs = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", d["chain"], re.S)
open(sys.argv[3], "w").write(certs[0])
open(sys.argv[4], "w").write("".join(certs))' "$T/u.json" "$T/line2-leaf.pem" "$T/line2-ca.pem" "$T/line2-chain.pem" ||
  fp_abort "issuance answer without certificate and chain"
t "openssl verify: leaf -> line2 -> root" openssl verify -CAfile "$T/line2-chain.pem" "$T/line2-leaf.pem"
crl_ok() {
  local i
  for ((i = 0; i < 50; i++)); do
    curl -s -o "$T/line2.crl" -w '%{http_code}' "http://$HTTP/crl/default/line2.crl" | grep -q 200 &&
      openssl crl -inform DER -in "$T/line2.crl" -CAfile "$T/line2-ca.pem" -noout 2>&1 | grep -q 'verify OK' && return 0
    sleep 0.2
  done
  return 1
}
t "the new CA's CRL is published and verifies" crl_ok
t "openssl ocsp: the new CA's leaf is good" bash -c "openssl ocsp -issuer '$T/line2-ca.pem' -cert '$T/line2-leaf.pem' \
  -url 'http://$HTTP/ocsp' -CAfile '$T/line2-chain.pem' 2>&1 | grep -q 'line2-leaf.pem: good'"

t "the server logged that it reloaded changed tenants" grep -q 'configuration changed: reloading' "$FP_TMP/server.1.err"
t "the server logged no error" bash -c "! grep -Ei '\\b(error|fatal)\\b' '$FP_TMP/server.1.err'"
fp_stop_server
t "the server stops cleanly on SIGTERM" test $? = 0
fp_finish
