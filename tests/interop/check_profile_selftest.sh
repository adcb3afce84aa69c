#!/usr/bin/env bash
# Tests check_profile.py itself, without fleetpki: an openssl-CLI-made hierarchy shaped like the
# contract (P-384 root, P-256 issuing and manufacturing CAs) and one leaf per profile and key type
# must pass; leaves that break one rule each must fail with a message naming the rule.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
command -v openssl >/dev/null || fp_abort "openssl is not installed"
"$PY" -c 'import cryptography' 2>/dev/null || fp_abort "$PY lacks python3-cryptography"

W=$FP_TMP/pki
mkdir -p "$W/db"
H=127.0.0.1:8080
rand_serial() { printf '%02x%s' $((0x40 + RANDOM % 64)) "$(openssl rand -hex 15)"; }

# --- CAs (openssl req -x509 / x509 -req) -----------------------------------------------------
cat >"$W/ca.ext" <<'EOF'
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = none
[sub]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -sha384 -days 3650 \
  -keyout "$W/root.key" -out "$W/root.pem" -subj "/O=Selftest/CN=Selftest Root CA" \
  -set_serial "0x$(rand_serial)" -config "$W/ca.ext" -extensions root 2>"$W/err" ||
  fp_abort "openssl: root CA" "$(cat "$W/err")"
for ca in issuing manufacturing; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/$ca.key" \
    -subj "/O=Selftest/CN=Selftest $ca CA" -out "$W/$ca.csr" 2>"$W/err" || fp_abort "openssl: $ca CSR" "$(cat "$W/err")"
  openssl x509 -req -in "$W/$ca.csr" -CA "$W/root.pem" -CAkey "$W/root.key" -sha384 -days 1825 \
    -set_serial "0x$(rand_serial)" -extfile "$W/ca.ext" -extensions sub -out "$W/$ca.pem" 2>"$W/err" ||
    fp_abort "openssl: $ca CA" "$(cat "$W/err")"
done

t "root-ca passes" "$PY" "$CHECK_PROFILE" "$W/root.pem" "$W/root.pem" root-ca
t "issuing-ca passes" "$PY" "$CHECK_PROFILE" "$W/issuing.pem" "$W/root.pem" issuing-ca
t "manufacturing-ca passes" "$PY" "$CHECK_PROFILE" "$W/manufacturing.pem" "$W/root.pem" manufacturing-ca

# --- leaves (openssl ca: exact serial, -enddate for 99991231235959Z) -----------------------------
# sign CA PROFILE CSR OUT EXTFILE [openssl ca args…]
sign() {
  local ca=$1 csr=$3 out=$4 ext=$5
  shift 5
  : >"$W/db/index.txt"
  rand_serial >"$W/db/serial"
  cat >"$W/db/ca.cnf" <<EOF
[ca]
default_ca = c
[c]
database = $W/db/index.txt
new_certs_dir = $W/db
serial = $W/db/serial
certificate = $W/$ca.pem
private_key = $W/$ca.key
default_md = sha256
policy = p
unique_subject = no
email_in_dn = no
[p]
commonName = optional
organizationName = optional
serialNumber = optional
EOF
  openssl ca -batch -notext -preserveDN -config "$W/db/ca.cnf" -in "$csr" -out "$out" \
    -extfile "$ext" -extensions e "$@" >"$W/err" 2>&1
}
# ext PROFILE CA SANS KU: writes an extension section for a leaf.
ext() {
  local profile=$1 ca=$2 sans=$3 ku=${4:-digitalSignature} eku ski=hash
  case $profile in
    tls-server) eku=serverAuth ;;
    tls-client) eku=clientAuth ;;
    code-signing) eku=codeSigning ;;
    ldevid) eku="clientAuth, serverAuth"; ski=none ;;
    idevid) eku=""; ski=none ;;
  esac
  {
    echo "[e]"
    echo "basicConstraints = critical, CA:FALSE"
    echo "keyUsage = critical, $ku"
    [ -n "$eku" ] && echo "extendedKeyUsage = $eku"
    echo "subjectKeyIdentifier = $ski"
    echo "authorityKeyIdentifier = keyid:always"
    echo "crlDistributionPoints = URI:http://$H/crl/default/$ca.crl"
    echo "authorityInfoAccess = OCSP;URI:http://$H/ocsp, caIssuers;URI:http://$H/ca/default/$ca.crt"
    [ -n "$sans" ] && echo "subjectAltName = $sans"
  } >"$W/leaf.ext"
}
days_of() { case $1 in tls-server) echo 397 ;; code-signing) echo 1095 ;; *) echo 365 ;; esac; }
subject_of() {
  case $1 in
    tls-server) echo "/O=Fleet/CN=dev1.example.com" ;;
    tls-client) echo "/CN=client-1" ;;
    code-signing) echo "/CN=signer" ;;
    ldevid) echo "/CN=gateway-7/serialNumber=GW-0007" ;;
    idevid) echo "/serialNumber=SN-000123/CN=sensor" ;;
  esac
}
sans_of() {
  case $1 in
    tls-server) echo "DNS:dev1.example.com, IP:127.0.0.1" ;;
    tls-client) echo "URI:urn:dev:ops:fleet-client-1, email:ops@example.com" ;;
    *) echo "" ;;
  esac
}

for profile in tls-server tls-client code-signing ldevid idevid; do
  ca=issuing
  [ "$profile" = idevid ] && ca=manufacturing
  for kind in p256 p384 ed25519 rsa2048; do
    c="$W/$profile-$kind"
    sans=$(sans_of "$profile")
    fp_make_csr "$kind" "$c.csr" "$(subject_of "$profile")" ${sans:+-addext "subjectAltName=$sans"} ||
      { no "$profile/$kind: make CSR" "$(cat "$c.csr.err")"; continue; }
    ku=digitalSignature
    [ "$profile" = tls-server ] && [ "$kind" = rsa2048 ] && ku="digitalSignature, keyEncipherment"
    ext "$profile" "$ca" "$sans" "$ku"
    if [ "$profile" = idevid ]; then
      sign "$ca" "$profile" "$c.csr" "$c.pem" "$W/leaf.ext" -enddate 99991231235959Z
    else
      sign "$ca" "$profile" "$c.csr" "$c.pem" "$W/leaf.ext" -days "$(days_of "$profile")"
    fi || { no "$profile/$kind: openssl ca" "$(cat "$W/err")"; continue; }
    t "$profile/$kind: openssl-made leaf passes" "$PY" "$CHECK_PROFILE" "$c.pem" "$W/$ca.pem" "$profile" \
      --csr "$c.csr" --http "$H" --expect-ca "$ca"
  done
done

# tls-server from a CSR without SANs: the CN becomes the DNS SAN.
fp_make_csr p256 "$W/nosan.csr" "/CN=only-cn.example.com" || no "nosan CSR"
ext tls-server issuing "DNS:only-cn.example.com"
sign issuing tls-server "$W/nosan.csr" "$W/nosan.pem" "$W/leaf.ext" -days 397
t "tls-server without CSR SANs: CN as DNS SAN passes" "$PY" "$CHECK_PROFILE" "$W/nosan.pem" "$W/issuing.pem" tls-server --csr "$W/nosan.csr"

# --- each broken leaf must fail, naming the rule ----------------------------------------------
# bad NAME EXPECTED-TEXT PROFILE CA EXT-EDIT [openssl ca args…]: EXT-EDIT is a sed expression on
# a correct extension file.
bad() {
  local name=$1 want=$2 profile=$3 ca=$4 edit=$5
  shift 5
  local c="$W/$profile-p256" out="$W/bad.pem" msg
  ext "$profile" "$ca" "$(sans_of "$profile")"
  sed -i "$edit" "$W/leaf.ext"
  if ! sign "$ca" "$profile" "$c.csr" "$out" "$W/leaf.ext" "$@"; then
    no "$name: openssl ca" "$(cat "$W/err")"
    return
  fi
  if msg=$("$PY" "$CHECK_PROFILE" "$out" "$W/$ca.pem" "$profile" --csr "$c.csr" --http "$H" 2>&1); then
    no "$name: check_profile accepted it"
  elif grep -qi -- "$want" <<<"$msg"; then
    ok "$name: rejected ($msg)"
  else
    no "$name: rejected for another reason" "$msg (wanted: $want)"
  fi
}
bad "keyUsage not critical" "keyUsage must be critical" tls-server issuing 's/^keyUsage = critical, /keyUsage = /' -days 397
bad "keyUsage with keyEncipherment on an EC key" "keyUsage is" tls-server issuing 's/^keyUsage = .*/keyUsage = critical, digitalSignature, keyEncipherment/' -days 397
bad "basicConstraints not critical" "basicConstraints must be critical" tls-client issuing 's/^basicConstraints = .*/basicConstraints = CA:FALSE/' -days 365
bad "extra EKU" "extendedKeyUsage is" tls-client issuing 's/^extendedKeyUsage = .*/extendedKeyUsage = clientAuth, codeSigning/' -days 365
# shellcheck disable=SC2016 # sed's "$a" (append) command
bad "EKU on idevid" "no extendedKeyUsage" idevid manufacturing '$a extendedKeyUsage = clientAuth' -enddate 99991231235959Z
bad "idevid with finite validity" "99991231235959Z" idevid manufacturing 's/^x//' -days 365
bad "ldevid with SKI" "must be absent" ldevid issuing 's/^subjectKeyIdentifier = .*/subjectKeyIdentifier = hash/' -days 365
bad "tls-server without SKI" "subjectKeyIdentifier is missing" tls-server issuing 's/^subjectKeyIdentifier = .*/subjectKeyIdentifier = none/' -days 397
bad "validity 398 days" "validity is" tls-server issuing 's/^x//' -days 398
bad "no AIA" "authorityInfoAccess is missing" code-signing issuing '/^authorityInfoAccess/d' -days 1095
bad "CRL DP on another host" "CRL DP URI" code-signing issuing 's#http://127.0.0.1:8080/crl#http://10.0.0.1:8080/crl#' -days 1095
bad "caIssuers of another CA" "caIssuers URI" ldevid issuing 's#/ca/default/issuing.crt#/ca/default/other.crt#' -days 365
# shellcheck disable=SC2016
bad "nameConstraints on a leaf" "unexpected extensions" tls-client issuing '$a nameConstraints = critical, permitted;DNS:.example.com' -days 365
bad "SAN dropped" "SANs" tls-client issuing '/^subjectAltName/d' -days 365

# Wrong issuer given, short serial, wrong time encodings.
t "leaf checked against the wrong issuer fails" bash -c "! '$PY' '$CHECK_PROFILE' '$W/tls-client-p256.pem' '$W/manufacturing.pem' tls-client 2>/dev/null"
openssl x509 -req -in "$W/tls-client-p256.csr" -CA "$W/issuing.pem" -CAkey "$W/issuing.key" -days 365 \
  -set_serial 1 -extfile "$W/leaf.ext" -extensions e -out "$W/short-serial.pem" 2>/dev/null
t "one-octet serial fails" bash -c "'$PY' '$CHECK_PROFILE' '$W/short-serial.pem' '$W/issuing.pem' tls-client 2>&1 | grep -q 'content octets'"
t "time encoding rule (UTCTime <= 2049, GeneralizedTime after)" "$PY" - "$CHECK_PROFILE" <<'EOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("cp", sys.argv[1]); cp = importlib.util.module_from_spec(spec); spec.loader.exec_module(cp)
T = lambda tag, s: cp.Tlv(tag, s.encode(), bytes([tag, len(s)]) + s.encode())
cp.time_value(T(0x17, "491231235959Z"), "t")
cp.time_value(T(0x18, "20500101000000Z"), "t")
cp.time_value(T(0x18, "99991231235959Z"), "t")
for tag, s in ((0x18, "20491231235959Z"), (0x18, "19991231235959Z"), (0x17, "4912312359Z"), (0x18, "20500101000000.5Z")):
    try:
        cp.time_value(T(tag, s), "t")
    except cp.Mismatch:
        continue
    sys.exit("accepted %02x %s" % (tag, s))
EOF
t "non-minimal DER length is refused" "$PY" - "$CHECK_PROFILE" <<'EOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("cp", sys.argv[1]); cp = importlib.util.module_from_spec(spec); spec.loader.exec_module(cp)
for bad in (bytes.fromhex("3081020500"), bytes.fromhex("0202007f"), bytes.fromhex("0101 01".replace(" ", ""))):
    try:
        cp.walk_strict(cp.parse_exact(bad, "x"), "x")
    except cp.Mismatch:
        continue
    sys.exit("accepted " + bad.hex())
EOF

fp_finish
