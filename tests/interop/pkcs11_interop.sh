#!/usr/bin/env bash
# CA keys in a PKCS#11 token (issue #6, points 1, 2 and 4), with a SoftHSM2 token made in the
# test's temporary folder (SOFTHSM2_CONF) and outside tools only:
#   - `fleetpki init --key-backend pkcs11 --pkcs11-token LABEL` (PIN in FLEETPKI_PKCS11_PIN) puts
#     root, issuing, manufacturing and audit keys in the token; config.json names module and token,
#     never the PIN; a second data folder uses --pkcs11-pin-file; a wrong PIN fails clearly
#     without the PIN in any output;
#   - `pkcs11-tool --list-objects` (OpenSC) shows every private key sensitive, always sensitive,
#     never extractable, usage sign only;
#   - `fleetpki serve` over that folder: a certificate (REST), the issuing CA's CRL and an OCSP
#     response, all signed through PKCS#11, verified by `openssl verify`, `openssl crl -CAfile`
#     and `openssl ocsp` (Response verify OK; revoked after a revocation);
#   - `fleetpki issue` (another process) signs with the same token.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
fp_require_binary
fp_softhsm_setup  # a throw-away SoftHSM2 token folder; sets MODULE, H, SOFTHSM2_CONF
LABEL=fleet-ca
PIN=24680-p11
out=$(softhsm2-util --init-token --free --label "$LABEL" --so-pin 12345678 --pin "$PIN" 2>&1) ||
  fp_abort "softhsm2-util --init-token" "$out"
p11() { pkcs11-tool --module "$MODULE" --token-label "$LABEL" "$@"; }

# --- a wrong PIN -------------------------------------------------------------------------------
BADPIN=97531-wrong
out=$(FLEETPKI_PKCS11_PIN=$BADPIN "$FP" init --data "$FP_TMP/badpin" --key-backend pkcs11 \
  --pkcs11-module "$MODULE" --pkcs11-token "$LABEL" 2>&1)
rc=$?
t "init with a wrong PIN exits 1" test "$rc" = 1
t "the error says the login failed for token $LABEL" grep -q "PKCS#11 login failed for token '$LABEL'" <<<"$out"
t "the PIN is in no output" bash -c "! grep -q -e '$BADPIN' -e '$PIN' <<<\"\$1\"" _ "$out"
out=$(env -u FLEETPKI_PKCS11_PIN "$FP" init --data "$FP_TMP/nopin" --key-backend pkcs11 --pkcs11-token "$LABEL" 2>&1)
t "init without a PIN exits 1 and names FLEETPKI_PKCS11_PIN" bash -c "[ $? = 1 ] && grep -q FLEETPKI_PKCS11_PIN <<<\"\$1\"" _ "$out"

# --- init with the keys in the token -----------------------------------------------------------
D=$FP_TMP/data
out=$(FLEETPKI_PKCS11_PIN=$PIN "$FP" init --data "$D" --key-backend pkcs11 --pkcs11-token "$LABEL" 2>&1)
rc=$?
if [ "$rc" = 0 ]; then ok "init --key-backend pkcs11 (module defaults to SoftHSM2) exits 0"; else fp_abort "init --key-backend pkcs11" "$out"; fi
t "config.json records backend, module and token" "$PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["key_backend"] == "pkcs11", c
assert c["pkcs11"]["token"] == sys.argv[2] and c["pkcs11"]["module"] == sys.argv[3], c' "$D/config.json" "$LABEL" "$MODULE"
t "the PIN is in no file of the data folder" bash -c "! grep -r -a -q -e '$PIN' '$D'"
t "no CA key file in DIR/keys" bash -c "! ls '$D/keys' 2>/dev/null | grep -q -e root -e issuing -e manufacturing -e audit"

p11 --login --pin "$PIN" --list-objects --type privkey >"$FP_TMP/objects.txt" 2>&1
t "pkcs11-tool lists the private keys" grep -q "Private Key Object" "$FP_TMP/objects.txt"
for kind in root issuing manufacturing platform-audit; do
  t "a private key for $kind is in the token" grep -q "label: *[a-z]*-*$kind-\|label: *$kind-" "$FP_TMP/objects.txt"
done
# Every private key: Usage sign only; Access sensitive, always sensitive, never extractable.
check_private_keys() { "$PY" "$(dirname "$0")/p11_private_keys.py" "$1"; }
t "every private key: usage sign only, sensitive, always sensitive, never extractable" check_private_keys "$FP_TMP/objects.txt"
# (Reading CKA_VALUE of the private key answers CKR_ATTRIBUTE_SENSITIVE: checked in
# tests/unit/keys/pkcs11_key_vault_test.cpp; pkcs11-tool --read-object refuses private keys itself.)

# --- serve: certificate, CRL, OCSP signed in the token ------------------------------------------
export FLEETPKI_PKCS11_PIN=$PIN
# Complete CRLs re-issued every 2 s so that the revocation below reaches one quickly.
export FLEETPKI_CRL_POLICY="complete_reissue_after=2,poll_interval_ms=300,debounce_ms=100"
fp_start_server "$D" 2>"$FP_TMP/start.err" || fp_abort "serve over the pkcs11 data folder" "$(cat "$FP_TMP/start.err")"
ok "serve listens: https $HTTPS, http $HTTP"
W=$FP_TMP/w
mkdir -p "$W"
ROOT=$D/root-ca.pem
ISSUING=$W/issuing.pem
awk '/BEGIN CERTIFICATE/{n++} n==1' "$D/ca-chain.pem" >"$ISSUING"
t "the root is self-signed by the token's key (openssl verify)" openssl verify -CAfile "$ROOT" "$ROOT"
t "the issuing CA verifies under the root" openssl verify -CAfile "$ROOT" "$ISSUING"
t "the manufacturing CA verifies under the root" openssl verify -CAfile "$ROOT" "$D/manufacturing-ca.pem"

issue() {
  local name=$1 code
  fp_make_csr p256 "$W/$name.csr" "/CN=$name" || return 1
  code=$(fp_issue tls-client "$W/$name.csr" "$W/$name.json") || return 1
  [ "$code" = 201 ] || { echo "issue $name: HTTP $code $(cat "$W/$name.json")" >&2; return 1; }
  fp_json "$W/$name.json" certificate >"$W/$name.pem"
  fp_json "$W/$name.json" serial
}
S_GOOD=$(issue dev-good 2>"$W/issue.err") || no "issue dev-good over REST" "$(cat "$W/issue.err")"
S_REV=$(issue dev-rev 2>"$W/issue.err") || no "issue dev-rev over REST" "$(cat "$W/issue.err")"
t "a certificate signed through PKCS#11 verifies (openssl verify)" \
  openssl verify -CAfile "$ROOT" -untrusted "$ISSUING" "$W/dev-good.pem"
t "its signature is ecdsa-with-SHA256" bash -c "openssl x509 -in '$W/dev-good.pem' -noout -text | grep -q 'Signature Algorithm: ecdsa-with-SHA256'"

code=$(fp_request POST "/api/v1/tenants/default/certificates/$S_REV/revoke" "$W/revoke.json" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary '{"reason":"keyCompromise"}')
t "revoke dev-rev = 200" test "$code" = 200

# The CRL publisher follows the revocation: wait (bounded) for a CRL that lists it. The CRL is the
# one the certificate's CDP names (CRLs may be partitioned by serial).
CRL_PATH=$(openssl x509 -in "$W/dev-rev.pem" -noout -ext crlDistributionPoints 2>/dev/null |
  sed -n 's|.*URI:https\{0,1\}://[^/]*\(/[^ ]*\).*|\1|p' | head -1)
[ -n "$CRL_PATH" ] || CRL_PATH=/crl/default/issuing.crl
crl_ok=0
for _ in $(seq 1 75); do
  code=$(curl -sS --noproxy '*' --max-time 10 -o "$W/issuing.crl" -w '%{http_code}' "http://$HTTP$CRL_PATH")
  if [ "$code" = 200 ] && openssl crl -inform DER -in "$W/issuing.crl" -noout -text 2>/dev/null | grep -qi "Serial Number: 0*$S_REV\$"; then
    crl_ok=1
    break
  fi
  sleep 0.2
done
t "GET $CRL_PATH (the CDP) lists the revoked serial" test "$crl_ok" = 1
t "the CRL signed through PKCS#11 verifies (openssl crl -CAfile)" \
  bash -c "openssl crl -inform DER -in '$W/issuing.crl' -CAfile '$ISSUING' -noout 2>&1 | grep -q 'verify OK'"
openssl crl -inform DER -in "$W/issuing.crl" -out "$W/issuing.crl.pem" 2>/dev/null
t "openssl verify -crl_check: the revoked certificate is revoked" bash -c \
  "openssl verify -crl_check -CAfile '$ROOT' -untrusted '$ISSUING' -CRLfile '$W/issuing.crl.pem' '$W/dev-rev.pem' 2>&1 | grep -q 'certificate revoked'"
t "openssl verify -crl_check: the good certificate is OK" \
  openssl verify -crl_check -CAfile "$ROOT" -untrusted "$ISSUING" -CRLfile "$W/issuing.crl.pem" "$W/dev-good.pem"

URL="http://$HTTP/ocsp"
openssl ocsp -url "$URL" -timeout 10 -issuer "$ISSUING" -cert "$W/dev-good.pem" -CAfile "$ROOT" >"$W/ocsp-good.txt" 2>&1
t "OCSP response signed through PKCS#11: Response verify OK, good" \
  bash -c "grep -q 'Response verify OK' '$W/ocsp-good.txt' && grep -q ': good' '$W/ocsp-good.txt'"
openssl ocsp -url "$URL" -timeout 10 -issuer "$ISSUING" -cert "$W/dev-rev.pem" -CAfile "$ROOT" >"$W/ocsp-rev.txt" 2>&1
t "OCSP for the revoked certificate: Response verify OK, revoked" \
  bash -c "grep -q 'Response verify OK' '$W/ocsp-rev.txt' && grep -q ': revoked' '$W/ocsp-rev.txt'"
t "the server log holds no PIN" bash -c "! grep -r -q -e '$PIN' '$FP_TMP'/server.*"
fp_stop_server || no "serve stops on SIGTERM"

p11 --login --pin "$PIN" --list-objects --type privkey >"$FP_TMP/objects2.txt" 2>&1
t "after serve (OCSP signing key made), every private key is still sign-only and never extractable" \
  check_private_keys "$FP_TMP/objects2.txt"

# --- fleetpki issue (another process) over the same token -------------------------------------
mkdir -p "$W/in" "$W/out"
fp_make_csr p384 "$W/in/batch-1.csr" "/CN=batch-1" >/dev/null 2>&1
rm -f "$W/in/batch-1.csr.key" "$W/in/batch-1.csr.err"
out=$("$FP" issue --data "$D" --tenant default --profile tls-client --csr-dir "$W/in" --out "$W/out" 2>&1 </dev/null)
t "fleetpki issue signs with the token key" bash -c \
  "openssl verify -CAfile '$ROOT' -untrusted '$ISSUING' '$W/out/batch-1.crt'" || echo "$out" | sed 's/^/     | /'

# --- a second data folder on the same token with a PIN file ------------------------------------
printf '%s\n' "$PIN" >"$FP_TMP/pin"
chmod 600 "$FP_TMP/pin"
out=$(env -u FLEETPKI_PKCS11_PIN "$FP" init --data "$FP_TMP/data2" --key-backend pkcs11 \
  --pkcs11-module "$MODULE" --pkcs11-token "$LABEL" --pkcs11-pin-file "$FP_TMP/pin" 2>&1)
t "init with --pkcs11-pin-file exits 0" test $? = 0
t "config.json names the PIN file, not the PIN" bash -c \
  "grep -q '\"pin_file\": \"$FP_TMP/pin\"' '$FP_TMP/data2/config.json' && ! grep -q -e '$PIN' '$FP_TMP/data2/config.json'"
mkdir -p "$W/in2" "$W/out2"
cp "$W/in/batch-1.csr" "$W/in2/"
out=$(env -u FLEETPKI_PKCS11_PIN "$FP" issue --data "$FP_TMP/data2" --tenant default --profile tls-client \
  --csr-dir "$W/in2" --out "$W/out2" 2>&1 </dev/null)
t "a later command reads the PIN file recorded at init" \
  openssl verify -CAfile "$FP_TMP/data2/root-ca.pem" -untrusted "$FP_TMP/data2/ca-chain.pem" "$W/out2/batch-1.crt"

fp_finish
