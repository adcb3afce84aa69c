#!/usr/bin/env bash
# EST (RFC 7030 as corrected by RFC 8951) with real clients: curl + openssl exactly as in
# STANDARDS.md §1.7, and est_linking_client.py (python ssl, tls-unique) for proof-of-possession
# linking. Zero-touch: a registered device's IDevID (issued over REST by the manufacturing CA)
# enrolls at the default endpoint, gets only its LDevID (subject serialNumber from the registry),
# the device becomes active; re-enroll renews (same key) and re-keys (new key) with the LDevID;
# serverkeygen answers multipart/mixed whose PKCS#8 key matches the certificate; OTP enrollment
# over HTTP Basic. Bad input is refused with the EST status and nothing is issued (certificates
# counted over REST before and after). Checks needing REST routes of other slices (enrollment
# endpoints, OTPs) print a SKIP line while those routes answer 404/501.
set -u
. "$(dirname "$0")/common.sh"
fp_require_binary
fp_start_server "$FP_TMP/data" || fp_abort "server did not start"

W=$FP_TMP/w
mkdir -p "$W"
CA=$DATA/ca-chain.pem
EST=https://$HTTPS/.well-known/est
BASE=/api/v1/tenants/default
AUTH=(-H "Authorization: Bearer $TOKEN")
JSON=(-H 'Content-Type: application/json')
PKCS10=(-H 'Content-Type: application/pkcs10')
skipped=0
skip() { skipped=$((skipped + 1)); echo "SKIP $1"; }

# est OP OUT [curl args…] → status; label-less unless OP has a "label/" prefix. Body in OUT,
# headers in OUT.h.
est() {
  local op=$1 out=$2
  shift 2
  echo "$out" >"$W/last"
  curl -sS --noproxy '*' --max-time 30 --cacert "$CA" -o "$out" -D "$out.h" -w '%{http_code}' "$@" "$EST/$op"
}
rest() { # rest METHOD PATH OUT [JSON body] → status
  local method=$1 path=$2 out=$3 body=${4:-}
  echo "$out" >"$W/last"
  if [ -n "$body" ]; then
    fp_request "$method" "$path" "$out" "${AUTH[@]}" "${JSON[@]}" --data-binary "$body"
  else
    fp_request "$method" "$path" "$out" "${AUTH[@]}"
  fi
}
# want WANT CODE: passes when CODE = WANT, else shows the last answer's body (for t's report).
want() {
  [ "$2" = "$1" ] && return 0
  echo "status $2, want $1; body:"
  head -c 600 "$(cat "$W/last")" 2>/dev/null
  return 1
}
ctype() { sed -n 's/^[Cc]ontent-[Tt]ype:[[:space:]]*//p' "$1.h" | tr -d '\r' | head -1; }
header() { sed -n "s/^$2:[[:space:]]*//Ip" "$1.h" | tr -d '\r' | head -1; }
unb64() { tr -d '\r\n\t ' <"$1" | base64 -d >"$2"; } # unb64 IN OUT: RFC 8951 body → DER
certs_in_p7() { openssl pkcs7 -inform DER -in "$1" -print_certs 2>/dev/null | grep -c 'BEGIN CERTIFICATE'; }
count() { fp_count_certs; }
# new_csr OUT SUBJ [KEY]: DER CSR base64 in 64-column lines (OUT.b64), key in OUT.key (or KEY reused)
new_csr() {
  local out=$1 subj=$2 key=${3:-}
  if [ -n "$key" ]; then
    openssl req -new -key "$key" -subj "$subj" -outform DER -out "$out.der" 2>"$out.err" && cp "$key" "$out.key"
  else
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$out.key" \
      -subj "$subj" -outform DER -out "$out.der" 2>"$out.err"
  fi
  base64 -w 64 "$out.der" >"$out.b64"
}
# py_csr_like CERT KEY OUT: a CSR with exactly CERT's subject and SAN (re-enroll), signed by KEY
py_csr_like() {
  "$PY" - "$@" <<'EOF'
import base64, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
b = x509.CertificateSigningRequestBuilder().subject_name(cert.subject)
try:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    b = b.add_extension(san.value, critical=san.critical)
except x509.ExtensionNotFound:
    pass
der = b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
open(sys.argv[3] + ".b64", "wb").write(base64.encodebytes(der))
EOF
}
cert_serialnumber() { # subject serialNumber attribute of a PEM certificate
  "$PY" -c '
import sys
from cryptography import x509
from cryptography.x509.oid import NameOID
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
print(",".join(a.value for a in c.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)))' "$1"
}
pubkey() { openssl x509 -in "$1" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
keypub() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f'; }
# p7_to_pem B64 PEM: RFC 8951 certs-only body → PEM certificates; prints their number
p7_to_pem() {
  unb64 "$1" "$1.der" && openssl pkcs7 -inform DER -in "$1.der" -print_certs -out "$2" 2>/dev/null &&
    grep -c 'BEGIN CERTIFICATE' "$2"
}
device_state() { rest GET "$BASE/devices/$1" "$W/dev.$1" >/dev/null; fp_json "$W/dev.$1" state 2>/dev/null; }

# register SERIAL; idevid SERIAL NAME → IDevID in $W/NAME.pem, key $W/NAME.key, REST serial in $W/NAME.serial
register() { rest POST "$BASE/devices" "$W/reg.$1" "{\"serial\":\"$1\"}"; }
idevid() {
  local s=$1 name=$2 code
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$name.key" \
    -subj "/CN=$s/serialNumber=$s" -out "$W/$name.csr" 2>/dev/null || return 1
  "$PY" -c 'import json,sys; print(json.dumps({"profile": "idevid", "csr": open(sys.argv[1]).read(), "device": sys.argv[2]}))' \
    "$W/$name.csr" "$s" >"$W/$name.req"
  code=$(fp_request POST "$BASE/certificates" "$W/$name.json" "${AUTH[@]}" "${JSON[@]}" --data-binary @"$W/$name.req")
  [ "$code" = 201 ] || { echo "IDevID for $s: $code $(cat "$W/$name.json")"; return 1; }
  fp_json "$W/$name.json" certificate >"$W/$name.pem"
  fp_json "$W/$name.json" serial >"$W/$name.serial"
}

# ---- 1. /cacerts and /csrattrs (anonymous) ------------------------------------------------------
for op in cacerts default/cacerts; do
  code=$(est "$op" "$W/cacerts")
  t "GET $op = 200 ($code)" want 200 "$code"
  t "$op Content-Type application/pkcs7-mime; smime-type=certs-only" \
    bash -c "[[ \"\$(echo '$(ctype "$W/cacerts")' | tr A-Z a-z)\" == application/pkcs7-mime*smime-type=certs-only* ]]"
  n=$(p7_to_pem "$W/cacerts" "$W/cacerts.pem")
  t "$op: openssl pkcs7 -print_certs reads the chain (issuing CA and root: $n)" test "$n" = 2
done
code=$(est csrattrs "$W/csrattrs")
t "GET csrattrs = 200 ($code)" want 200 "$code"
t "csrattrs Content-Type application/csrattrs" bash -c "[ \"$(ctype "$W/csrattrs")\" = application/csrattrs ]"
t "csrattrs body: base64 of a DER SEQUENCE (openssl asn1parse)" \
  bash -c "tr -d '\r\n\t ' <'$W/csrattrs' | base64 -d | openssl asn1parse -inform DER | head -1 | grep -q 'SEQUENCE'"
code=$(est nosuchlabel/cacerts "$W/nolabel")
t "GET nosuchlabel/cacerts = 404 ($code)" want 404 "$code"
code=$(est fullcmc "$W/fullcmc" "${PKCS10[@]}" --data-binary 'MAA=')
t "POST fullcmc (not offered) = 404 ($code)" want 404 "$code"

# ---- 2. zero-touch: IDevID in, LDevID out -------------------------------------------------------
S1=est-dev-1
code=$(register $S1)
t "register device $S1 = 201 ($code)" want 201 "$code"
t "issue the IDevID of $S1 (profile idevid, manufacturing CA)" idevid $S1 idev1
before=$(count)
new_csr "$W/enroll1" "/CN=$S1/serialNumber=$S1"
# CRLF lines and a Content-Transfer-Encoding header (RFC 8951: ignored) on the way in.
sed 's/$/\r/' "$W/enroll1.b64" >"$W/enroll1.crlf"
code=$(est simpleenroll "$W/ldev1.p7" --cert "$W/idev1.pem" --key "$W/idev1.key" "${PKCS10[@]}" \
  -H 'Content-Transfer-Encoding: base64' --data-binary @"$W/enroll1.crlf")
t "simpleenroll with the IDevID (curl --cert) = 200 ($code)" want 200 "$code"
t "simpleenroll Content-Type application/pkcs7-mime; smime-type=certs-only" \
  bash -c "[[ \"\$(echo '$(ctype "$W/ldev1.p7")' | tr A-Z a-z)\" == application/pkcs7-mime*smime-type=certs-only* ]]"
n=$(p7_to_pem "$W/ldev1.p7" "$W/ldev1.pem")
t "the PKCS#7 holds only the LDevID ($n certificate)" test "$n" = 1
t "openssl verify: the LDevID chains to ca-chain.pem" openssl verify -CAfile "$CA" "$W/ldev1.pem"
t "LDevID subject serialNumber = $S1 (from the registry)" test "$(cert_serialnumber "$W/ldev1.pem")" = $S1
t "LDevID certifies the CSR's key" test "$(pubkey "$W/ldev1.pem")" = "$(keypub "$W/enroll1.key")"
t "device $S1 is active" test "$(device_state $S1)" = active
after=$(count)
t "one certificate issued ($before → $after)" test "$after" = $((before + 1))

# The CSR's subject is not trusted: a lying serialNumber is refused or replaced by the registry's.
new_csr "$W/liar" "/CN=liar/serialNumber=someone-else"
code=$(est default/simpleenroll "$W/liar.p7" --cert "$W/idev1.pem" --key "$W/idev1.key" "${PKCS10[@]}" --data-binary @"$W/liar.b64")
if [ "$code" = 200 ]; then
  p7_to_pem "$W/liar.p7" "$W/liar.pem" >/dev/null
  t "a CSR naming another serialNumber gets $S1's identity (explicit label default)" \
    test "$(cert_serialnumber "$W/liar.pem")" = $S1
else
  t "a CSR naming another serialNumber is refused (400/403: $code)" bash -c "[ $code = 400 ] || [ $code = 403 ]"
fi

# ---- 3. re-enroll with the LDevID: same key renews, new key re-keys ---------------------------
py_csr_like "$W/ldev1.pem" "$W/enroll1.key" "$W/renew"
before=$(count)
code=$(est simplereenroll "$W/renew.p7" --cert "$W/ldev1.pem" --key "$W/enroll1.key" "${PKCS10[@]}" --data-binary @"$W/renew.b64")
t "simplereenroll, same key (renew) = 200 ($code)" want 200 "$code"
n=$(p7_to_pem "$W/renew.p7" "$W/renew.pem")
t "renewal: one certificate, same key, new serial, same subject" bash -c \
  "[ '$n' = 1 ] && [ '$(pubkey "$W/renew.pem")' = '$(pubkey "$W/ldev1.pem")' ] && \
   [ '$(serial_of "$W/renew.pem")' != '$(serial_of "$W/ldev1.pem")' ] && \
   [ \"\$(openssl x509 -in '$W/renew.pem' -noout -subject)\" = \"\$(openssl x509 -in '$W/ldev1.pem' -noout -subject)\" ]"
t "openssl verify: the renewed LDevID" openssl verify -CAfile "$CA" "$W/renew.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/rekey.key" 2>/dev/null
py_csr_like "$W/renew.pem" "$W/rekey.key" "$W/rekey"
code=$(est simplereenroll "$W/rekey.p7" --cert "$W/renew.pem" --key "$W/enroll1.key" "${PKCS10[@]}" --data-binary @"$W/rekey.b64")
t "simplereenroll, new key (re-key) = 200 ($code)" want 200 "$code"
n=$(p7_to_pem "$W/rekey.p7" "$W/rekey.pem")
t "re-key: one certificate for the new key" bash -c "[ '$n' = 1 ] && [ '$(pubkey "$W/rekey.pem")' = '$(keypub "$W/rekey.key")' ]"
after=$(count)
t "two certificates issued by re-enroll ($before → $after)" test "$after" = $((before + 2))

# ---- 4. serverkeygen: multipart/mixed, PKCS#8 key first ---------------------------------------
S2=est-dev-2
register $S2 >/dev/null
t "issue the IDevID of $S2" idevid $S2 idev2
new_csr "$W/skg" "/CN=$S2/serialNumber=$S2"
code=$(est serverkeygen "$W/skg.out" --cert "$W/idev2.pem" --key "$W/idev2.key" "${PKCS10[@]}" --data-binary @"$W/skg.b64")
t "serverkeygen = 200 ($code)" want 200 "$code"
t "serverkeygen Content-Type multipart/mixed with a boundary" bash -c "[[ '$(ctype "$W/skg.out")' == multipart/mixed\;*boundary=* ]]"
"$PY" - "$W/skg.out" "$(ctype "$W/skg.out")" "$W/skg" <<'EOF' >"$W/skg.parts" 2>&1
import base64, email, sys
body, ctype, out = open(sys.argv[1], "rb").read(), sys.argv[2], sys.argv[3]
msg = email.message_from_bytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
assert msg.is_multipart(), "not multipart"
parts = msg.get_payload()
print(len(parts), ";".join(p.get_content_type() + "|" + str(p.get_param("smime-type")) for p in parts))
for i, p in enumerate(parts):
    open("%s.part%d" % (out, i), "wb").write(base64.b64decode(b"".join(p.get_payload().encode().split())))
EOF
t "two parts: application/pkcs8 first, then application/pkcs7-mime; smime-type=certs-only" \
  grep -qx '2 application/pkcs8|None;application/pkcs7-mime|certs-only' "$W/skg.parts"
t "the key part is a PKCS#8 private key (openssl pkey)" \
  openssl pkey -inform DER -in "$W/skg.part0" -out "$W/skg.key.pem"
openssl pkcs7 -inform DER -in "$W/skg.part1" -print_certs -out "$W/skg.pem" 2>/dev/null
t "the certificate part holds one certificate for that key" bash -c \
  "[ \"\$(grep -c 'BEGIN CERTIFICATE' '$W/skg.pem')\" = 1 ] && [ '$(pubkey "$W/skg.pem")' = '$(keypub "$W/skg.key.pem")' ]"
t "openssl verify: the serverkeygen certificate" openssl verify -CAfile "$CA" "$W/skg.pem"
t "the server key is not the CSR's key" test "$(keypub "$W/skg.key.pem")" != "$(keypub "$W/skg.key")"

# ---- 5. OTP enrollment over HTTP Basic --------------------------------------------------------
S3=est-dev-3
register $S3 >/dev/null
new_csr "$W/otp" "/CN=$S3/serialNumber=$S3"
code=$(est simpleenroll "$W/noauth" "${PKCS10[@]}" --data-binary @"$W/otp.b64")
t "simpleenroll without any credential = 401 ($code)" want 401 "$code"
t "401 carries WWW-Authenticate: Basic realm=\"fleetpki EST\"" \
  bash -c "[ '$(header "$W/noauth" WWW-Authenticate)' = 'Basic realm=\"fleetpki EST\"' ]"
code=$(rest POST "$BASE/devices/$S3/enrollment-otp" "$W/otp.json" '{}')
if [ "$code" = 404 ] || [ "$code" = 501 ] || [ "$code" = 405 ]; then
  skip "OTP enrollment: POST …/devices/$S3/enrollment-otp answers $code (route not there yet)"
else
  t "POST …/devices/$S3/enrollment-otp = 201 ($code)" want 201 "$code"
  OTP=$(fp_json "$W/otp.json" otp 2>/dev/null)
  before=$(count)
  code=$(est simpleenroll "$W/otpbad.p7" -u "$S3:wrong-$OTP" "${PKCS10[@]}" --data-binary @"$W/otp.b64")
  t "curl -u $S3:<wrong OTP> = 401 ($code)" want 401 "$code"
  code=$(est simpleenroll "$W/otp.p7" -u "$S3:$OTP" "${PKCS10[@]}" --data-binary @"$W/otp.b64")
  t "curl -u $S3:<OTP> simpleenroll = 200 ($code)" want 200 "$code"
  n=$(p7_to_pem "$W/otp.p7" "$W/otp.pem")
  t "OTP enrollment: one LDevID with serialNumber $S3" bash -c "[ '$n' = 1 ] && [ '$(cert_serialnumber "$W/otp.pem")' = $S3 ]"
  code=$(est simpleenroll "$W/otp2.p7" -u "$S3:$OTP" "${PKCS10[@]}" --data-binary @"$W/otp.b64")
  t "the OTP works once: reuse = 401 ($code)" want 401 "$code"
  t "OTP: one certificate issued" test "$(count)" = $((before + 1))
fi

# ---- 6. bad input: refused with the EST status, nothing issued ---------------------------------
S4=est-dev-4
S5=est-dev-5
register $S4 >/dev/null
register $S5 >/dev/null
idevid $S4 idev4 >/dev/null || no "IDevID for $S4"
idevid $S5 idev5 >/dev/null || no "IDevID for $S5"
# S5 gets an LDevID (revoked below) before the counting starts.
new_csr "$W/e5" "/CN=$S5/serialNumber=$S5"
code=$(est simpleenroll "$W/ldev5.p7" --cert "$W/idev5.pem" --key "$W/idev5.key" "${PKCS10[@]}" --data-binary @"$W/e5.b64")
t "set-up: $S5 enrolls = 200 ($code)" want 200 "$code"
p7_to_pem "$W/ldev5.p7" "$W/ldev5.pem" >/dev/null
code=$(rest POST "$BASE/certificates/$(serial_of "$W/ldev5.pem")/revoke" "$W/rv5" '{"reason":"keyCompromise"}')
t "set-up: revoke $S5's LDevID over REST = 200 ($code)" want 200 "$code"
code=$(rest POST "$BASE/certificates/$(cat "$W/idev4.serial")/revoke" "$W/rv4" '{"reason":"keyCompromise"}')
t "set-up: revoke $S4's IDevID over REST = 200 ($code)" want 200 "$code"
# An IDevID from a CA the endpoint does not trust (same subject as a registered device).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/rogue-ca.key" \
  -subj "/CN=Rogue Manufacturing CA" -days 30 -out "$W/rogue-ca.pem" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/rogue.key" \
  -subj "/CN=$S1/serialNumber=$S1" -out "$W/rogue.csr" 2>/dev/null
openssl x509 -req -in "$W/rogue.csr" -CA "$W/rogue-ca.pem" -CAkey "$W/rogue-ca.key" -CAcreateserial \
  -days 30 -out "$W/rogue.pem" 2>/dev/null
# An IDevID of the right CA for a serial the registry does not know.
SX=est-unregistered
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/idevx.key" \
  -subj "/CN=$SX/serialNumber=$SX" -out "$W/idevx.csr" 2>/dev/null
"$PY" -c 'import json,sys; print(json.dumps({"profile": "idevid", "csr": open(sys.argv[1]).read()}))' "$W/idevx.csr" >"$W/idevx.req"
code=$(fp_request POST "$BASE/certificates" "$W/idevx.json" "${AUTH[@]}" "${JSON[@]}" --data-binary @"$W/idevx.req")
[ "$code" = 201 ] && fp_json "$W/idevx.json" certificate >"$W/idevx.pem"
t "set-up: an IDevID for unregistered $SX (no device link) = 201 ($code)" want 201 "$code"

before=$(count)
# A CSR whose signature does not verify: one octet of the ECDSA signature flipped.
new_csr "$W/badsig" "/CN=$S1/serialNumber=$S1"
"$PY" -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[-1]^=0x01; open(sys.argv[1],"wb").write(d)' "$W/badsig.der"
base64 -w 64 "$W/badsig.der" >"$W/badsig.b64"
code=$(est simpleenroll "$W/badsig.out" --cert "$W/idev1.pem" --key "$W/idev1.key" "${PKCS10[@]}" --data-binary @"$W/badsig.b64")
t "CSR with a wrong signature = 400 ($code)" want 400 "$code"
# Re-enroll asking for another subject.
new_csr "$W/othersubj" "/CN=someone-else/serialNumber=$S2" "$W/enroll1.key"
code=$(est simplereenroll "$W/othersubj.out" --cert "$W/rekey.pem" --key "$W/rekey.key" "${PKCS10[@]}" --data-binary @"$W/othersubj.b64")
t "re-enroll CSR for a different subject = 400 ($code)" want 400 "$code"
code=$(est simpleenroll "$W/rogue.out" --cert "$W/rogue.pem" --key "$W/rogue.key" "${PKCS10[@]}" --data-binary @"$W/enroll1.b64")
t "IDevID from an untrusted CA = 401/403 ($code)" bash -c "[ $code = 401 ] || [ $code = 403 ]"
new_csr "$W/e4" "/CN=$S4/serialNumber=$S4"
code=$(est simpleenroll "$W/revidev.out" --cert "$W/idev4.pem" --key "$W/idev4.key" "${PKCS10[@]}" --data-binary @"$W/e4.b64")
t "revoked IDevID = 401/403 ($code)" bash -c "[ $code = 401 ] || [ $code = 403 ]"
new_csr "$W/ex" "/CN=$SX/serialNumber=$SX"
code=$(est simpleenroll "$W/unreg.out" --cert "$W/idevx.pem" --key "$W/idevx.key" "${PKCS10[@]}" --data-binary @"$W/ex.b64")
t "unregistered serial = 403 ($code)" want 403 "$code"
py_csr_like "$W/ldev5.pem" "$W/e5.key" "$W/re5"
code=$(est simplereenroll "$W/revldev.out" --cert "$W/ldev5.pem" --key "$W/e5.key" "${PKCS10[@]}" --data-binary @"$W/re5.b64")
t "revoked LDevID on re-enroll = 401/403 ($code)" bash -c "[ $code = 401 ] || [ $code = 403 ]"
openssl req -inform DER -in "$W/enroll1.der" -out "$W/enroll1.pem" 2>/dev/null
code=$(est simpleenroll "$W/pem.out" --cert "$W/idev1.pem" --key "$W/idev1.key" "${PKCS10[@]}" --data-binary @"$W/enroll1.pem")
t "PEM instead of base64 DER = 400 saying so ($code)" bash -c "[ $code = 400 ] && grep -q PEM '$W/pem.out'"
t "the 400 is text/plain (RFC 8951)" bash -c "[[ '$(ctype "$W/pem.out")' == text/plain* ]]"
code=$(est simpleenroll "$W/pemprob.out" --cert "$W/idev1.pem" --key "$W/idev1.key" "${PKCS10[@]}" \
  -H 'Accept: application/problem+json' --data-binary @"$W/enroll1.pem")
t "… or problem+json when Accept asks for it" fp_problem "$W/pemprob.out" 400
head -c 70000 /dev/zero | tr '\0' 'A' >"$W/big.b64"
code=$(est simpleenroll "$W/big.out" --cert "$W/idev1.pem" --key "$W/idev1.key" "${PKCS10[@]}" --data-binary @"$W/big.b64")
t "oversized body (70,000 octets > 64 KiB) = 413 ($code)" want 413 "$code"
code=$(est nosuchlabel/simpleenroll "$W/label.out" --cert "$W/idev1.pem" --key "$W/idev1.key" "${PKCS10[@]}" --data-binary @"$W/enroll1.b64")
t "unknown label = 404 ($code)" want 404 "$code"
code=$(est simpleenroll "$W/noct.out" --cert "$W/idev1.pem" --key "$W/idev1.key" -H 'Content-Type:' --data-binary @"$W/enroll1.b64")
t "missing Content-Type = 400 ($code)" want 400 "$code"
code=$(est simpleenroll "$W/json.out" --cert "$W/idev1.pem" --key "$W/idev1.key" "${JSON[@]}" --data-binary @"$W/enroll1.b64")
t "wrong Content-Type (application/json) = 400 ($code)" want 400 "$code"
code=$(est simpleenroll "$W/notb64.out" --cert "$W/idev1.pem" --key "$W/idev1.key" "${PKCS10[@]}" --data-binary 'MII*not base64')
t "malformed base64 = 400 ($code)" want 400 "$code"
code=$(est simpleenroll "$W/der.out" --cert "$W/idev1.pem" --key "$W/idev1.key" "${PKCS10[@]}" --data-binary @"$W/enroll1.der")
t "raw DER (not base64) = 400 ($code)" want 400 "$code"
after=$(count)
t "nothing issued by any refused request ($before → $after)" test "$after" = "$before"

# ---- 7. proof-of-possession linking (tls-unique, TLS 1.2) --------------------------------------
S6=est-dev-6
S7=est-dev-7
register $S6 >/dev/null
register $S7 >/dev/null
idevid $S6 idev6 >/dev/null || no "IDevID for $S6"
idevid $S7 idev7 >/dev/null || no "IDevID for $S7"
link() { # link LABEL_PATH SERIAL IDEV MODE OUT → status
  echo "$W/$5" >"$W/last"
  "$PY" "$FP_HERE/est_linking_client.py" "$HTTPS" "/.well-known/est/$1simpleenroll" "$CA" \
    "$W/$3.pem" "$W/$3.key" "$2" "$4" "$W/$5" 2>"$W/$5.err" || { cat "$W/$5.err" >&2; echo ERR; }
}
code=$(rest POST "$BASE/enrollment-endpoints" "$W/ep.json" \
  '{"label":"linked","profile":"ldevid","trusted_cas":["manufacturing"],"auth":["idevid","ldevid"],"linking":"required"}')
if [ "$code" = 201 ]; then
  before=$(count)
  code=$(link linked/ $S7 idev7 none link-none)
  t "linking required: CSR without challengePassword = 400 ($code)" want 400 "$code"
  code=$(link linked/ $S7 idev7 replay link-replay)
  t "linking required: CSR made on another TLS session (replayed) = 400 ($code)" want 400 "$code"
  code=$(link linked/ $S7 idev7 wrong link-wrong)
  t "linking required: wrong challengePassword = 400 ($code)" want 400 "$code"
  t "linking required: nothing issued for unlinked CSRs" test "$(count)" = "$before"
  code=$(link linked/ $S6 idev6 linked link-ok)
  t "linking required: CSR with this session's tls-unique = 200 ($code)" want 200 "$code"
  t "… and only the LDevID comes back" test "$(p7_to_pem "$W/link-ok" "$W/link-ok.pem")" = 1
  # 202: an endpoint whose enrollments wait for an operator.
  code=$(rest POST "$BASE/enrollment-endpoints" "$W/ep2.json" \
    '{"label":"manual","profile":"ldevid","trusted_cas":["manufacturing"],"auth":["idevid"],"approval":"manual","retry_after":30}')
  t "create endpoint manual (approval manual) = 201 ($code)" want 201 "$code"
  new_csr "$W/m7" "/CN=$S7/serialNumber=$S7"
  before=$(count)
  code=$(est manual/simpleenroll "$W/m7.out" --cert "$W/idev7.pem" --key "$W/idev7.key" "${PKCS10[@]}" --data-binary @"$W/m7.b64")
  t "manual approval: simpleenroll = 202 ($code)" want 202 "$code"
  t "202 carries Retry-After: 30" test "$(header "$W/m7.out" Retry-After)" = 30
  code=$(est manual/simpleenroll "$W/m7b.out" --cert "$W/idev7.pem" --key "$W/idev7.key" "${PKCS10[@]}" --data-binary @"$W/m7.b64")
  t "the identical retry before approval = 202 again ($code)" want 202 "$code"
  t "nothing issued while pending" test "$(count)" = "$before"
  code=$(rest GET "$BASE/enrollment-requests?state=pending" "$W/pending.json")
  if [ "$code" = 200 ]; then
    RID=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["id"])' "$W/pending.json" 2>/dev/null)
    code=$(rest POST "$BASE/enrollment-requests/$RID/approve" "$W/approve.json" '{}')
    t "an operator approves the held request $RID over REST = 200 ($code)" want 200 "$code"
    code=$(est manual/simpleenroll "$W/m7c.p7" --cert "$W/idev7.pem" --key "$W/idev7.key" "${PKCS10[@]}" --data-binary @"$W/m7.b64")
    t "the identical retry after approval = 200 ($code)" want 200 "$code"
    p7_to_pem "$W/m7c.p7" "$W/m7c.pem" >/dev/null
    code=$(est manual/simpleenroll "$W/m7d.p7" --cert "$W/idev7.pem" --key "$W/idev7.key" "${PKCS10[@]}" --data-binary @"$W/m7.b64")
    p7_to_pem "$W/m7d.p7" "$W/m7d.pem" >/dev/null
    APPROVED=$(fp_json "$W/approve.json" certificate_serial 2>/dev/null)
    t "… it is the approved certificate ($APPROVED)" test "$(serial_of "$W/m7c.pem")" = "$APPROVED"
    t "a further identical retry returns the same certificate ($code)" bash -c \
      "[ $code = 200 ] && [ '$(serial_of "$W/m7c.pem")' = '$(serial_of "$W/m7d.pem")' ]"
    t "approval issued exactly one certificate" test "$(count)" = $((before + 1))
  else
    skip "approval of a held request: GET …/enrollment-requests answers $code"
  fi
else
  skip "endpoint with linking required: POST …/enrollment-endpoints answers $code (route not there yet); linking checked on the default endpoint (optional)"
  skip "202 + Retry-After: needs an endpoint with manual approval (POST …/enrollment-endpoints)"
  before=$(count)
  code=$(link "" $S7 idev7 wrong link-wrong)
  t "linking optional: wrong challengePassword = 400 ($code)" want 400 "$code"
  code=$(link "" $S7 idev7 replay link-replay)
  t "linking optional: CSR made on another TLS session (replayed) = 400 ($code)" want 400 "$code"
  t "nothing issued for unlinked CSRs" test "$(count)" = "$before"
  code=$(link "" $S6 idev6 linked link-ok)
  t "linking optional: CSR with this session's tls-unique = 200 ($code)" want 200 "$code"
  t "… and only the LDevID comes back" test "$(p7_to_pem "$W/link-ok" "$W/link-ok.pem")" = 1
fi
before=$(count)
code=$(link "" $S7 idev7 wrong link-wrong-default)
t "default endpoint (linking optional): wrong challengePassword = 400 ($code)" want 400 "$code"
code=$(link "" $S7 idev7 replay link-replay-default)
t "default endpoint (linking optional): CSR from another TLS session = 400 ($code)" want 400 "$code"
t "nothing issued for them" test "$(count)" = "$before"
code=$(link "" $S7 idev7 none link-none-default)
t "default endpoint (linking optional): CSR without challengePassword = 200 ($code)" want 200 "$code"

echo "$skipped skipped"
fp_finish
