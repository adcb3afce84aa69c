#!/usr/bin/env bash
# The offline root key ceremony with the CLI, checked by the openssl CLI (issue #6, point 3):
#   - create-root: `openssl x509 -text` shows a self-signed CA (critical basicConstraints CA:TRUE
#     pathlen:1, critical keyUsage Certificate Sign + CRL Sign, SKI); the key file is an encrypted
#     PKCS#8 that `openssl pkey` opens with the passphrase (PBES2, PBKDF2, AES-256-CBC);
#   - sign-intermediate from an openssl CSR: `openssl verify -CAfile root.pem` accepts it; AKI = root
#     SKI; a pathLen the root does not allow and a CSR with a broken signature are refused;
#   - root-crl: `openssl crl -verify` (empty, then revoking the intermediate: `openssl verify
#     -crl_check` then says revoked);
#   - split 3-of-5 -> delete the key -> combine with another 3-subset -> the restored key signs a
#     new intermediate that openssl verifies; 2 shares, a corrupted word, shares of two splits refused;
#   - verify-transcript: intact, then a tampered line -> exit 1 naming the record;
#   - the passphrase never appears in any output or in the transcript.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
fp_require_binary
W=$FP_TMP/w
C=$FP_TMP/ceremony
mkdir -p "$W"

PASS="interop ceremony passphrase $$"
printf '%s\n' "$PASS" >"$W/pass"
chmod 600 "$W/pass"
OPS=(--operator alice --operator "Bob Builder")
CER() { "$FP" ceremony "$@"; }
ALL_OUT=$W/all-output.txt
: >"$ALL_OUT"
run() { # run NAME CMD…: like t, and keeps the output for the passphrase check
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$name"; else no "$name" "$out"; fi
  printf '%s\n' "$out" >>"$ALL_OUT"
}
expect_fail() { # expect_fail NAME EXIT CMD…: CMD must exit EXIT (1: with one stderr line)
  local name=$1 want=$2 out rc
  shift 2
  out=$("$@" 2>&1 >/dev/null)
  rc=$?
  printf '%s\n' "$out" >>"$ALL_OUT"
  if [ "$rc" -eq "$want" ] && { [ "$want" -ne 1 ] || [ "$(printf '%s\n' "$out" | grep -vc '^$')" -eq 1 ]; }; then
    ok "$name (exit $rc: $out)"
  else
    no "$name: exit $rc, want $want" "$out"
  fi
}

# --- root --------------------------------------------------------------------------------------
run "create-root (EC P-256, pathLen 1)" CER create-root --dir "$C" "${OPS[@]}" \
  --passphrase-file "$W/pass" --cn "Interop Root CA" --org "Example IoT" --country DE \
  --days 3650 --path-len 1 --key-type ec-p256
openssl x509 -in "$C/root.pem" -noout -text >"$W/root.txt" 2>&1
t "root: self-signed" openssl verify -CAfile "$C/root.pem" "$C/root.pem"
t "root: CA:TRUE, pathlen:1 (critical)" grep -A1 "Basic Constraints: critical" "$W/root.txt"
t "root: pathlen:1" grep -q "CA:TRUE, pathlen:1" "$W/root.txt"
t "root: keyUsage critical keyCertSign+cRLSign" grep -A1 -q "Key Usage: critical" "$W/root.txt"
t "root: Certificate Sign, CRL Sign" grep -q "Certificate Sign, CRL Sign" "$W/root.txt"
t "root: subject key identifier" grep -q "Subject Key Identifier" "$W/root.txt"
t "root: subject" grep -q "C = DE, O = Example IoT, CN = Interop Root CA" "$W/root.txt"
t "root key: encrypted PKCS#8 (PBES2/PBKDF2/AES-256-CBC)" \
  bash -c "openssl asn1parse -in '$C/root-key.p8' | grep -q PBES2 && openssl asn1parse -in '$C/root-key.p8' | grep -q PBKDF2 && openssl asn1parse -in '$C/root-key.p8' | grep -q aes-256-cbc"
t "root key: mode 0600" test "$(stat -c %a "$C/root-key.p8")" = 600
openssl pkey -in "$C/root-key.p8" -passin "file:$W/pass" -pubout -out "$W/root-pub-from-key.pem" 2>/dev/null
openssl x509 -in "$C/root.pem" -noout -pubkey >"$W/root-pub-from-cert.pem"
t "root key: openssl opens it with the passphrase; same key as root.pem" \
  cmp "$W/root-pub-from-key.pem" "$W/root-pub-from-cert.pem"
expect_fail "create-root twice in one folder refused" 1 CER create-root --dir "$C" "${OPS[@]}" \
  --passphrase-file "$W/pass" --cn "Second Root"
expect_fail "create-root without --operator is a usage error" 2 CER create-root --dir "$W/x" \
  --passphrase-file "$W/pass" --cn X
printf 'short\n' >"$W/short"
chmod 600 "$W/short"
expect_fail "a passphrase under 12 characters refused" 1 CER create-root --dir "$W/short-root" \
  "${OPS[@]}" --passphrase-file "$W/short" --cn X

# --- intermediate ------------------------------------------------------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ica.key" \
  -subj "/O=Example IoT/CN=Interop Issuing CA 1" -out "$W/ica.csr" 2>/dev/null
run "sign-intermediate (pathLen 0, 365 days)" CER sign-intermediate --dir "$C" "${OPS[@]}" \
  --passphrase-file "$W/pass" --csr "$W/ica.csr" --path-len 0 --days 365 \
  --crl-url http://pki.example.test/root.crl --out "$W/ica.pem"
t "openssl verify -CAfile root.pem intermediate.pem" openssl verify -CAfile "$C/root.pem" "$W/ica.pem"
openssl x509 -in "$W/ica.pem" -noout -text >"$W/ica.txt" 2>&1
t "intermediate: CA:TRUE, pathlen:0" grep -q "CA:TRUE, pathlen:0" "$W/ica.txt"
t "intermediate: Certificate Sign, CRL Sign" grep -q "Certificate Sign, CRL Sign" "$W/ica.txt"
t "intermediate: CRL distribution point" grep -q "URI:http://pki.example.test/root.crl" "$W/ica.txt"
root_ski=$(openssl x509 -in "$C/root.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
ica_aki=$(openssl x509 -in "$W/ica.pem" -noout -ext authorityKeyIdentifier | tail -1 | tr -d ' ' | sed 's/^keyid://')
t "intermediate: AKI = root SKI ($root_ski)" test -n "$root_ski" -a "$root_ski" = "$ica_aki"
t "intermediate: subject from the CSR" grep -q "Subject: O = Example IoT, CN = Interop Issuing CA 1" "$W/ica.txt"
ica_serial=$(openssl x509 -in "$W/ica.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
# A leaf under the intermediate verifies through the chain (pathLen 0 is respected by openssl).
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/leaf.key" \
  -subj "/CN=device-1" -out "$W/leaf.csr" 2>/dev/null
openssl x509 -req -in "$W/leaf.csr" -CA "$W/ica.pem" -CAkey "$W/ica.key" -CAcreateserial \
  -days 30 -out "$W/leaf.pem" 2>/dev/null
t "a leaf under the intermediate verifies to the root" \
  openssl verify -CAfile "$C/root.pem" -untrusted "$W/ica.pem" "$W/leaf.pem"
expect_fail "pathLen 1 under a pathLen-1 root refused" 1 CER sign-intermediate --dir "$C" \
  "${OPS[@]}" --passphrase-file "$W/pass" --csr "$W/ica.csr" --path-len 1 --days 365 --out "$W/bad.pem"
# A CSR whose signature does not verify: flip a byte inside the signature.
openssl req -in "$W/ica.csr" -outform DER -out "$W/ica.csr.der"
size=$(stat -c %s "$W/ica.csr.der")
cp "$W/ica.csr.der" "$W/bad.csr.der"
printf '\x55' | dd of="$W/bad.csr.der" bs=1 seek=$((size - 5)) conv=notrunc 2>/dev/null
openssl req -inform DER -in "$W/bad.csr.der" -out "$W/bad.csr" 2>/dev/null
expect_fail "CSR with a bad signature refused" 1 CER sign-intermediate --dir "$C" "${OPS[@]}" \
  --passphrase-file "$W/pass" --csr "$W/bad.csr" --path-len 0 --days 365 --out "$W/bad2.pem"
t "nothing written for refused requests" test ! -e "$W/bad.pem" -a ! -e "$W/bad2.pem"
expect_fail "wrong passphrase refused" 1 env FLEETPKI_CEREMONY_PASSPHRASE="not the passphrase" \
  "$FP" ceremony sign-intermediate --dir "$C" "${OPS[@]}" --csr "$W/ica.csr" --path-len 0 \
  --days 365 --out "$W/bad3.pem"

# --- root CRL ----------------------------------------------------------------------------------
run "root-crl (empty)" env FLEETPKI_CEREMONY_PASSPHRASE="$PASS" "$FP" ceremony root-crl \
  --dir "$C" "${OPS[@]}" --days 30
t "openssl crl -verify (CRL 1)" bash -c "openssl crl -in '$C/root-crl-1.pem' -CAfile '$C/root.pem' -noout 2>&1 | grep -q 'verify OK'"
t "CRL 1: no revoked certificates, CRL number 1" bash -c "openssl crl -in '$C/root-crl-1.pem' -noout -text | grep -q 'No Revoked Certificates' && openssl crl -in '$C/root-crl-1.pem' -noout -crlnumber | grep -Eq 'crlNumber=(0x)?0*1\$'"
t "chain with -crl_check_all and CRL 1: good" bash -c "cat '$C/root.pem' '$C/root-crl-1.pem' >'$W/ca-crl1.pem' && openssl verify -crl_check -CAfile '$W/ca-crl1.pem' '$W/ica.pem'"
run "root-crl revoking the intermediate" CER root-crl --dir "$C" "${OPS[@]}" \
  --passphrase-file "$W/pass" --revoke "$ica_serial:keyCompromise" --out "$W/root-crl-2.pem"
t "openssl crl -verify (CRL 2)" bash -c "openssl crl -in '$W/root-crl-2.pem' -CAfile '$C/root.pem' -noout 2>&1 | grep -q 'verify OK'"
t "CRL 2 lists the intermediate (keyCompromise)" bash -c "openssl crl -in '$W/root-crl-2.pem' -noout -text | grep -qi 'Key Compromise'"
cat "$C/root.pem" "$W/root-crl-2.pem" >"$W/ca-crl2.pem"
out=$(openssl verify -crl_check -CAfile "$W/ca-crl2.pem" "$W/ica.pem" 2>&1)
if [ $? -ne 0 ] && grep -q "revoked" <<<"$out"; then ok "openssl verify -crl_check: intermediate revoked"; else no "intermediate revoked" "$out"; fi
expect_fail "revoking an unknown serial refused" 1 CER root-crl --dir "$C" "${OPS[@]}" \
  --passphrase-file "$W/pass" --revoke 0abcdef0

# --- split and combine -------------------------------------------------------------------------
run "split 3-of-5 into files" CER split --dir "$C" "${OPS[@]}" --passphrase-file "$W/pass" \
  -m 3 -n 5 --out-dir "$W/shares"
t "five share files, mode 0600" bash -c "[ \$(ls '$W/shares' | wc -l) -eq 5 ] && [ \$(stat -c %a '$W/shares/share-1-of-5.txt') = 600 ]"
run "a second split (shares of another set)" CER split --dir "$C" "${OPS[@]}" \
  --passphrase-file "$W/pass" -m 2 -n 3 --out-dir "$W/shares-b"
cp "$C/root-key.p8" "$W/root-key.original.p8"
rm "$C/root-key.p8"
expect_fail "without the key file a step says how to restore it" 1 CER root-crl --dir "$C" \
  "${OPS[@]}" --passphrase-file "$W/pass"
expect_fail "combine with 2 of 3 needed shares refused" 1 CER combine --dir "$C" "${OPS[@]}" \
  --passphrase-file "$W/pass" --share "$W/shares/share-1-of-5.txt" --share "$W/shares/share-2-of-5.txt"
expect_fail "combine with shares of two splits refused" 1 CER combine --dir "$C" "${OPS[@]}" \
  --passphrase-file "$W/pass" --share "$W/shares/share-1-of-5.txt" \
  --share "$W/shares/share-2-of-5.txt" --share "$W/shares-b/share-3-of-3.txt"
# One corrupted word: the third word of line 02 of share 4 replaced by another list word.
awk '/^02 /{ $4 = ($4 == "abandon") ? "absurd" : "abandon" } { print }' \
  "$W/shares/share-4-of-5.txt" >"$W/share-4-corrupted.txt"
out=$(CER combine --dir "$C" "${OPS[@]}" --passphrase-file "$W/pass" \
  --share "$W/shares/share-2-of-5.txt" --share "$W/share-4-corrupted.txt" \
  --share "$W/shares/share-5-of-5.txt" 2>&1)
if [ $? -eq 1 ] && grep -q "share 2: check words of line 2 do not match: word 3" <<<"$out"; then
  ok "a corrupted word is detected and located ($out)"
else
  no "corrupted word located" "$out"
fi
# Transposed words: swap words 1 and 2 of line 03 of share 5.
awk '/^03 /{ w = $2; $2 = $3; $3 = w } { print }' "$W/shares/share-5-of-5.txt" >"$W/share-5-swapped.txt"
if cmp -s "$W/share-5-swapped.txt" "$W/shares/share-5-of-5.txt"; then
  ok "transposed words (identical words: nothing to detect)"
else
  expect_fail "transposed words detected" 1 CER combine --dir "$C" "${OPS[@]}" \
    --passphrase-file "$W/pass" --share "$W/shares/share-2-of-5.txt" \
    --share "$W/shares/share-4-of-5.txt" --share "$W/share-5-swapped.txt"
fi
t "no key file after refused combines" test ! -e "$C/root-key.p8"
# Restore from a different subset than any used above, typed in upper case with extra spaces.
tr 'a-z' 'A-Z' <"$W/shares/share-3-of-5.txt" | sed 's/ /   /g' >"$W/share-3-typed.txt"
run "combine shares 2, 3 (retyped), 5" CER combine --dir "$C" "${OPS[@]}" --passphrase-file "$W/pass" \
  --share "$W/shares/share-5-of-5.txt" --share "$W/share-3-typed.txt" \
  --share "$W/shares/share-2-of-5.txt"
openssl pkey -in "$C/root-key.p8" -passin "file:$W/pass" -pubout -out "$W/restored-pub.pem" 2>/dev/null
t "restored key = root certificate's key" cmp "$W/restored-pub.pem" "$W/root-pub-from-cert.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$W/ica2.key" \
  -subj "/O=Example IoT/CN=Interop Issuing CA 2" -out "$W/ica2.csr" 2>/dev/null
run "the restored key signs a new intermediate" CER sign-intermediate --dir "$C" "${OPS[@]}" \
  --passphrase-file "$W/pass" --csr "$W/ica2.csr" --path-len 0 --days 100 \
  --profile issuing-ca-ocsp --out "$W/ica2.pem"
t "openssl verify -CAfile root.pem ica2.pem" openssl verify -CAfile "$C/root.pem" "$W/ica2.pem"
t "ica2: Digital Signature, Certificate Sign, CRL Sign" \
  bash -c "openssl x509 -in '$W/ica2.pem' -noout -text | grep -q 'Digital Signature, Certificate Sign, CRL Sign'"

# --- transcript --------------------------------------------------------------------------------
run "verify-transcript: intact" CER verify-transcript --dir "$C"
t "transcript: one record per successful step (8)" test "$(wc -l <"$C/transcript.jsonl")" -eq 8
t "transcript names the operators" grep -q '"operators":\["alice","Bob Builder"\]' "$C/transcript.jsonl"
root_pem_hash=$(sha256sum "$C/root.pem" | cut -d' ' -f1)
t "transcript holds root.pem's SHA-256" grep -q "\"root.pem\":\"$root_pem_hash\"" "$C/transcript.jsonl"
ica_hash=$(sha256sum "$W/ica.pem" | cut -d' ' -f1)
t "transcript holds the intermediate's SHA-256" grep -q "$ica_hash" "$C/transcript.jsonl"
cp "$C/transcript.jsonl" "$W/transcript.orig"
sed -i '2s/"path_len":"0"/"path_len":"5"/' "$C/transcript.jsonl"
t "tamper edit applied to line 2" bash -c "! cmp -s '$C/transcript.jsonl' '$W/transcript.orig'"
expect_fail "verify-transcript: a tampered record -> exit 1" 1 CER verify-transcript --dir "$C"
out=$(CER verify-transcript --dir "$C" 2>&1)
t "… naming record 2" grep -q "record 2" <<<"$out"
cp "$W/transcript.orig" "$C/transcript.jsonl"
sed -i '3d' "$C/transcript.jsonl"
out=$(CER verify-transcript --dir "$C" 2>&1)
if [ $? -eq 1 ] && grep -q "record 3" <<<"$out"; then ok "a removed record is found ($out)"; else no "removed record" "$out"; fi
cp "$W/transcript.orig" "$C/transcript.jsonl"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/other.key" \
  -subj "/CN=Other Root" -days 10 -out "$W/other-root.pem" 2>/dev/null
out=$(CER verify-transcript --dir "$C" --root-cert "$W/other-root.pem" 2>&1)
if [ $? -eq 1 ] && grep -q "record 1" <<<"$out"; then ok "another root's key verifies nothing"; else no "other root" "$out"; fi

# --- root key in a PKCS#11 token (SoftHSM2) ---------------------------------------------------
P11_MODULE=/usr/lib/softhsm/libsofthsm2.so
if command -v softhsm2-util >/dev/null && [ -r "$P11_MODULE" ]; then
  mkdir -p "$W/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
    "$W/tokens" >"$W/softhsm2.conf"
  export SOFTHSM2_CONF=$W/softhsm2.conf
  PIN=8642$$
  softhsm2-util --init-token --free --label ceremony-root --so-pin 13579$$ --pin "$PIN" >/dev/null 2>&1
  printf '%s\n' "$PIN" >"$W/pin"
  chmod 600 "$W/pin"
  T=$FP_TMP/token-ceremony
  run "create-root in a PKCS#11 token (SoftHSM2, EC P-384)" CER create-root --dir "$T" "${OPS[@]}" \
    --key-backend pkcs11 --pkcs11-module "$P11_MODULE" --pkcs11-token ceremony-root \
    --pkcs11-pin-file "$W/pin" --cn "Token Root CA" --key-type ec-p384 --path-len 1
  t "token root: no key file" test ! -e "$T/root-key.p8"
  t "token root: self-signed, verified by openssl" openssl verify -CAfile "$T/root.pem" "$T/root.pem"
  pkcs11-tool --module "$P11_MODULE" --token-label ceremony-root --login --pin "$PIN" -O \
    >"$W/p11-objects.txt" 2>/dev/null
  t "token key: sensitive and never extractable (pkcs11-tool)" \
    bash -c "grep -A8 '^Private Key Object' '$W/p11-objects.txt' | grep -q 'never extractable' && grep -A8 '^Private Key Object' '$W/p11-objects.txt' | grep -q 'sensitive'"
  run "token root signs an intermediate (backend from ceremony.json)" CER sign-intermediate \
    --dir "$T" "${OPS[@]}" --pkcs11-pin-file "$W/pin" --csr "$W/ica.csr" --path-len 0 --days 30 \
    --out "$W/token-ica.pem"
  t "openssl verify -CAfile token root.pem intermediate" openssl verify -CAfile "$T/root.pem" "$W/token-ica.pem"
  run "token root issues its CRL" env FLEETPKI_PKCS11_PIN="$PIN" "$FP" ceremony root-crl --dir "$T" \
    "${OPS[@]}" --days 7
  t "openssl crl -verify (token root CRL)" bash -c "openssl crl -in '$T/root-crl-1.pem' -CAfile '$T/root.pem' -noout 2>&1 | grep -q 'verify OK'"
  expect_fail "a token key is never split" 1 CER split --dir "$T" "${OPS[@]}" --passphrase-file "$W/pass" \
    --key-backend software -m 2 -n 3
  printf '000000\n' >"$W/bad-pin"
  chmod 600 "$W/bad-pin"
  expect_fail "a wrong PIN is refused" 1 CER root-crl --dir "$T" "${OPS[@]}" --pkcs11-pin-file "$W/bad-pin"
  run "token transcript verifies" CER verify-transcript --dir "$T"
  t "token transcript: 3 records" test "$(wc -l <"$T/transcript.jsonl")" -eq 3
  t "the PIN appears in no output, transcript or state" \
    bash -c "! grep -qF '$PIN' '$ALL_OUT' '$T/transcript.jsonl' '$T/ceremony.json'"

  # Ed25519 in the token: CKM_EC_EDWARDS_KEY_PAIR_GEN, and CKM_EDDSA signing the whole TBS.
  E=$FP_TMP/token-ed25519
  run "create-root in a PKCS#11 token with an Ed25519 key" CER create-root --dir "$E" "${OPS[@]}" \
    --key-backend pkcs11 --pkcs11-module "$P11_MODULE" --pkcs11-token ceremony-root \
    --pkcs11-pin-file "$W/pin" --cn "Token Ed25519 Root" --key-type ed25519 --key-label root-ed25519
  t "Ed25519 token root: self-signed, verified by openssl" openssl verify -CAfile "$E/root.pem" "$E/root.pem"
  t "Ed25519 token root: signature algorithm ED25519" \
    bash -c "openssl x509 -in '$E/root.pem' -noout -text | grep -q 'Signature Algorithm: ED25519'"
  pkcs11-tool --module "$P11_MODULE" --token-label ceremony-root --login --pin "$PIN" -O \
    >"$W/p11-ed-objects.txt" 2>/dev/null
  t "Ed25519 token key: EC_EDWARDS, sensitive and never extractable (pkcs11-tool)" \
    bash -c "grep -A4 'Private Key Object; EC_EDWARDS' '$W/p11-ed-objects.txt' | grep -q 'never extractable'"
  run "Ed25519 token root signs an intermediate" CER sign-intermediate --dir "$E" "${OPS[@]}" \
    --pkcs11-pin-file "$W/pin" --csr "$W/ica.csr" --path-len 0 --days 30 --out "$W/token-ed-ica.pem"
  t "openssl verify -CAfile Ed25519 root.pem intermediate" openssl verify -CAfile "$E/root.pem" "$W/token-ed-ica.pem"
else
  ok "PKCS#11 part skipped: softhsm2 not installed"
fi

# --- secrets -----------------------------------------------------------------------------------
t "the passphrase appears in no output" bash -c "! grep -qF '$PASS' '$ALL_OUT'"
t "the passphrase is not in the transcript or state" bash -c "! grep -qF '$PASS' '$C/transcript.jsonl' '$C/ceremony.json'"
first_words=$(sed -n 's/^01  *//p' "$W/shares/share-1-of-5.txt" | cut -d' ' -f1-4)
t "no share words in the transcript" bash -c "! grep -qF '$first_words' '$C/transcript.jsonl'"

fp_finish
