#!/usr/bin/env bash
# Revocation of outside birth certificates (ADR 0017): an EST endpoint trusts a contract
# manufacturer's CA (made here with openssl); its CRLs (made with python3-cryptography) are
# uploaded over REST and with the CLI while the server runs. A device whose IDevID is on the CRL
# is refused (403) by EST over mutual TLS with curl, the others enroll; replays of older CRLs,
# CRLs of another key and garbage are refused; with outside_crl "required" a device of an issuer
# without a current CRL is refused.
set -u
. "$(dirname "$0")/common.sh"
fp_require_binary
FLEETPKI_CONFIG_POLL_MS=200 fp_start_server "$FP_TMP/data" || fp_abort "server did not start"

W=$FP_TMP/w
mkdir -p "$W"
EST=https://$HTTPS/.well-known/est
BASE=/api/v1/tenants/default
AUTH=(-H "Authorization: Bearer $TOKEN")
JSON=(-H 'Content-Type: application/json')
rest() { # rest METHOD PATH OUT [JSON body file] → status
  if [ -n "${4:-}" ]; then
    fp_request "$1" "$2" "$3" "${AUTH[@]}" "${JSON[@]}" --data-binary @"$4"
  else
    fp_request "$1" "$2" "$3" "${AUTH[@]}"
  fi
}
jq_ok() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"; }

# --- the contract manufacturer's CA (openssl) and four devices' IDevIDs ---------------------------
cat >"$W/ca.ext" <<'X'
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
X
cat >"$W/leaf.ext" <<'X'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
authorityKeyIdentifier=keyid
X
make_ca() { # make_ca NAME CN
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$1.key" \
    -subj "/CN=$2" -days 3650 -extensions v3 -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3]\n'; cat "$W/ca.ext") \
    -out "$W/$1.pem" 2>"$W/$1.err"
}
make_ca cm "CM Device CA" || fp_abort "openssl: CA" "$(cat "$W/cm.err")"
make_ca rogue "CM Device CA" || fp_abort "openssl: rogue CA"  # same name, another key
for s in CM-1 CM-2 CM-3 CM-4; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$s.key" \
    -subj "/CN=widget/serialNumber=$s" -out "$W/$s.csr" 2>/dev/null &&
    openssl x509 -req -in "$W/$s.csr" -CA "$W/cm.pem" -CAkey "$W/cm.key" -CAcreateserial -days 3650 \
      -extfile "$W/leaf.ext" -out "$W/$s.pem" 2>/dev/null || fp_abort "openssl: IDevID $s"
  printf '{"serial":"%s"}' "$s" >"$W/reg.json"
  [ "$(rest POST "$BASE/devices" "$W/reg.out" "$W/reg.json")" = 201 ] || fp_abort "register $s"
done

# crl OUT NUMBER [REVOKED PEM…]: a CRL of the CM CA (DER) valid one day, python3-cryptography.
crl() {
  "$PY" - "$W/cm.pem" "$W/cm.key" "$@" <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
ca = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
out, number = sys.argv[3], int(sys.argv[4])
now = datetime.datetime.now(datetime.timezone.utc)
b = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
     .last_update(now - datetime.timedelta(minutes=1)).next_update(now + datetime.timedelta(days=1))
     .add_extension(x509.CRLNumber(number), critical=False))
for pem in sys.argv[5:]:
    cert = x509.load_pem_x509_certificate(open(pem, "rb").read())
    b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
                                  .revocation_date(now - datetime.timedelta(minutes=1)).build())
open(out, "wb").write(b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
PY
}
# body OUT DER: {"crl": PEM}
body() { "$PY" -c 'import base64,json,sys,textwrap; d=open(sys.argv[1],"rb").read(); print(json.dumps({"crl": "-----BEGIN X509 CRL-----\n" + "\n".join(textwrap.wrap(base64.b64encode(d).decode(), 64)) + "\n-----END X509 CRL-----\n"}))' "$2" >"$1"; }
enroll() { # enroll SERIAL LABEL → EST status
  openssl req -new -key "$W/$1.key" -subj "/CN=$1/serialNumber=$1" -outform DER 2>/dev/null | base64 -w 64 >"$W/$1.b64"
  curl -sS --noproxy '*' --max-time 30 --cacert "$DATA/ca-chain.pem" --cert "$W/$1.pem" --key "$W/$1.key" \
    -H 'Content-Type: application/pkcs10' --data-binary @"$W/$1.b64" -o "$W/$1.p7" -w '%{http_code}' \
    "$EST/$2/simpleenroll"
}

# --- the endpoint trusting the CM CA --------------------------------------------------------------
"$PY" -c 'import json,sys; print(json.dumps({"label":"cm","auth":["idevid"],"trusted_cas":[],"trust_anchors_pem":open(sys.argv[1]).read()}))' \
  "$W/cm.pem" >"$W/ep.json"
t "create endpoint cm trusting the CM CA = 201" test "$(rest POST "$BASE/enrollment-endpoints" "$W/ep.out" "$W/ep.json")" = 201
t "before any CRL, CM-1 enrolls (200)" test "$(enroll CM-1 cm)" = 200

# --- REST upload ------------------------------------------------------------------------------------
crl "$W/crl5.der" 5 "$W/CM-2.pem"
body "$W/crl5.json" "$W/crl5.der"
code=$(rest POST "$BASE/enrollment-endpoints/cm/crls" "$W/u5" "$W/crl5.json")
t "upload CRL #5 revoking CM-2 = 201, one entry, issuer named" bash -c "[ $code = 201 ] && $(declare -f jq_ok); PY='$PY' jq_ok '$W/u5' 'd[\"revoked_count\"] == 1 and d[\"crl_number\"] == \"05\" and d[\"issuer\"] == \"CN=CM Device CA\" and d[\"in_use\"] is True'"
t "CM-2 (on the CRL) is refused by EST (403)" test "$(enroll CM-2 cm)" = 403
t "CM-3 (not on it) enrolls (200)" test "$(enroll CM-3 cm)" = 200
t "the same CRL again = 200 (nothing changed)" test "$(rest POST "$BASE/enrollment-endpoints/cm/crls" "$W/u5b" "$W/crl5.json")" = 200
crl "$W/crl4.der" 4
body "$W/crl4.json" "$W/crl4.der"
code=$(rest POST "$BASE/enrollment-endpoints/cm/crls" "$W/u4" "$W/crl4.json")
t "replaying an older CRL (#4, without CM-2) = 409 problem" bash -c "[ $code = 409 ] && $(declare -f fp_problem); PY='$PY' fp_problem '$W/u4' 409"
t "CM-2 is still refused after the replay attempt (403)" test "$(enroll CM-2 cm)" = 403
"$PY" - "$W/rogue.pem" "$W/rogue.key" "$W/rogue.der" <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
ca = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
now = datetime.datetime.now(datetime.timezone.utc)
crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(now)
       .next_update(now + datetime.timedelta(days=1)).add_extension(x509.CRLNumber(99), critical=False)
       .sign(key, hashes.SHA256()))
open(sys.argv[3], "wb").write(crl.public_bytes(serialization.Encoding.DER))
PY
body "$W/rogue.json" "$W/rogue.der"
code=$(rest POST "$BASE/enrollment-endpoints/cm/crls" "$W/ur" "$W/rogue.json")
t "a CRL under the CA's name but another key = 400" test "$code" = 400
printf '{"crl":"-----BEGIN X509 CRL-----\\nAAAA\\n-----END X509 CRL-----\\n"}' >"$W/junk.json"
t "garbage = 400" test "$(rest POST "$BASE/enrollment-endpoints/cm/crls" "$W/uj" "$W/junk.json")" = 400
t "an endpoint without outside anchors = 409" test "$(rest POST "$BASE/enrollment-endpoints/default/crls" "$W/ud" "$W/crl5.json")" = 409
code=$(rest GET "$BASE/enrollment-endpoints/cm/crls" "$W/list")
t "GET …/crls lists the one stored CRL (#5)" bash -c "[ $code = 200 ] && $(declare -f jq_ok); PY='$PY' jq_ok '$W/list' 'len(d[\"items\"]) == 1 and d[\"items\"][0][\"crl_number\"] == \"05\"'"

# --- CLI upload while the server runs (DER file): picked up by the configuration poll --------------
crl "$W/crl6.der" 6 "$W/CM-2.pem" "$W/CM-4.pem"
t "before the CLI upload, CM-4 enrolls (200)" test "$(enroll CM-4 cm)" = 200
t "CLI est-endpoint crl --file (DER, #6 adds CM-4) exits 0" \
  bash -c "'$FP' est-endpoint crl --data '$DATA' --label cm --file '$W/crl6.der' >'$W/cli.out' 2>&1"
refused_soon() { local i; for ((i = 0; i < 50; i++)); do [ "$(enroll CM-4 cm)" = 403 ] && return 0; sleep 0.2; done; return 1; }
t "the running server refuses CM-4 without a restart (403)" refused_soon
t "CLI est-endpoint crl (no --file) lists #6" bash -c "'$FP' est-endpoint crl --data '$DATA' --label cm | grep -q '\"crl_number\":\"06\"'"

# --- outside_crl required ------------------------------------------------------------------------------
"$PY" -c 'import json,sys; print(json.dumps({"auth":["idevid"],"trusted_cas":[],"trust_anchors_pem":open(sys.argv[1]).read(),"outside_crl":"required"}))' \
  "$W/cm.pem" >"$W/strict.json"
sed 's/^{/{"label":"strict",/' "$W/strict.json" >"$W/strict-create.json"
t "create endpoint strict (outside_crl required) = 201" test "$(rest POST "$BASE/enrollment-endpoints" "$W/st.out" "$W/strict-create.json")" = 201
t "strict shows outside_crl required" jq_ok "$W/st.out" 'd["outside_crl"] == "required"'
t "strict without any CRL refuses CM-3 (403)" test "$(enroll CM-3 strict)" = 403
t "upload CRL #6 to strict = 201" test "$(body "$W/crl6.json" "$W/crl6.der"; rest POST "$BASE/enrollment-endpoints/strict/crls" "$W/s6" "$W/crl6.json")" = 201
t "with a current CRL, strict lets CM-3 enroll (200)" test "$(enroll CM-3 strict)" = 200
t "... and still refuses CM-2 (403)" test "$(enroll CM-2 strict)" = 403

curl -s --noproxy '*' --max-time 10 "http://$HTTP/metrics" >"$W/metrics" 2>/dev/null
t "/metrics shows the cm CRL's nextUpdate and its 2 entries" bash -c \
  "grep -Eq '^fleetpki_est_outside_crl_next_update_timestamp_seconds\{tenant=\"default\",endpoint=\"cm\",issuer=\"[0-9a-f]{16}\"\} [0-9]' '$W/metrics' &&
   grep -Eq '^fleetpki_est_outside_crl_revoked\{tenant=\"default\",endpoint=\"cm\",issuer=\"[0-9a-f]{16}\"\} 2$' '$W/metrics'"
t "no server error logged" bash -c "! grep -Ei '\\b(error|fatal)\\b' '$FP_TMP/server.1.err'"
fp_finish
