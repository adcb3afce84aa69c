#!/usr/bin/env bash
# Tenants, CAs, tokens, operator certificates and idempotency keys over REST v1, as an outside
# client sees them: curl for the API, openssl as the customer's own CA (bring-your-own CA) and for
# every certificate check, curl --cert for operator mutual TLS.
set -u
. "$(dirname "$0")/common.sh"
fp_require_binary
fp_start_server "$FP_TMP/data" || fp_abort "server did not start"
JSON=(-H 'Content-Type: application/json')
T=$FP_TMP

req() { # req TOKEN METHOD PATH OUT [BODY] → status
  local tok=$1 method=$2 path=$3 out=$4 body=${5:-}
  if [ -n "$body" ]; then
    fp_request "$method" "$path" "$out" -H "Authorization: Bearer $tok" "${JSON[@]}" --data-binary "$body"
  else
    fp_request "$method" "$path" "$out" -H "Authorization: Bearer $tok"
  fi
}
field() { fp_json "$1" "$2" 2>/dev/null; }
is_problem() { [ "$1" = "$2" ] && fp_problem "$3" "$2"; }  # is_problem CODE WANT FILE
pem_of() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]], end="")' "$1" "$2"; }
issue_in() { # issue_in TOKEN TENANT CN OUT → status (key in OUT.csr.key)
  fp_make_csr p256 "$4.csr" "/CN=$3" || return 1
  fp_make_request tls-client "$4.csr" >"$4.req"
  fp_request POST "/api/v1/tenants/$2/certificates" "$4" -H "Authorization: Bearer $1" "${JSON[@]}" \
    --data-binary @"$4.req"
}

# --- tenants ------------------------------------------------------------------------------------
code=$(req "$TOKEN" POST /api/v1/tenants "$T/t1" '{"name":"acme"}')
t "platform admin creates tenant acme = 201" bash -c "[ $code = 201 ] && [ \"$(field "$T/t1" name)\" = acme ]"
code=$(req "$TOKEN" POST /api/v1/tenants "$T/t2" '{"name":"acme"}')
t "the same name again = 409 problem" is_problem "$code" 409 "$T/t2"
code=$(req "$TOKEN" POST /api/v1/tenants "$T/t3" '{"name":"Not_Valid"}')
t "an invalid name = 400 problem" is_problem "$code" 400 "$T/t3"
code=$(req "$TOKEN" POST /api/v1/tenants "$T/t4" '{"name":"x","plan":"gold"}')
t "an unknown field = 400 problem" is_problem "$code" 400 "$T/t4"
code=$(fp_request POST /api/v1/tenants "$T/t5" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/plain' --data-binary '{"name":"y"}')
t "a wrong content type = 415 problem" is_problem "$code" 415 "$T/t5"
req "$TOKEN" POST /api/v1/tenants "$T/t6" '{"name":"globex"}' >/dev/null

code=$(req "$TOKEN" GET "/api/v1/tenants?limit=1" "$T/l1")
C1=$(field "$T/l1" next_cursor)
code2=$(req "$TOKEN" GET "/api/v1/tenants?limit=1&cursor=$C1" "$T/l2")
t "tenants are listed page by page with next_cursor" bash -c "[ $code = 200 ] && [ $code2 = 200 ] && [ -n '$C1' ] && [ '$C1' != null ] && \
  [ \"\$(grep -o '\"name\":\"[a-z]*\"' '$T/l1')\" != \"\$(grep -o '\"name\":\"[a-z]*\"' '$T/l2')\" ]"
code=$(req "$TOKEN" GET "/api/v1/tenants?limit=0" "$T/l3")
t "limit=0 = 400 problem" is_problem "$code" 400 "$T/l3"
code=$(req "$TOKEN" GET "/api/v1/tenants?cursor=bogus" "$T/l4")
t "a bogus cursor = 400 problem" is_problem "$code" 400 "$T/l4"

# --- tokens -----------------------------------------------------------------------------------
req "$TOKEN" POST /api/v1/tenants/acme/tokens "$T/k1" '{"role":"admin"}' >/dev/null
ACME_ADMIN=$(field "$T/k1" token)
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/tokens "$T/k2" '{"role":"operator","expires_in":3600}')
ACME_OP=$(field "$T/k2" token)
t "tenant admin creates an expiring operator token = 201 with expires_at" bash -c \
  "[ $code = 201 ] && [ -n '$ACME_OP' ] && [ \"$(field "$T/k2" expires_at)\" != null ]"
req "$ACME_ADMIN" POST /api/v1/tenants/acme/tokens "$T/k3" '{"role":"auditor"}' >/dev/null
ACME_AUD=$(field "$T/k3" token)
code=$(req "$ACME_ADMIN" POST /api/v1/tenants "$T/k4" '{"name":"evil"}')
t "a tenant admin cannot create tenants = 403" is_problem "$code" 403 "$T/k4"
code=$(req "$ACME_ADMIN" GET /api/v1/tenants "$T/k5")
t "a tenant admin cannot list tenants = 403" is_problem "$code" 403 "$T/k5"
code=$(req "$ACME_OP" POST /api/v1/tenants/acme/tokens "$T/k6" '{"role":"admin"}')
t "an operator cannot mint tokens = 403" is_problem "$code" 403 "$T/k6"
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/default/tokens "$T/k7" '{"role":"admin"}')
t "acme's admin on tenant default = 404" is_problem "$code" 404 "$T/k7"
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/tokens "$T/k8" '{"role":"root"}')
t "an unknown role = 400" is_problem "$code" 400 "$T/k8"
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/tokens "$T/k9" '{"role":"operator","expires_in":5}')
t "expires_in below a minute = 400" is_problem "$code" 400 "$T/k9"
code=$(req "$ACME_AUD" GET /api/v1/tenants/acme/tokens "$T/k10")
t "an auditor lists tokens = 200, without secrets" bash -c "[ $code = 200 ] && ! grep -q 'fpk_' '$T/k10' && ! grep -q secret '$T/k10'"
code=$(issue_in "$ACME_OP" acme op-issued "$T/c1")
t "the operator token issues in acme = 201" test "$code" = 201
code=$(issue_in "$ACME_OP" default wrong-tenant "$T/c2")
t "the acme operator token on tenant default = 404" is_problem "$code" 404 "$T/c2"

# --- idempotency keys ---------------------------------------------------------------------------
IK=(-H 'Idempotency-Key: make-token-1')
c1=$(fp_request POST /api/v1/tenants/acme/tokens "$T/i1" -H "Authorization: Bearer $ACME_ADMIN" "${JSON[@]}" "${IK[@]}" --data-binary '{"role":"auditor"}')
c2=$(fp_request POST /api/v1/tenants/acme/tokens "$T/i2" -H "Authorization: Bearer $ACME_ADMIN" "${JSON[@]}" "${IK[@]}" --data-binary '{"role":"auditor"}')
t "a retry with the same Idempotency-Key replays the first answer" bash -c \
  "[ $c1 = 201 ] && [ $c2 = 201 ] && cmp -s '$T/i1' '$T/i2' && grep -qi '^idempotent-replayed: true' '$T/i2.h'"
c3=$(fp_request POST /api/v1/tenants/acme/tokens "$T/i3" -H "Authorization: Bearer $ACME_ADMIN" "${JSON[@]}" "${IK[@]}" --data-binary '{"role":"operator"}')
t "the same key with another body = 422 problem" is_problem "$c3" 422 "$T/i3"
req "$ACME_ADMIN" GET "/api/v1/tenants/acme/tokens?limit=1000" "$T/i4" >/dev/null
t "the replay created nothing: one token per distinct request" bash -c \
  "[ \$(grep -o '\"role\":\"auditor\"' '$T/i4' | wc -l) = 2 ]"  # the auditor token above + one
t "the stored answer holds neither the new token nor the key in clear" "$PY" -c '
import sqlite3, sys
db = sqlite3.connect("file:%s/fleetpki.db?mode=ro" % sys.argv[1], uri=True)
rows = repr(db.execute("SELECT * FROM idempotency_keys").fetchall())
assert len(db.execute("SELECT * FROM idempotency_keys").fetchall()) >= 1, "nothing stored"
assert sys.argv[2] not in rows and sys.argv[3] not in rows, "secret or key stored in clear"
' "$DATA" "$(field "$T/i1" token)" make-token-1
c5=$(fp_request POST /api/v1/tenants/acme/tokens "$T/i5" -H "Authorization: Bearer $ACME_ADMIN" "${JSON[@]}" -H 'Idempotency-Key;' --data-binary '{"role":"auditor"}')
t "an empty Idempotency-Key = 400" is_problem "$c5" 400 "$T/i5"

# --- token revocation ---------------------------------------------------------------------------
REVOKE_ID=$(field "$T/i1" id)
REVOKED_TOKEN=$(field "$T/i1" token)
code=$(req "$ACME_ADMIN" POST "/api/v1/tenants/acme/tokens/$REVOKE_ID/revoke" "$T/r1")
t "revoke a token = 200" test "$code" = 200
code=$(req "$REVOKED_TOKEN" GET /api/v1/tenants/acme/tokens "$T/r2")
t "the revoked token = 401" is_problem "$code" 401 "$T/r2"
code=$(req "$ACME_ADMIN" POST "/api/v1/tenants/acme/tokens/ffffffffffffffff/revoke" "$T/r3")
t "revoking an unknown token = 404" is_problem "$code" 404 "$T/r3"

# --- CAs: tenant-signed with name constraints ----------------------------------------------------------
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas "$T/ca1" \
  '{"name":"eu","name_constraints":{"permitted_dns":["eu.example.com"],"excluded_ip":["0.0.0.0/0"]}}')
pem_of "$T/ca1" certificate >"$T/eu.pem" 2>/dev/null
req "$ACME_ADMIN" GET /api/v1/tenants/acme/cas/root "$T/root.json" >/dev/null
pem_of "$T/root.json" certificate >"$T/acme-root.pem" 2>/dev/null
t "create CA eu under the tenant root = 201, active" bash -c "[ $code = 201 ] && [ \"$(field "$T/ca1" status)\" = active ]"
t "openssl: eu carries critical name constraints permitting DNS:eu.example.com" bash -c \
  "openssl x509 -in '$T/eu.pem' -noout -text | grep -A3 'Name Constraints: critical' | grep -q 'DNS:eu.example.com'"
t "openssl verify: eu chains to acme's root" openssl verify -CAfile "$T/acme-root.pem" "$T/eu.pem"
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas "$T/ca2" '{"name":"deep","parent":"issuing"}')
t "a CA under the issuing CA (pathLen 0) = 400" is_problem "$code" 400 "$T/ca2"
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas "$T/ca3" '{"name":"bad","name_constraints":{"permitted_ip":["10.0.0.0"]}}')
t "a malformed name constraint = 400" is_problem "$code" 400 "$T/ca3"
code=$(req "$ACME_OP" POST /api/v1/tenants/acme/cas "$T/ca4" '{"name":"op-ca"}')
t "an operator cannot create CAs = 403" is_problem "$code" 403 "$T/ca4"
code=$(req "$ACME_AUD" GET /api/v1/tenants/acme/cas "$T/ca5")
t "an auditor lists the CAs = 200 (root, issuing, manufacturing, eu)" bash -c \
  "[ $code = 200 ] && [ \$(grep -o '\"name\":\"[a-z-]*\"' '$T/ca5' | wc -l) = 4 ]"
code=$(req "$ACME_AUD" GET "/api/v1/tenants/acme/cas?limit=3" "$T/ca7")
C=$(field "$T/ca7" next_cursor)
code2=$(req "$ACME_AUD" GET "/api/v1/tenants/acme/cas?limit=3&cursor=$C" "$T/ca8")
t "CAs are paged: 3, then the 4th with next_cursor null" bash -c "[ $code = 200 ] && [ $code2 = 200 ] && \
  [ \$(grep -o '\"name\":\"[a-z-]*\"' '$T/ca7' | wc -l) = 3 ] && grep -q '\"name\":\"eu\"' '$T/ca8' && grep -q '\"next_cursor\":null' '$T/ca8'"
req "$ACME_OP" GET /api/v1/tenants/acme/cas "$T/ca6" >/dev/null
t "CA listing names no key reference" bash -c "! grep -q key_ref '$T/ca6'"

# An RSA CA (key_type rsa-2048): certificates, its CRL and OCSP answers, checked by openssl.
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas "$T/rsa1" '{"name":"legacy","key_type":"rsa-2048"}')
pem_of "$T/rsa1" certificate >"$T/legacy.pem" 2>/dev/null
t "create an RSA-2048 CA = 201, key RSA 2048 bits" bash -c \
  "[ $code = 201 ] && openssl x509 -in '$T/legacy.pem' -noout -text | grep -q 'Public-Key: (2048 bit)'"
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/profiles "$T/rsa2" '{"name":"legacy-tls","template":"tls-client","ca":"legacy"}')
t "a profile on the RSA CA = 201" test "$code" = 201
fp_make_csr p256 "$T/rsa-leaf.csr" "/CN=gw-legacy" >/dev/null 2>&1
"$PY" -c 'import json,sys; json.dump({"profile":"legacy-tls","csr":open(sys.argv[1]).read()}, open(sys.argv[2],"w"))' \
  "$T/rsa-leaf.csr" "$T/rsa-leaf.req"
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/certificates "$T/rsa3" @"$T/rsa-leaf.req")
pem_of "$T/rsa3" certificate >"$T/rsa-leaf.pem" 2>/dev/null
t "issue from the RSA CA = 201, signed sha256WithRSAEncryption" bash -c \
  "[ $code = 201 ] && openssl x509 -in '$T/rsa-leaf.pem' -noout -text | grep -q 'Signature Algorithm: sha256WithRSAEncryption'"
t "openssl verify: leaf → RSA CA → acme root" openssl verify -CAfile "$T/acme-root.pem" -untrusted "$T/legacy.pem" "$T/rsa-leaf.pem"
curl -s -o "$T/legacy.crl" "http://$HTTP/crl/acme/legacy.crl"
t "openssl crl: the RSA CA's CRL verifies" bash -c "openssl crl -inform DER -in '$T/legacy.crl' -CAfile '$T/legacy.pem' -noout 2>&1 | grep -q 'verify OK'"
cat "$T/legacy.pem" "$T/acme-root.pem" >"$T/legacy-chain.pem"
t "openssl ocsp: the RSA CA's leaf is good" bash -c "openssl ocsp -issuer '$T/legacy.pem' -cert '$T/rsa-leaf.pem' \
  -url 'http://$HTTP/ocsp' -CAfile '$T/legacy-chain.pem' 2>&1 | grep -q 'rsa-leaf.pem: good'"
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas "$T/rsa4" '{"name":"ed","key_type":"ed25519"}')
t "an Ed25519 CA key = 400 problem" is_problem "$code" 400 "$T/rsa4"

# --- CAs: bring your own (openssl plays the customer's root) -------------------------------------------
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas "$T/byo1" '{"name":"byo","external":true,"common_name":"Acme Own Issuing"}')
pem_of "$T/byo1" csr >"$T/byo.csr" 2>/dev/null
t "an external CA = 201, pending, with a CSR" bash -c "[ $code = 201 ] && [ \"$(field "$T/byo1" status)\" = pending ] && grep -q 'BEGIN CERTIFICATE REQUEST' '$T/byo.csr'"
t "openssl: the CSR's signature verifies and it asks for CA:TRUE" bash -c \
  "openssl req -in '$T/byo.csr' -noout -verify 2>&1 | grep -q 'verify OK' && openssl req -in '$T/byo.csr' -noout -text | grep -q 'CA:TRUE'"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$T/cust-root.key" -subj "/O=Acme/CN=Acme Own Root" \
  -days 3650 -out "$T/cust-root.pem" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >"$T/ca.ext"
openssl x509 -req -in "$T/byo.csr" -CA "$T/cust-root.pem" -CAkey "$T/cust-root.key" -CAcreateserial -days 365 \
  -extfile "$T/ca.ext" -out "$T/byo.pem" 2>/dev/null
# A certificate for another key must be refused.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" -subj "/CN=other" -out "$T/other.csr" 2>/dev/null
openssl x509 -req -in "$T/other.csr" -CA "$T/cust-root.pem" -CAkey "$T/cust-root.key" -CAcreateserial -days 365 \
  -extfile "$T/ca.ext" -out "$T/other.pem" 2>/dev/null
install_body() { "$PY" -c 'import json,sys; print(json.dumps({"certificate": open(sys.argv[1]).read(), "chain": open(sys.argv[2]).read()}))' "$1" "$2"; }
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas/byo/certificate "$T/byo2" "$(install_body "$T/other.pem" "$T/cust-root.pem")")
t "installing a certificate for another key = 400" is_problem "$code" 400 "$T/byo2"
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas/byo/certificate "$T/byo3" "$(install_body "$T/byo.pem" "$T/byo.pem")")
t "a chain without the customer's root = 400" is_problem "$code" 400 "$T/byo3"
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas/byo/certificate "$T/byo4" "$(install_body "$T/byo.pem" "$T/cust-root.pem")")
t "installing the customer-signed certificate = 200, active" bash -c "[ $code = 200 ] && [ \"$(field "$T/byo4" status)\" = active ]"
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas/byo/certificate "$T/byo5" "$(install_body "$T/byo.pem" "$T/cust-root.pem")")
t "installing twice = 409" is_problem "$code" 409 "$T/byo5"

# --- CA disable/enable ------------------------------------------------------------------------
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas/issuing/disable "$T/d1")
t "disable the issuing CA = 200" bash -c "[ $code = 200 ] && [ \"$(field "$T/d1" status)\" = disabled ]"
code=$(issue_in "$ACME_OP" acme while-disabled "$T/d2")
t "issuance through a disabled CA = 409" is_problem "$code" 409 "$T/d2"
req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas/issuing/enable "$T/d3" >/dev/null
code=$(issue_in "$ACME_OP" acme after-enable "$T/d4")
t "enabled again: issuance = 201" test "$code" = 201
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/cas/root/disable "$T/d5")
t "the root cannot be disabled = 409" is_problem "$code" 409 "$T/d5"

# --- operator client certificates over mutual TLS ---------------------------------------------------
issue_in "$ACME_ADMIN" acme alice "$T/alice" >/dev/null
pem_of "$T/alice" certificate >"$T/alice.pem"
body=$("$PY" -c 'import json,sys; print(json.dumps({"certificate": open(sys.argv[1]).read(), "role": "auditor"}))' "$T/alice.pem")
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/operator-certificates "$T/o1" "$body")
FPR=$(field "$T/o1" fingerprint)
t "register alice's certificate as an auditor = 201" bash -c "[ $code = 201 ] && [ ${#FPR} = 64 ]"
MTLS=(--cert "$T/alice.pem" --key "$T/alice.csr.key")
code=$(fp_request GET /api/v1/tenants/acme/certificates "$T/o2" "${MTLS[@]}")
t "mutual TLS with alice's certificate, no token: GET certificates = 200" test "$code" = 200
code=$(fp_request POST /api/v1/tenants/acme/certificates "$T/o3" "${MTLS[@]}" "${JSON[@]}" --data-binary @"$T/alice.req")
t "alice (auditor) cannot issue = 403" is_problem "$code" 403 "$T/o3"
code=$(fp_request GET /api/v1/tenants/default/certificates "$T/o4" "${MTLS[@]}")
t "alice on tenant default = 404" is_problem "$code" 404 "$T/o4"
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/operator-certificates "$T/o5" "$body")
t "registering it twice = 409" is_problem "$code" 409 "$T/o5"
issue_in "$ACME_ADMIN" acme mallory "$T/mallory" >/dev/null
pem_of "$T/mallory" certificate >"$T/mallory.pem"
code=$(fp_request GET /api/v1/tenants/acme/certificates "$T/o6" --cert "$T/mallory.pem" --key "$T/mallory.csr.key")
t "an unregistered client certificate = 401" is_problem "$code" 401 "$T/o6"
code=$(req "$ACME_ADMIN" POST "/api/v1/tenants/acme/operator-certificates/$FPR/revoke" "$T/o7")
code2=$(fp_request GET /api/v1/tenants/acme/certificates "$T/o8" "${MTLS[@]}")
t "revoked: alice's certificate = 401" bash -c "[ $code = 200 ] && [ $code2 = 401 ]"

# --- tenant disable -------------------------------------------------------------------------------
code=$(req "$ACME_ADMIN" POST /api/v1/tenants/acme/disable "$T/x1")
t "a tenant admin cannot disable its tenant = 403" is_problem "$code" 403 "$T/x1"
code=$(req "$TOKEN" POST /api/v1/tenants/acme/disable "$T/x2")
t "the platform admin disables acme = 200" bash -c "[ $code = 200 ] && [ \"$(field "$T/x2" disabled)\" = true ]"
code=$(issue_in "$ACME_OP" acme while-tenant-disabled "$T/x3")
t "acme's operator token while disabled = 404" is_problem "$code" 404 "$T/x3"
code=$(req "$TOKEN" GET /api/v1/tenants/acme "$T/x4")
t "the platform admin still sees acme, disabled" bash -c "[ $code = 200 ] && [ \"$(field "$T/x4" disabled)\" = true ]"
req "$TOKEN" POST /api/v1/tenants/acme/enable "$T/x5" >/dev/null
code=$(issue_in "$ACME_OP" acme after-tenant-enable "$T/x6")
t "enabled again: the operator issues = 201" test "$code" = 201

# --- CLI ------------------------------------------------------------------------------------------
fp_stop_server
t "CLI tenant list shows acme and globex" bash -c "'$FP' tenant list --data '$DATA' | grep -q '^acme' && '$FP' tenant list --data '$DATA' | grep -q '^globex'"
t "CLI ca create --external writes a CSR" bash -c "'$FP' ca create --data '$DATA' --tenant globex --name own --external --csr-out '$T/own.csr' && openssl req -in '$T/own.csr' -noout"
t "CLI ca create under an unknown parent exits 1" bash -c "'$FP' ca create --data '$DATA' --tenant globex --name x --parent nope 2>/dev/null; [ \$? = 1 ]"
t "CLI ca list shows own as pending" bash -c "'$FP' ca list --data '$DATA' --tenant globex | grep -q '^own.pending'"
fp_finish
