#!/usr/bin/env bash
# REST issuance, checked by outside implementations: for every default profile and every key type
# (P-256, P-384, Ed25519, RSA-2048) a CSR made by the openssl CLI is issued through
# POST /api/v1/tenants/default/certificates, then
#   - openssl verify -x509_strict (root trusted, chain untrusted; TLS purposes where they apply),
#   - GnuTLS certtool --verify-chain and --verify against the root (profile medium),
#   - check_profile.py (python3-cryptography + raw DER: every field of the profile, the REST answer),
#   - GET …/certificates/{serial} returns the same certificate.
# Then the data dir's CA certificates, serial uniqueness, and the list endpoint (filters, cursor).
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
fp_require_binary
command -v certtool >/dev/null 2>&1 || fp_abort "certtool is not installed (apt-get install gnutls-bin)"

fp_start_server "$FP_TMP/data" 2>"$FP_TMP/start.err" || fp_abort "server starts on 127.0.0.1:0" "$(cat "$FP_TMP/start.err")"
ok "server listens: https $HTTPS, http $HTTP"
W=$FP_TMP/w
mkdir -p "$W"

# --- the data dir's CA material ---------------------------------------------------------------
t "admin.token has mode 0600" test "$(stat -c %a "$DATA/admin.token")" = 600
t "admin.token is one non-empty line" test -n "$TOKEN"
split_pem() {  # split_pem FILE PREFIX: PREFIX.1.pem, PREFIX.2.pem, …; prints the count
  "$PY" -c '
import re, sys
blocks = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?", open(sys.argv[1]).read(), re.S)
for i, b in enumerate(blocks, 1):
    open("%s.%d.pem" % (sys.argv[2], i), "w").write(b.rstrip("\n") + "\n")
print(len(blocks))' "$1" "$2"
}
same_cert() { cmp -s <(openssl x509 -in "$1" -outform DER) <(openssl x509 -in "$2" -outform DER); }
n=$(split_pem "$DATA/ca-chain.pem" "$W/cachain")
t "ca-chain.pem holds two certificates (issuing CA, root CA)" test "$n" = 2
ROOT=$DATA/root-ca.pem
MFG=$DATA/manufacturing-ca.pem
ISSUING=$W/cachain.1.pem
t "ca-chain.pem ends with root-ca.pem" same_cert "$W/cachain.2.pem" "$ROOT"
t "root CA: P-384, self-signed, CA:TRUE critical, KU keyCertSign+cRLSign critical, SKI" \
  "$PY" "$CHECK_PROFILE" "$ROOT" "$ROOT" root-ca
t "issuing CA: P-256, by the root, CA:TRUE pathlen:0, KU, SKI, AKI = root SKI" \
  "$PY" "$CHECK_PROFILE" "$ISSUING" "$ROOT" issuing-ca
t "manufacturing CA: P-256, by the root, CA:TRUE pathlen:0, KU, SKI, AKI = root SKI" \
  "$PY" "$CHECK_PROFILE" "$MFG" "$ROOT" manufacturing-ca
t "issuing and manufacturing CAs differ" bash -c "! cmp -s '$ISSUING' '$MFG'"
t "openssl verifies the issuing CA against the root" openssl verify -x509_strict -CAfile "$ROOT" "$ISSUING"
t "openssl verifies the manufacturing CA against the root" openssl verify -x509_strict -CAfile "$ROOT" "$MFG"

# --- health and OpenAPI --------------------------------------------------------------------------
code=$(fp_request GET /api/v1/health "$W/health")
t "GET /api/v1/health without token = 200 {\"status\":\"ok\"}" bash -c \
  "[ '$code' = 200 ] && '$PY' -c 'import json,sys; assert json.load(open(sys.argv[1]))[\"status\"] == \"ok\"' '$W/health'"
code=$(fp_request GET /api/v1/openapi.json "$W/openapi" -H "Authorization: Bearer $TOKEN")
t "GET /api/v1/openapi.json = 200 OpenAPI 3 with the v1 routes" bash -c "[ '$code' = 200 ] && '$PY' - '$W/openapi'" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert str(d.get("openapi", "")).startswith("3."), "openapi version %r" % d.get("openapi")
paths = d["paths"]
for p in ("/api/v1/health", "/api/v1/openapi.json", "/api/v1/tenants/{tenant}/certificates",
          "/api/v1/tenants/{tenant}/certificates/{serial}"):
    assert p in paths, "missing path %s (has %s)" % (p, sorted(paths))
assert "post" in paths["/api/v1/tenants/{tenant}/certificates"]
assert "get" in paths["/api/v1/tenants/{tenant}/certificates"]
EOF

base_total=$(fp_count_certs)
base_valid=$(fp_count_certs "status=valid")
soon=$("$PY" -c 'import datetime as d; print((d.datetime.now(d.timezone.utc) + d.timedelta(days=730)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
base_soon=$(fp_count_certs "expires_before=$soon")
t "the certificate list answers before any issuance ($base_total items)" test "${base_total#ERR}" = "$base_total"

# --- issuance per profile and key type ---------------------------------------------------------
subject_of() {  # subject and SANs a device of this profile would propose
  case $1 in
    tls-server) echo "/O=Fleet Test/CN=$2.example.com" ;;
    tls-client) echo "/CN=client-$2" ;;
    code-signing) echo "/CN=signer-$2" ;;
    ldevid) echo "/CN=gateway-$2/serialNumber=GW-$2" ;;
    idevid) echo "/serialNumber=SN-$2/CN=sensor-$2" ;;
  esac
}
sans_of() {
  case $1 in
    tls-server) echo "DNS:$2.example.com,DNS:alt-$2.example.com,IP:127.0.0.1" ;;
    tls-client) echo "URI:urn:dev:ops:fleet-$2,email:ops-$2@example.com,DNS:client-$2.example.com" ;;
    *) echo "" ;;
  esac
}
: >"$W/serials"
issued=0
soon_issued=0
# check_issued NAME PROFILE CSR RESP [hostname]: every outside check on one 201 answer.
check_issued() {
  local name=$1 profile=$2 csr=$3 r=$4 host=${5:-} chain_first=$ISSUING pur=() ct=()
  [ "$profile" = idevid ] && chain_first=$MFG
  fp_json "$r" certificate >"$r.crt" 2>/dev/null
  fp_json "$r" chain >"$r.chain" 2>/dev/null
  local serial
  serial=$(fp_json "$r" serial 2>/dev/null)
  echo "$serial" >>"$W/serials"
  t "$name: Location header names the new certificate" \
    grep -qiE "^location:[[:space:]]*(https://[^/]+)?/api/v1/tenants/default/certificates/${serial}[[:space:]]*$" "$r.h"
  case $profile in
    tls-server) pur=(-purpose sslserver); ct=(--verify-purpose 1.3.6.1.5.5.7.3.1 --verify-hostname "$host") ;;
    tls-client) pur=(-purpose sslclient); ct=(--verify-purpose 1.3.6.1.5.5.7.3.2) ;;
    code-signing) ct=(--verify-purpose 1.3.6.1.5.5.7.3.3) ;;
    ldevid) pur=(-purpose sslclient) ;;
  esac
  t "$name: openssl verify -x509_strict ${pur[*]}" \
    openssl verify -x509_strict "${pur[@]}" -CAfile "$ROOT" -untrusted "$r.chain" "$r.crt"
  cat "$r.crt" "$r.chain" >"$r.bundle"
  t "$name: certtool --verify-chain" certtool --verify-profile medium --verify-chain --infile "$r.bundle"
  t "$name: certtool --verify --load-ca-certificate root ${ct[*]}" \
    certtool --verify-profile medium --verify --load-ca-certificate "$ROOT" --infile "$r.bundle" "${ct[@]}"
  t "$name: python3-cryptography + DER profile check" "$PY" "$CHECK_PROFILE" "$r.crt" "$chain_first" "$profile" \
    --csr "$csr" --http "$HTTP" --response "$r" --root "$ROOT"
  local code
  code=$(fp_request GET "/api/v1/tenants/default/certificates/$serial" "$r.get" -H "Authorization: Bearer $TOKEN")
  t "$name: GET …/certificates/{serial} = 200, same certificate and fields" bash -c "[ '$code' = 200 ] && '$PY' - '$r' '$r.get'" <<'EOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in ("serial", "certificate", "profile", "status", "not_before", "not_after"):
    assert a[k] == b[k], "%s: POST said %r, GET says %r" % (k, a[k], b[k])
EOF
}

i=0
for profile in tls-server tls-client code-signing ldevid idevid; do
  for kind in p256 p384 ed25519 rsa2048; do
    i=$((i + 1))
    id="d$i-$kind"
    csr=$W/$profile-$kind.csr
    r=$W/$profile-$kind.json
    sans=$(sans_of "$profile" "$id")
    if ! fp_make_csr "$kind" "$csr" "$(subject_of "$profile" "$id")" ${sans:+-addext "subjectAltName=$sans"}; then
      no "$profile/$kind: openssl req makes the CSR" "$(cat "$csr.err")"
      continue
    fi
    code=$(fp_issue "$profile" "$csr" "$r")
    if [ "$code" != 201 ]; then
      no "$profile/$kind: POST …/certificates = 201" "status $code: $(head -c 600 "$r")"
      continue
    fi
    ok "$profile/$kind: POST …/certificates = 201"
    issued=$((issued + 1))
    case $profile in tls-server | tls-client | ldevid) soon_issued=$((soon_issued + 1)) ;; esac
    check_issued "$profile/$kind" "$profile" "$csr" "$r" "$id.example.com"
  done
done

# tls-server from a CSR without SANs: the CN (a valid host name) becomes the DNS SAN.
csr=$W/nosan.csr
fp_make_csr p256 "$csr" "/CN=cn-only.example.com" || no "nosan CSR" "$(cat "$csr.err")"
code=$(fp_issue tls-server "$csr" "$W/nosan.json")
if [ "$code" = 201 ]; then
  ok "tls-server, CSR without SANs: 201"
  issued=$((issued + 1)); soon_issued=$((soon_issued + 1))
  check_issued "tls-server/no-SAN" tls-server "$csr" "$W/nosan.json" cn-only.example.com
else
  no "tls-server, CSR without SANs: 201 (CN used as DNS name)" "status $code: $(head -c 600 "$W/nosan.json")"
fi

# Content-Type: a media-type parameter, or no Content-Type at all, are accepted.
for variant in charset none; do
  csr=$W/ct-$variant.csr
  fp_make_csr p256 "$csr" "/CN=ct-$variant" || no "ct CSR" "$(cat "$csr.err")"
  fp_make_request tls-client "$csr" >"$csr.req"
  if [ "$variant" = charset ]; then h='Content-Type: application/json; charset=utf-8'; else h='Content-Type:'; fi
  code=$(fp_request POST /api/v1/tenants/default/certificates "$W/ct-$variant.json" \
    -H "Authorization: Bearer $TOKEN" -H "$h" --data-binary @"$csr.req")
  if [ "$code" = 201 ]; then
    ok "POST with Content-Type variant '$variant' = 201"
    issued=$((issued + 1)); soon_issued=$((soon_issued + 1))
    fp_json "$W/ct-$variant.json" serial >>"$W/serials"
  else
    no "POST with Content-Type variant '$variant' = 201" "status $code: $(head -c 600 "$W/ct-$variant.json")"
  fi
done

# --- serials, list, filters, pagination --------------------------------------------------------
t "all $issued serials are distinct 32-digit lower-case hex" bash -c \
  "[ \$(sort -u '$W/serials' | grep -cE '^[4-7][0-9a-f]{31}$') = $issued ] && [ \$(wc -l <'$W/serials') = $issued ]"
total=$(fp_count_certs)
t "list count grew by the $issued issued (was $base_total, is $total)" test "$total" = "$((base_total + issued))"
valid=$(fp_count_certs "status=valid")
t "status=valid count grew by $issued (was $base_valid, is $valid)" test "$valid" = "$((base_valid + issued))"
soon_now=$(fp_count_certs "expires_before=$soon")
t "expires_before=now+730d counts tls-server/tls-client/ldevid only (+$soon_issued: was $base_soon, is $soon_now)" \
  test "$soon_now" = "$((base_soon + soon_issued))"
paged=$(fp_count_certs "limit=3")
t "limit=3 with next_cursor walks every certificate once ($paged)" test "$paged" = "$total"
code=$(fp_request GET "/api/v1/tenants/default/certificates?limit=3" "$W/page1" -H "Authorization: Bearer $TOKEN")
t "limit=3: first page has at most 3 items and a cursor" bash -c "[ '$code' = 200 ] && '$PY' - '$W/page1' $total" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["items"]) <= 3, "%d items" % len(d["items"])
if int(sys.argv[2]) > 3:
    assert isinstance(d["next_cursor"], str) and d["next_cursor"], "no next_cursor with more items left"
for it in d["items"]:
    for k in ("serial", "status", "profile", "not_before", "not_after"):
        assert k in it, "list item lacks %r: %r" % (k, sorted(it))
EOF
fp_count_certs >/dev/null
t "every issued serial is listed with status valid" "$PY" - "$FP_TMP/listed" "$W/serials" <<'EOF'
import sys
items = {l.split()[0]: l.split()[1] for l in open(sys.argv[1]) if l.strip()}
want = [s.strip() for s in open(sys.argv[2]) if s.strip()]
missing = [s for s in want if s not in items]
assert not missing, "missing from the list: %r" % missing
bad = [s for s in want if items[s] != "valid"]
assert not bad, "listed with another status than valid: %r" % bad
EOF

fp_finish
