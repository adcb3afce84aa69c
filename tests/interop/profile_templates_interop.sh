#!/usr/bin/env bash
# Profiles as data over REST v1 against a real server: profiles created from the built-in
# templates (matter-paa, matter-pai, matter-dac, idevid with a hwType, ocsp-signing), certificates
# issued from openssl CSRs and every field checked with python3-cryptography and `openssl x509
# -text`; versions (v2 validity in force at once), retirement (409), and bad input with no side
# effect.
set -u
. "$(dirname "$0")/common.sh"
fp_require_binary
fp_start_server "$FP_TMP/data" || fp_abort "server did not start"
AUTH=(-H "Authorization: Bearer $TOKEN")
JSON=(-H 'Content-Type: application/json')
P=/api/v1/tenants/default/profiles
VID=1.3.6.1.4.1.37244.2.1
PID=1.3.6.1.4.1.37244.2.2
HWTYPE=1.3.6.1.4.1.99999.1

post() { fp_request POST "$1" "$2" "${AUTH[@]}" "${JSON[@]}" --data-binary "$3"; }
is_problem() { [ "$1" = "$2" ] && fp_problem "$3" "$2"; }
# issue PROFILE CSR OUT [extra JSON members] → status; the certificate PEM goes to OUT.pem
issue() {
  "$PY" -c 'import json,sys; d={"profile": sys.argv[1], "csr": open(sys.argv[2]).read()}; d.update(json.loads(sys.argv[3])); print(json.dumps(d))' \
    "$1" "$2" "${4:-{\}}" >"$3.req"
  local code
  code=$(fp_request POST /api/v1/tenants/default/certificates "$3" "${AUTH[@]}" "${JSON[@]}" --data-binary @"$3.req")
  [ "$code" = 201 ] && fp_json "$3" certificate >"$3.pem"
  echo "$code"
}

# --- templates and creation -------------------------------------------------------------------
code=$(fp_request GET /api/v1/profile-templates "$FP_TMP/tpl" "${AUTH[@]}")
t "GET profile-templates = 200" test "$code" = 200
t "templates list the Matter, OCSP and 802.1AR templates" "$PY" -c '
import json,sys
names = [i["name"] for i in json.load(open(sys.argv[1]))["items"]]
for n in ("tls-server","tls-client","idevid","ldevid","code-signing","ocsp-signing","matter-paa","matter-pai","matter-dac"):
    assert n in names, n' "$FP_TMP/tpl"
code=$(fp_request GET /api/v1/profile-templates "$FP_TMP/tpl401")
t "profile-templates without a token = 401" is_problem "$code" 401 "$FP_TMP/tpl401"

for def in '{"name":"paa","template":"matter-paa"}' '{"name":"pai","template":"matter-pai"}' \
           '{"name":"dac","template":"matter-dac"}' '{"name":"ocsp","template":"ocsp-signing"}' \
           "{\"name\":\"idevid-hw\",\"template\":\"idevid\",\"san\":{\"uri\":true,\"hardware_module_name\":{\"hw_type\":\"$HWTYPE\"}}}"; do
  code=$(post "$P" "$FP_TMP/create" "$def")
  t "create $def = 201" test "$code" = 201
done
code=$(fp_request GET "$P/dac" "$FP_TMP/dacget" "${AUTH[@]}")
t "GET profile dac = 200, version 1 in force, P-256 only" bash -c "[ $code = 200 ] && '$PY' -c '
import json,sys; d=json.load(open(sys.argv[1])); assert d[\"version_in_force\"]==1, d; assert d[\"definition\"][\"key_types\"]==[\"ec-p256\"], d' '$FP_TMP/dacget'"

# --- issuance and field checks ------------------------------------------------------------------
# matter_csr KIND OUT CN VID [PID]: `openssl req -subj` drops unknown OIDs, so Matter CSRs are made
# with python3-cryptography (UTF8String values).
matter_csr() {
  "$PY" - "$@" <<'EOF2'
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
kind, out, cn, vid = sys.argv[1:5]
pid = sys.argv[5] if len(sys.argv) > 5 else None
key = ec.generate_private_key(ec.SECP256R1()) if kind == "p256" else rsa.generate_private_key(65537, 2048)
attrs = [x509.NameAttribute(x509.NameOID.COMMON_NAME, cn),
         x509.NameAttribute(x509.ObjectIdentifier("1.3.6.1.4.1.37244.2.1"), vid)]
if pid:
    attrs.append(x509.NameAttribute(x509.ObjectIdentifier("1.3.6.1.4.1.37244.2.2"), pid))
csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs)).sign(key, hashes.SHA256())
open(out, "wb").write(csr.public_bytes(serialization.Encoding.PEM))
EOF2
}
matter_csr p256 "$FP_TMP/paa.csr" "Matter Test PAA" FFF1 || no "PAA CSR"
matter_csr p256 "$FP_TMP/pai.csr" "Matter Test PAI" FFF1 8000 || no "PAI CSR"
matter_csr p256 "$FP_TMP/dac.csr" "Matter Test DAC" FFF1 8000 || no "DAC CSR"
fp_make_csr p256 "$FP_TMP/ocsp.csr" "/CN=OCSP responder" || no "OCSP CSR"
fp_make_csr p256 "$FP_TMP/idev.csr" "/CN=sensor/serialNumber=SN-HW-1" || no "IDevID CSR"
for p in paa pai dac ocsp; do
  t "issue $p = 201" test "$(issue "$p" "$FP_TMP/$p.csr" "$FP_TMP/$p")" = 201
done
DEVICE_NOTE=""
code=$(post /api/v1/tenants/default/devices "$FP_TMP/dev" '{"serial":"SN-HW-1","type":"default"}')
if [ "$code" = 201 ]; then
  fp_make_csr p256 "$FP_TMP/idev.csr" "/CN=sensor" || no "IDevID CSR"
  t "issue idevid-hw for registered device SN-HW-1 = 201" test "$(issue idevid-hw "$FP_TMP/idev.csr" "$FP_TMP/idev" '{"device":"SN-HW-1"}')" = 201
  fp_make_csr p256 "$FP_TMP/idev-bad.csr" "/CN=sensor/serialNumber=SN-OTHER" || no "CSR"
  code=$(issue idevid-hw "$FP_TMP/idev-bad.csr" "$FP_TMP/idevbad" '{"device":"SN-HW-1"}')
  t "a CSR serialNumber that differs from the device record = 400" is_problem "$code" 400 "$FP_TMP/idevbad"
else
  DEVICE_NOTE="(device registry not available: CSR path)"
  t "issue idevid-hw from the CSR serialNumber = 201 $DEVICE_NOTE" test "$(issue idevid-hw "$FP_TMP/idev.csr" "$FP_TMP/idev")" = 201
fi

t "python3-cryptography: every field of PAA, PAI, DAC, OCSP and IDevID" "$PY" - "$FP_TMP" "$DATA/ca-chain.pem" <<'EOF'
import sys, datetime
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID, ExtendedKeyUsageOID
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes
d = sys.argv[1]
VID, PID = x509.ObjectIdentifier("1.3.6.1.4.1.37244.2.1"), x509.ObjectIdentifier("1.3.6.1.4.1.37244.2.2")
def load(n): return x509.load_pem_x509_certificate(open("%s/%s.pem" % (d, n), "rb").read())
def ext(c, oid):
    return c.extensions.get_extension_for_oid(oid)
def attr(c, oid):
    a = c.subject.get_attributes_for_oid(oid)
    return a[0] if a else None
def check_matter_common(c, name):
    assert isinstance(c.public_key(), ec.EllipticCurvePublicKey) and c.public_key().curve.name == "secp256r1", name
    assert isinstance(c.signature_hash_algorithm, hashes.SHA256), (name, c.signature_hash_algorithm)
    ext(c, ExtensionOID.SUBJECT_KEY_IDENTIFIER); ext(c, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    try:
        ext(c, ExtensionOID.EXTENDED_KEY_USAGE); raise AssertionError(name + ": EKU present")
    except x509.ExtensionNotFound:
        pass
def check_ids(c, name, want_pid):
    v = attr(c, VID)
    assert v is not None and v.value == "FFF1" and v._type.name == "UTF8String", (name, v)
    p = attr(c, PID)
    if want_pid:
        assert p is not None and p.value == "8000" and p._type.name == "UTF8String", (name, p)
    else:
        assert p is None, name
dac = load("dac")
bc = ext(dac, ExtensionOID.BASIC_CONSTRAINTS); assert bc.critical and not bc.value.ca, bc
ku = ext(dac, ExtensionOID.KEY_USAGE); assert ku.critical and ku.value.digital_signature
assert not (ku.value.key_cert_sign or ku.value.crl_sign or ku.value.key_encipherment or ku.value.content_commitment), ku
check_matter_common(dac, "DAC"); check_ids(dac, "DAC", True)
assert dac.not_valid_after == datetime.datetime(9999, 12, 31, 23, 59, 59), dac.not_valid_after
for name, pathlen in (("pai", 0), ("paa", 1)):
    c = load(name)
    bc = ext(c, ExtensionOID.BASIC_CONSTRAINTS); assert bc.critical and bc.value.ca and bc.value.path_length == pathlen, (name, bc)
    ku = ext(c, ExtensionOID.KEY_USAGE); assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign and not ku.value.digital_signature, (name, ku)
    if name == "pai":
        check_ids(c, name, True)
    else:
        assert attr(c, VID).value == "FFF1"
    assert isinstance(c.public_key(), ec.EllipticCurvePublicKey) and c.public_key().curve.name == "secp256r1"
    ext(c, ExtensionOID.SUBJECT_KEY_IDENTIFIER); ext(c, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
o = load("ocsp")
assert ext(o, ExtensionOID.EXTENDED_KEY_USAGE).value == x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING])
nc = ext(o, ExtensionOID.OCSP_NO_CHECK); assert not nc.critical
assert (o.not_valid_after - o.not_valid_before).days in (30,), o.not_valid_after - o.not_valid_before
i = load("idev")
assert attr(i, NameOID.SERIAL_NUMBER).value == "SN-HW-1"
assert i.not_valid_after == datetime.datetime(9999, 12, 31, 23, 59, 59)
try:
    ext(i, ExtensionOID.SUBJECT_KEY_IDENTIFIER); raise AssertionError("IDevID carries an SKI")
except x509.ExtensionNotFound:
    pass
san = ext(i, ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
others = san.get_values_for_type(x509.OtherName)
assert len(others) == 1 and others[0].type_id.dotted_string == "1.3.6.1.5.5.7.8.4", others
# HardwareModuleName ::= SEQUENCE { hwType OID, hwSerialNum OCTET STRING } (DER, hand-parsed)
v = others[0].value
assert v[0] == 0x30 and v[2] == 0x06, v.hex()
oid_len = v[3]; hw = v[4:4 + oid_len]
assert hw == bytes.fromhex("2b0601040186 8d1f01".replace(" ", "")), hw.hex()
rest = v[4 + oid_len:]
assert rest[0] == 0x04 and rest[2:2 + rest[1]] == b"SN-HW-1", rest.hex()
EOF

t "openssl x509 -text: DAC/PAI/PAA/OCSP/IDevID fields" bash -c "
set -e
openssl x509 -in '$FP_TMP/dac.pem' -noout -text >'$FP_TMP/dac.txt'
grep -A1 'X509v3 Basic Constraints: critical' '$FP_TMP/dac.txt' | grep -q 'CA:FALSE'
grep -A1 'X509v3 Key Usage: critical' '$FP_TMP/dac.txt' | grep -qx ' *Digital Signature'
grep -q 'Not After : Dec 31 23:59:59 9999 GMT' '$FP_TMP/dac.txt'
grep -q 'Signature Algorithm: ecdsa-with-SHA256' '$FP_TMP/dac.txt'
grep -q '$VID = FFF1' '$FP_TMP/dac.txt'
! grep -q 'Extended Key Usage' '$FP_TMP/dac.txt'
openssl x509 -in '$FP_TMP/pai.pem' -noout -text | grep -A1 'Basic Constraints: critical' | grep -q 'CA:TRUE, pathlen:0'
openssl x509 -in '$FP_TMP/paa.pem' -noout -text | grep -A1 'Basic Constraints: critical' | grep -q 'CA:TRUE, pathlen:1'
openssl x509 -in '$FP_TMP/pai.pem' -noout -text | grep -A1 'Key Usage: critical' | grep -q 'Certificate Sign, CRL Sign'
openssl x509 -in '$FP_TMP/ocsp.pem' -noout -text | grep -q 'OCSP No Check'
openssl x509 -in '$FP_TMP/ocsp.pem' -noout -text | grep -A1 'Extended Key Usage' | grep -q 'OCSP Signing'
openssl x509 -in '$FP_TMP/idev.pem' -noout -text >'$FP_TMP/idev.txt'
grep -q 'serialNumber = SN-HW-1' '$FP_TMP/idev.txt'
grep -q 'Not After : Dec 31 23:59:59 9999 GMT' '$FP_TMP/idev.txt'
grep -A1 'Subject Alternative Name' '$FP_TMP/idev.txt' | grep -q 'othername'
! grep -q 'Subject Key Identifier' '$FP_TMP/idev.txt'
"

# --- versions and retirement ------------------------------------------------------------------
code=$(post "$P" "$FP_TMP/v1" '{"name":"sensor","ca":"issuing","validity":30,"subject":[{"attribute":"CN","required":true}]}')
t "create sensor v1 = 201" test "$code" = 201
code=$(post "$P/sensor/versions" "$FP_TMP/v2" '{"ca":"issuing","validity":90,"subject":[{"attribute":"CN","required":true}]}')
t "POST versions = 201 with version 2" bash -c "[ $code = 201 ] && [ \"\$('$PY' -c 'import json,sys;print(json.load(open(sys.argv[1]))[\"version\"])' '$FP_TMP/v2')\" = 2 ]"
fp_make_csr p256 "$FP_TMP/s.csr" "/CN=s1" || no "CSR"
t "issue sensor = 201" test "$(issue sensor "$FP_TMP/s.csr" "$FP_TMP/s")" = 201
t "the v2 certificate has 90 days validity" "$PY" -c '
import sys; from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
assert (c.not_valid_after - c.not_valid_before).days == 90, c.not_valid_after - c.not_valid_before' "$FP_TMP/s.pem"
SERIAL=$(fp_json "$FP_TMP/s" serial)
code=$(fp_request GET "/api/v1/tenants/default/certificates/$SERIAL" "$FP_TMP/sget" "${AUTH[@]}")
t "GET certificate shows profile_version 2" bash -c "[ $code = 200 ] && grep -q '\"profile_version\": *2' '$FP_TMP/sget'"
code=$(fp_request GET "$P/sensor/versions/1" "$FP_TMP/gv1" "${AUTH[@]}")
t "GET versions/1 = 200 with validity 30" bash -c "[ $code = 200 ] && grep -q '\"validity\": *30' '$FP_TMP/gv1'"
code=$(post "$P/sensor/retire" "$FP_TMP/ret" '{}')
t "retire sensor = 200" test "$code" = 200
code=$(issue sensor "$FP_TMP/s.csr" "$FP_TMP/sret")
t "issuing from a retired profile = 409 problem" is_problem "$code" 409 "$FP_TMP/sret"
code=$(fp_request GET "/api/v1/tenants/default/certificates/$SERIAL" "$FP_TMP/sget2" "${AUTH[@]}")
t "the certificate issued before retirement is still valid" bash -c "[ $code = 200 ] && grep -q '\"status\": *\"valid\"' '$FP_TMP/sget2'"
code=$(post "$P/sensor/retire" "$FP_TMP/ret2" '{}')
t "retiring twice = 409" is_problem "$code" 409 "$FP_TMP/ret2"

# --- listing ------------------------------------------------------------------------------------
t "list follows next_cursor through every profile exactly once (limit=2)" "$PY" - "$HTTPS" "$TOKEN" "$DATA/ca-chain.pem" <<'EOF'
import json, ssl, sys, urllib.request
host, token, ca = sys.argv[1:4]
ctx = ssl.create_default_context(cafile=ca)
seen, cursor = [], None
for _ in range(50):
    url = "https://%s/api/v1/tenants/default/profiles?limit=2" % host + ("&cursor=" + cursor if cursor else "")
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    d = json.load(urllib.request.urlopen(req, context=ctx))
    assert len(d["items"]) <= 2
    seen += [i["name"] for i in d["items"]]
    cursor = d["next_cursor"]
    if cursor is None:
        break
assert len(seen) == len(set(seen)), seen
for n in ("tls-server", "idevid", "paa", "pai", "dac", "ocsp", "idevid-hw", "sensor"):
    assert n in seen, (n, seen)
req = urllib.request.Request("https://%s/api/v1/tenants/default/profiles?status=retired" % host, headers={"Authorization": "Bearer " + token})
assert [i["name"] for i in json.load(urllib.request.urlopen(req, context=ctx))["items"]] == ["sensor"]
EOF

# --- bad input: each refused with problem+json and no side effect ---------------------------------
count_profiles() { "$PY" -c '
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[3])
req = urllib.request.Request("https://%s/api/v1/tenants/default/profiles?limit=1000" % sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
d = json.load(urllib.request.urlopen(req, context=ctx))
print(sum(len(i["versions"]) for i in d["items"]))' "$HTTPS" "$TOKEN" "$DATA/ca-chain.pem"; }
BEFORE=$(count_profiles)
while IFS='|' read -r want body; do
  [ -z "$want" ] && continue
  code=$(post "$P" "$FP_TMP/bad" "$body")
  t "create $body = $want" is_problem "$code" "$want" "$FP_TMP/bad"
done <<'EOF'
404|{"name":"x1","template":"no-such-template"}
400|{"name":"x2","template":7}
400|{"name":"x3","ca":"issuing","validity":"forever"}
400|{"name":"x4","ca":"issuing","colour":"red"}
400|{"name":"x5","ca":"issuing","key_types":"ec-p256"}
400|{"name":"x6","ca":"issuing","extra_extensions":[{"oid":"not-an-oid","value":"MAA="}]}
400|{"name":"x7","ca":"issuing","extra_extensions":[{"oid":"2.5.29.19","value":"MAA="}]}
400|{"name":"x8","ca":"issuing","extra_extensions":[{"oid":"2.5.29.17","value":"MAA="}]}
400|{"name":"x9","template":"matter-dac","subject":[{"attribute":"matter-vid","source":"fixed","value":"fff1"}]}
400|{"name":"x10","ca":"issuing","subject":[{"attribute":"matter-pid","source":"fixed","value":"FFF"}]}
400|{"name":"x11","ca":"nowhere"}
400|{"name":"Bad Name","ca":"issuing"}
400|[1,2]
400|not json
409|{"name":"dac","template":"matter-dac"}
EOF
code=$(fp_request POST "$P" "$FP_TMP/bad415" "${AUTH[@]}" -H 'Content-Type: text/plain' --data-binary '{"name":"x12","ca":"issuing"}')
t "create with text/plain = 415" is_problem "$code" 415 "$FP_TMP/bad415"
code=$(post "$P/nope/versions" "$FP_TMP/bad" '{"ca":"issuing"}')
t "new version of an unknown profile = 404" is_problem "$code" 404 "$FP_TMP/bad"
code=$(post "$P/dac/versions" "$FP_TMP/bad" '{"name":"other","ca":"issuing"}')
t "new version with another name = 400" is_problem "$code" 400 "$FP_TMP/bad"
code=$(post "$P/dac/retire" "$FP_TMP/bad" '{"version":"one"}')
t "retire with a bad version = 400" is_problem "$code" 400 "$FP_TMP/bad"
code=$(post "$P/dac/retire" "$FP_TMP/bad" '{"version":9}')
t "retire an unknown version = 404" is_problem "$code" 404 "$FP_TMP/bad"
code=$(fp_request GET "$P/dac/versions/abc" "$FP_TMP/bad" "${AUTH[@]}")
t "GET versions/abc = 404" is_problem "$code" 404 "$FP_TMP/bad"
code=$(fp_request GET "$P?limit=0" "$FP_TMP/bad" "${AUTH[@]}")
t "list limit=0 = 400" is_problem "$code" 400 "$FP_TMP/bad"
code=$(fp_request GET "$P?cursor=zzz" "$FP_TMP/bad" "${AUTH[@]}")
t "list with a bad cursor = 400" is_problem "$code" 400 "$FP_TMP/bad"
matter_csr rsa2048 "$FP_TMP/rsa.csr" "Matter Test DAC" FFF1 8000 || no "RSA CSR"
t "RSA key on the P-256-only dac profile = 400" is_problem "$(issue dac "$FP_TMP/rsa.csr" "$FP_TMP/rsa")" 400 "$FP_TMP/rsa"
matter_csr p256 "$FP_TMP/lower.csr" "Matter Test DAC" fff1 8000 || no "CSR"
t "DAC CSR with a lowercase VID = 400" is_problem "$(issue dac "$FP_TMP/lower.csr" "$FP_TMP/lower")" 400 "$FP_TMP/lower"
matter_csr p256 "$FP_TMP/short.csr" "Matter Test DAC" FFF1 80001 || no "CSR"
t "DAC CSR with a 5-digit PID = 400" is_problem "$(issue dac "$FP_TMP/short.csr" "$FP_TMP/short")" 400 "$FP_TMP/short"

# --- roles and tenants --------------------------------------------------------------------------
AUDITOR=$("$FP" token create --data "$DATA" --tenant default --role auditor 2>/dev/null)
code=$(fp_request POST "$P" "$FP_TMP/aud" -H "Authorization: Bearer $AUDITOR" "${JSON[@]}" --data-binary '{"name":"x13","ca":"issuing"}')
t "an auditor may not create profiles (403)" is_problem "$code" 403 "$FP_TMP/aud"
code=$(fp_request GET "$P/dac" "$FP_TMP/aud2" -H "Authorization: Bearer $AUDITOR")
t "an auditor may read profiles (200)" test "$code" = 200
code=$(post /api/v1/tenants "$FP_TMP/ten" '{"name":"other"}')
if [ "$code" = 201 ]; then
  OTHER=$("$FP" token create --data "$DATA" --tenant other --role admin 2>/dev/null)
  code=$(fp_request POST "$P" "$FP_TMP/oth" -H "Authorization: Bearer $OTHER" "${JSON[@]}" --data-binary '{"name":"x14","ca":"issuing"}')
  t "another tenant's admin creating here = 404" is_problem "$code" 404 "$FP_TMP/oth"
  code=$(fp_request GET "$P/dac" "$FP_TMP/oth2" -H "Authorization: Bearer $OTHER")
  t "another tenant's admin reading here = 404" is_problem "$code" 404 "$FP_TMP/oth2"
  code=$(fp_request POST "$P/dac/retire" "$FP_TMP/oth3" -H "Authorization: Bearer $OTHER" "${JSON[@]}" --data-binary '{}')
  t "another tenant's admin retiring here = 404" is_problem "$code" 404 "$FP_TMP/oth3"
fi
code=$(fp_request POST "$P" "$FP_TMP/anon" "${JSON[@]}" --data-binary '{"name":"x15","ca":"issuing"}')
t "no token = 401" is_problem "$code" 401 "$FP_TMP/anon"
t "no refused request created a profile version" test "$(count_profiles)" = "$BEFORE"
code=$(fp_request GET "$P/dac" "$FP_TMP/dac-after" "${AUTH[@]}")
t "dac is still in force at version 1 after the refused retire/version calls" bash -c "[ $code = 200 ] && grep -q '\"version_in_force\": *1' '$FP_TMP/dac-after'"

fp_finish
