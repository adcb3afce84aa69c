#!/usr/bin/env bash
# `fleetpki keys list|migrate-to-token` (issue #6 point 2): software CA keys moved into SoftHSM2
# tokens made in the test's temporary folder (SOFTHSM2_CONF), checked with outside tools only:
#   - a software data folder (two tenants) with a certificate, OCSP responders (serve), the audit
#     key (init) and the server TLS key; `keys list` shows them all as software;
#   - --dry-run, a wrong PIN (exit 1, the PIN in no output), a missing --pkcs11-token (exit 2) and
#     an Ed25519 CA key (refused) change nothing: references, config.json, audit log, token;
#   - the migration: `keys list` shows pkcs11: references (the server TLS key stays software),
#     config.json names module, token and PIN file (never the PIN), `pkcs11-tool --list-objects`
#     shows the keys sensitive, not extractable, sign-only; one key.migrate audit event per key;
#   - a re-run is a no-op, another token is refused, --remove-software-keys deletes the .p8 copies;
#     then `fleetpki issue` and `serve` (REST, OCSP) sign in the token and openssl verifies the
#     new certificates against the CA certificates saved BEFORE the migration; the audit log
#     verifies (checkpoint signed by the audit key, now in the token);
#   - interruptions, on a second folder and token: a token object with a migrating key's label but
#     another key is refused; a run stopped after the imports (config.json cannot be written)
#     leaves the folder on its software keys, so does a failed commit (config.json put back); the
#     "mixed" state (config.json on the token, the database still on software keys) still issues;
#     the re-run reuses the imported objects.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
fp_require_binary
unset FLEETPKI_PKCS11_PIN FLEETPKI_MASTER_SECRET
fp_softhsm_setup  # a throw-away SoftHSM2 token folder; sets MODULE, H, SOFTHSM2_CONF
LABEL=fleet-mig
LABEL2=fleet-two
PIN=80642-mig-pin
BADPIN=13579-bad-pin
for l in "$LABEL" "$LABEL2"; do
  out=$(softhsm2-util --init-token --free --label "$l" --so-pin 12345678 --pin "$PIN" 2>&1) ||
    fp_abort "softhsm2-util --init-token --label $l" "$out"
done
printf '%s\n' "$PIN" >"$FP_TMP/pin"
chmod 600 "$FP_TMP/pin"
p11() { local l=$1; shift; pkcs11-tool --module "$MODULE" --token-label "$l" --login --pin "$PIN" "$@" 2>&1; }
O=$FP_TMP/out  # every output of fleetpki goes here: searched for the PIN at the end
mkdir -p "$O"
n=0
# fpk NAME ARGS…: runs fleetpki, output in $O/NAME.out/.err, sets rc.
fpk() {
  local name=$1
  shift
  "$FP" "$@" >"$O/$name.out" 2>"$O/$name.err" </dev/null
  rc=$?
}
keys_json() { "$FP" keys list --data "$1" --json 2>&1; }
# state DIR: everything that must not change when a migration is refused.
state() {
  keys_json "$1"
  sha256sum "$1/config.json"
  ls "$1/keys"
  "$FP" audit export --data "$1" 2>&1 | wc -l
}
private_keys() { p11 "$1" --list-objects --type privkey | grep -c '^Private Key Object'; }

# The software key vault's file format (src/keys/software): PBES2 PEM under the passphrase
# hex(HKDF-SHA256(master secret, salt, "key-file passphrase:" + label)). Tests only.
passphrase() {
  openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt "hexkey:$(tr -d ' \n' <"$1/master.key")" \
    -kdfopt "salt:fleetpki software key vault v1" -kdfopt "info:key-file passphrase:$2" HKDF |
    tr -d ':\n' | tr 'A-F' 'a-f'
}

# === a software data folder with every kind of key ============================================
D=$FP_TMP/data
W=$FP_TMP/w
mkdir -p "$W"
fpk init init --data "$D"
[ "$rc" = 0 ] || fp_abort "init a software data folder" "$(cat "$O/init.err")"
fpk tenant tenant create --data "$D" --tenant acme
t "a second tenant (acme) with its own CAs" test "$rc" = 0
fp_start_server "$D" 2>"$FP_TMP/start.err" || fp_abort "serve the software folder" "$(cat "$FP_TMP/start.err")"
fp_make_csr p256 "$W/before.csr" "/CN=before-migration" || fp_abort "openssl req" "$(cat "$W/before.csr.err")"
code=$(fp_issue tls-client "$W/before.csr" "$W/before.json")
t "REST issuance before the migration = 201" test "$code" = 201
fp_json "$W/before.json" certificate >"$W/before.pem"
awk '/BEGIN CERTIFICATE/{n++} n==1' "$D/ca-chain.pem" >"$W/issuing.pem"
openssl ocsp -url "http://$HTTP/ocsp" -timeout 10 -issuer "$W/issuing.pem" -cert "$W/before.pem" \
  -CAfile "$D/root-ca.pem" >"$W/ocsp-before.txt" 2>&1
t "OCSP before the migration: Response verify OK" grep -q 'Response verify OK' "$W/ocsp-before.txt"
fp_stop_server || no "serve stops on SIGTERM"
# The CA certificates as they were: everything issued later must verify against these.
cp "$D/root-ca.pem" "$W/root-before.pem"
cp "$D/ca-chain.pem" "$W/chain-before.pem"
cp "$W/issuing.pem" "$W/issuing-before.pem"
ca_pem() {
  "$PY" -c '
import base64, sqlite3, sys, textwrap
db = sqlite3.connect(sys.argv[1])
der = db.execute("SELECT certificate_der FROM cas WHERE name = ? AND tenant_id = (SELECT id FROM tenants WHERE name = ?)",
                 (sys.argv[3], sys.argv[2])).fetchone()[0]
print("-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64)) + "\n-----END CERTIFICATE-----")' "$D/fleetpki.db" "$1" "$2"
}
ca_pem acme root >"$W/acme-root-before.pem"
ca_pem acme issuing >"$W/acme-issuing-before.pem"
t "acme's CA certificates read from the database" openssl verify -CAfile "$W/acme-root-before.pem" "$W/acme-issuing-before.pem"

keys_json "$D" >"$W/keys-before.json"
t "keys list --json: CA, OCSP responder, audit and server TLS keys, all software" "$PY" - "$W/keys-before.json" <<'PYEOF'
import json, sys
keys = json.load(open(sys.argv[1]))
owners = [k["owner"] for k in keys]
assert owners.count("ca") >= 6, owners                       # root, issuing, manufacturing x 2 tenants
assert owners.count("ocsp-responder") >= 1, owners
assert owners.count("audit") == 1 and owners.count("server-tls") == 1, owners
assert {k["tenant"] for k in keys if k["owner"] == "ca"} == {"default", "acme"}, keys
for k in keys:
    assert k["backend"] == "software" and k["reference"].startswith("software:"), k
    assert (k["tenant"] is None) == (k["owner"] in ("audit", "server-tls")), k
PYEOF
fpk list-text keys list --data "$D"
t "keys list (text): a header and one line per key" bash -c \
  "head -1 '$O/list-text.out' | grep -q 'TENANT *OWNER *NAME *BACKEND *REFERENCE' &&
   [ \$(( \$(wc -l <'$O/list-text.out') - 1 )) = \$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' '$W/keys-before.json') ]"
MIGRATING=$("$PY" -c 'import json,sys; print(sum(k["owner"] != "server-tls" for k in json.load(open(sys.argv[1]))))' "$W/keys-before.json")
fpk help keys migrate-to-token --help
t "migrate-to-token --help documents the flags" bash -c \
  "grep -q -- --pkcs11-token '$O/help.out' && grep -q -- --dry-run '$O/help.out' && grep -q -- --remove-software-keys '$O/help.out' && grep -q Ed25519 '$O/help.out'"

# === refusals change nothing ===================================================================
state "$D" >"$W/state-0"
FLEETPKI_PKCS11_PIN=$PIN fpk dry keys migrate-to-token --data "$D" --pkcs11-token "$LABEL" --dry-run
t "--dry-run exits 0" test "$rc" = 0
t "--dry-run prints the plan: one line per key to import" bash -c \
  "grep -q 'dry run' '$O/dry.out' && [ \$(grep -c 'import as token object' '$O/dry.out') = $MIGRATING ]"
t "--dry-run leaves the server TLS key out of the plan" bash -c "! grep -q server-tls '$O/dry.out'"
state "$D" >"$W/state-1"
t "--dry-run: references, config.json, key files and audit log unchanged" cmp "$W/state-0" "$W/state-1"
t "--dry-run: no object in the token" test "$(private_keys "$LABEL")" = 0

FLEETPKI_PKCS11_PIN=$BADPIN fpk badpin keys migrate-to-token --data "$D" --pkcs11-token "$LABEL"
t "a wrong PIN exits 1" test "$rc" = 1
t "a wrong PIN: 'PKCS#11 login failed for token'" grep -q "PKCS#11 login failed for token '$LABEL'" "$O/badpin.err"
t "a wrong PIN: one line on stderr" test "$(wc -l <"$O/badpin.err")" = 1
fpk nopin keys migrate-to-token --data "$D" --pkcs11-token "$LABEL"
t "no PIN at all exits 1 naming FLEETPKI_PKCS11_PIN" bash -c "[ $rc = 1 ] && grep -q FLEETPKI_PKCS11_PIN '$O/nopin.err'"
FLEETPKI_PKCS11_PIN=$PIN fpk notoken keys migrate-to-token --data "$D"
t "no --pkcs11-token while config.json names none: usage error, exit 2" test "$rc" = 2
state "$D" >"$W/state-2"
t "wrong PIN / no PIN / no token: nothing changed" cmp "$W/state-0" "$W/state-2"

# An Ed25519 CA key (the CLI makes none: written in the vault's format, acme's issuing CA pointed at it).
ED=acme-ed25519-test
openssl genpkey -algorithm ed25519 -aes-256-cbc -pass "pass:$(passphrase "$D" "$ED")" -out "$D/keys/$ED.p8" 2>/dev/null
chmod 600 "$D/keys/$ED.p8"
ACME_ISSUING_REF=$("$PY" -c '
import json, sys
print([k["reference"] for k in json.load(open(sys.argv[1])) if k["tenant"] == "acme" and k["owner"] == "ca" and k["name"] == "issuing"][0])' "$W/keys-before.json")
set_acme_issuing_ref() {
  "$PY" -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE cas SET key_ref = ? WHERE name = ? AND tenant_id = (SELECT id FROM tenants WHERE name = ?)", (sys.argv[2], "issuing", "acme"))
db.commit()' "$D/fleetpki.db" "$1"
}
set_acme_issuing_ref "software:$ED"
state "$D" >"$W/state-ed-0"
FLEETPKI_PKCS11_PIN=$PIN fpk ed25519 keys migrate-to-token --data "$D" --pkcs11-token "$LABEL"
t "an Ed25519 CA key is refused: exit 1" test "$rc" = 1
t "the refusal names the key, Ed25519 and 'nothing was changed'" bash -c \
  "grep -q 'CA key of acme/issuing is an ED25519 key' '$O/ed25519.err' && grep -q 'nothing was changed' '$O/ed25519.err'"
state "$D" >"$W/state-ed-1"
t "Ed25519 refusal: nothing changed" cmp "$W/state-ed-0" "$W/state-ed-1"
t "Ed25519 refusal: no object in the token" test "$(private_keys "$LABEL")" = 0
set_acme_issuing_ref "$ACME_ISSUING_REF"
rm -f "$D/keys/$ED.p8"
t "(acme's issuing CA key reference restored)" cmp "$W/state-0" <(state "$D")

# === the migration ============================================================================
fpk migrate keys migrate-to-token --data "$D" --pkcs11-token "$LABEL" --pkcs11-module "$MODULE" \
  --pkcs11-pin-file "$FP_TMP/pin"
if [ "$rc" = 0 ]; then ok "keys migrate-to-token (PIN file) exits 0"; else fp_abort "keys migrate-to-token" "$(cat "$O/migrate.err")"; fi
t "summary: one 'migrated' line per key, naming owner, from and to" bash -c \
  "[ \$(grep -c '^migrated .*: software:.* -> pkcs11:token=$LABEL;' '$O/migrate.out') = $MIGRATING ]"
t "the software copies are reported on stderr as still holding the keys" bash -c \
  "grep -q 'still copies of keys now in the token' '$O/migrate.err' && [ \$(grep -c '\\.p8\$' '$O/migrate.err') = $MIGRATING ]"
keys_json "$D" >"$W/keys-after.json"
t "keys list: every CA, OCSP responder and audit key is a pkcs11: reference in the token, same label" \
  "$PY" - "$W/keys-before.json" "$W/keys-after.json" "$LABEL" <<'PYEOF'
import json, sys
before, after, label = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
key = lambda k: (k["tenant"] or "", k["owner"], k["name"])
assert sorted(map(key, before)) == sorted(map(key, after)), (before, after)
old = {key(k): k["reference"] for k in before}
for k in after:
    if k["owner"] == "server-tls":
        assert k["backend"] == "software" and k["reference"] == old[key(k)], k
        continue
    assert k["backend"] == "pkcs11", k
    ref = k["reference"]
    assert ref.startswith("pkcs11:token=%s;object=%s;id=" % (label, old[key(k)][len("software:"):])), (ref, old[key(k)])
    assert ref.endswith(";type=private"), ref
PYEOF
t "config.json: key_backend pkcs11, module, token, absolute PIN file, no PIN" "$PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["key_backend"] == "pkcs11", c
p = c["pkcs11"]
assert p == {"module": sys.argv[2], "token": sys.argv[3], "pin_file": sys.argv[4]}, p
assert c["https"] and c["http"], c  # the other fields are kept
assert sys.argv[5] not in open(sys.argv[1]).read()' "$D/config.json" "$MODULE" "$LABEL" "$FP_TMP/pin" "$PIN"

p11 "$LABEL" --list-objects --type privkey >"$W/objects.txt"
t "pkcs11-tool lists $MIGRATING private keys in the token" test "$(grep -c '^Private Key Object' "$W/objects.txt")" = "$MIGRATING"
t "every private key: sensitive, not extractable, usage sign only" \
  "$PY" "$(dirname "$0")/p11_private_keys.py" "$W/objects.txt" --imported
for lbl in $("$PY" -c 'import json,sys; [print(k["reference"][9:]) for k in json.load(open(sys.argv[1])) if k["owner"] != "server-tls"]' "$W/keys-before.json"); do
  grep -q "label: *$lbl\$" "$W/objects.txt" || no "token object labelled $lbl"
done
ok "each token object carries its software label"

"$FP" audit export --data "$D" >"$W/audit.jsonl" 2>&1
t "one key.migrate audit event per key: owner, from, to, SPKI SHA-256, no secret" "$PY" - "$W/audit.jsonl" "$W/keys-before.json" "$W/keys-after.json" "$PIN" <<'PYEOF'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
before, after, pin = json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), sys.argv[4]
ref = lambda keys: {(k["tenant"], k["owner"], k["name"]): k["reference"] for k in keys}
old, new = ref(before), ref(after)
moves = [e for e in events if e["action"] == "key.migrate"]
assert len(moves) == len(old) - 1, (len(moves), len(old))
for e in moves:
    d = e["details"]
    k = (e["tenant"], d["owner"], d["name"])
    assert d["from"] == old[k] and d["to"] == new[k], (d, old[k], new[k])
    assert len(d["spki_sha256"]) == 64 and e["actor"] == "cli", e
assert pin not in open(sys.argv[1]).read()
PYEOF

fpk checkpoint audit checkpoint --data "$D"
t "audit checkpoint over the key.migrate events, signed by the audit key in the token" bash -c \
  "[ $rc = 0 ] && grep -q '^checkpoint ' '$O/checkpoint.out'"
fpk verify0 audit verify --data "$D"
t "audit verify: intact after the migration (same pinned audit key)" bash -c \
  "[ $rc = 0 ] && grep -q 'audit log intact' '$O/verify0.out'"

# === re-runs, another token, removing the software copies ======================================
state "$D" >"$W/state-3"
fpk rerun keys migrate-to-token --data "$D" --pkcs11-token "$LABEL" --pkcs11-pin-file "$FP_TMP/pin"
t "a re-run exits 0" test "$rc" = 0
t "a re-run has nothing to migrate" grep -q '^nothing to migrate' "$O/rerun.out"
fpk rerun2 keys migrate-to-token --data "$D"
t "a re-run with the flags omitted (config.json names token and PIN file) exits 0" test "$rc" = 0
t "the re-runs changed nothing (no audit event either)" cmp "$W/state-3" <(state "$D")
FLEETPKI_PKCS11_PIN=$PIN fpk second keys migrate-to-token --data "$D" --pkcs11-token "$LABEL2"
t "another token than config.json's is refused: exit 1" test "$rc" = 1
t "the refusal names both tokens" grep -q "config.json keeps the CA keys in PKCS#11 token '$LABEL': refusing to migrate into a second token '$LABEL2'" "$O/second.err"
t "(nothing in the second token)" test "$(private_keys "$LABEL2")" = 0
fpk remove keys migrate-to-token --data "$D" --remove-software-keys
t "--remove-software-keys exits 0" test "$rc" = 0
t "--remove-software-keys removes one .p8 per migrated key" test "$(grep -c '^removed the software copy ' "$O/remove.out")" = "$MIGRATING"
t "DIR/keys now holds only the server TLS key" test "$(ls "$D/keys")" = "server-tls.p8"
t "references unchanged by the removal" cmp "$W/keys-after.json" <(keys_json "$D")

# === signing in the token, against the CA certificates from before ============================
t "the CA certificate files are unchanged" bash -c "cmp -s '$W/root-before.pem' '$D/root-ca.pem' && cmp -s '$W/chain-before.pem' '$D/ca-chain.pem'"
mkdir -p "$W/in" "$W/out"
fp_make_csr p384 "$W/in/after-batch.csr" "/CN=after-batch" >/dev/null 2>&1
rm -f "$W/in/after-batch.csr.key" "$W/in/after-batch.csr.err"
fpk issue issue --data "$D" --tenant default --profile tls-client --csr-dir "$W/in" --out "$W/out"
t "fleetpki issue after the migration (PIN file from config.json, no .p8 left) exits 0" test "$rc" = 0
t "its certificate verifies against the CA certificates saved before the migration" \
  openssl verify -CAfile "$W/root-before.pem" -untrusted "$W/issuing-before.pem" "$W/out/after-batch.crt"
fp_start_server "$D" 2>"$FP_TMP/start2.err" || fp_abort "serve after the migration" "$(cat "$FP_TMP/start2.err")"
ok "serve starts on the token (server TLS key still software)"
fp_make_csr p256 "$W/after.csr" "/CN=after-migration" >/dev/null 2>&1
code=$(fp_issue tls-client "$W/after.csr" "$W/after.json")
t "REST issuance after the migration = 201" test "$code" = 201
fp_json "$W/after.json" certificate >"$W/after.pem"
t "the REST certificate verifies against the CA certificates from before (openssl verify)" \
  openssl verify -CAfile "$W/root-before.pem" -untrusted "$W/issuing-before.pem" "$W/after.pem"
fpk acme-issue issue --data "$D" --tenant acme --profile tls-client --csr-dir "$W/in" --out "$W/out-acme"
t "tenant acme issues through the token too, verified against its CA certificates from before" \
  openssl verify -CAfile "$W/acme-root-before.pem" -untrusted "$W/acme-issuing-before.pem" "$W/out-acme/after-batch.crt"
openssl ocsp -url "http://$HTTP/ocsp" -timeout 10 -issuer "$W/issuing-before.pem" -cert "$W/after.pem" \
  -CAfile "$W/root-before.pem" >"$W/ocsp-after.txt" 2>&1
t "OCSP signed by the migrated responder key: Response verify OK, good" \
  bash -c "grep -q 'Response verify OK' '$W/ocsp-after.txt' && grep -q ': good' '$W/ocsp-after.txt'"
fp_stop_server || no "serve stops on SIGTERM"
fpk verify audit verify --data "$D"
t "audit verify after serve on the token (its checkpoints signed in the token)" bash -c \
  "[ $rc = 0 ] && grep -q 'audit log intact' '$O/verify.out'"

# === interruptions (second folder, second token) ==============================================
D2=$FP_TMP/data2
fpk init2 init --data "$D2"
[ "$rc" = 0 ] || fp_abort "init a second software folder" "$(cat "$O/init2.err")"
keys_json "$D2" >"$W/keys2-before.json"
ROOT2=$("$PY" -c 'import json,sys; print([k["reference"][9:] for k in json.load(open(sys.argv[1])) if k["owner"] == "ca" and k["name"] == "root"][0])' "$W/keys2-before.json")
M2=$("$PY" -c 'import json,sys; print(sum(k["owner"] != "server-tls" for k in json.load(open(sys.argv[1]))))' "$W/keys2-before.json")
# Another key under the root key's label.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -outform DER -out "$W/other.der" 2>/dev/null
openssl pkey -inform DER -in "$W/other.der" -pubout -outform DER -out "$W/other.pub.der" 2>/dev/null
p11 "$LABEL2" --write-object "$W/other.der" --type privkey --label "$ROOT2" --id 0a0b --usage-sign --sensitive >/dev/null
p11 "$LABEL2" --write-object "$W/other.pub.der" --type pubkey --label "$ROOT2" --id 0a0b >/dev/null
state "$D2" >"$W/state2-0"
FLEETPKI_PKCS11_PIN=$PIN fpk clash keys migrate-to-token --data "$D2" --pkcs11-token "$LABEL2"
t "a token object with the root key's label but another key is refused: exit 1" test "$rc" = 1
t "the refusal says the token holds another key under that label" grep -q "already holds another key labelled '$ROOT2'" "$O/clash.err"
t "the clash changed nothing" cmp "$W/state2-0" <(state "$D2")
t "…and imported nothing (the token holds only the foreign key)" test "$(private_keys "$LABEL2")" = 1
p11 "$LABEL2" --delete-object --type privkey --label "$ROOT2" >/dev/null
p11 "$LABEL2" --delete-object --type pubkey --label "$ROOT2" >/dev/null

# Stopped after the imports: config.json cannot be replaced (a folder where its temp file should go).
mkdir "$D2/config.json.tmp"
FLEETPKI_PKCS11_PIN=$PIN fpk stopped keys migrate-to-token --data "$D2" --pkcs11-token "$LABEL2"
t "a run that cannot write config.json exits 1" bash -c "[ $rc = 1 ] && grep -q 'config.json' '$O/stopped.err'"
t "…after importing every key into the token" test "$(private_keys "$LABEL2")" = "$M2"
t "…leaving references, config.json, key files and audit log as they were" cmp "$W/state2-0" <(state "$D2")
rmdir "$D2/config.json.tmp"
mkdir -p "$W/in2" "$W/out2a" "$W/out2b"
cp "$W/in/after-batch.csr" "$W/in2/"
fpk issue2a issue --data "$D2" --tenant default --profile tls-client --csr-dir "$W/in2" --out "$W/out2a"
t "the folder still issues with its software keys" \
  openssl verify -CAfile "$D2/root-ca.pem" -untrusted "$D2/ca-chain.pem" "$W/out2a/after-batch.crt"
# A commit that fails (a test trigger refuses the key.migrate events): config.json is put back.
sql2() { "$PY" -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute(sys.argv[2]); db.commit()' "$D2/fleetpki.db" "$1"; }
sql2 "CREATE TRIGGER fp_test_block BEFORE INSERT ON audit_events WHEN NEW.action = 'key.migrate' BEGIN SELECT RAISE(ABORT, 'blocked by the test'); END"
state "$D2" >"$W/state2-1"
FLEETPKI_PKCS11_PIN=$PIN fpk blocked keys migrate-to-token --data "$D2" --pkcs11-token "$LABEL2"
t "a failed commit exits 1" bash -c "[ $rc = 1 ] && grep -q 'switching the key references' '$O/blocked.err'"
t "…and puts config.json back: nothing in the folder changed" cmp "$W/state2-1" <(state "$D2")
sql2 "DROP TRIGGER fp_test_block"
# The state after a death between config.json and the commit: config.json on the token.
"$PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))
c["key_backend"] = "pkcs11"
c["pkcs11"] = {"module": sys.argv[2], "token": sys.argv[3], "pin_file": None}
open(sys.argv[1], "w").write(json.dumps(c, indent=2) + "\n")' "$D2/config.json" "$MODULE" "$LABEL2"
FLEETPKI_PKCS11_PIN=$PIN fpk issue2b issue --data "$D2" --tenant default --profile tls-client --csr-dir "$W/in2" --out "$W/out2b"
t "mixed state (config.json on the token, references still software) still issues" \
  openssl verify -CAfile "$D2/root-ca.pem" -untrusted "$D2/ca-chain.pem" "$W/out2b/after-batch.crt"
FLEETPKI_PKCS11_PIN=$PIN fpk resume keys migrate-to-token --data "$D2"
t "the re-run (token from config.json) exits 0" test "$rc" = 0
t "the re-run reuses every imported object" test "$(grep -c '(token object from an earlier run)$' "$O/resume.out")" = "$M2"
t "…and imports nothing twice" test "$(private_keys "$LABEL2")" = "$M2"
t "…and switches every reference to the token" "$PY" -c '
import json, sys
for k in json.load(open(sys.argv[1])):
    assert (k["owner"] == "server-tls") == k["reference"].startswith("software:"), k
    assert k["owner"] == "server-tls" or k["reference"].startswith("pkcs11:token=" + sys.argv[2] + ";"), k' \
  <(keys_json "$D2") "$LABEL2"
FLEETPKI_PKCS11_PIN=$PIN fpk verify2 audit verify --data "$D2"
t "audit verify on the resumed folder" test "$rc" = 0

# === the PIN in no output, no file ============================================================
t "the PIN and the wrong PIN appear in no fleetpki output" bash -c "! grep -r -a -q -e '$PIN' -e '$BADPIN' '$O' '$FP_TMP'/server.*"
t "the PIN is in no file of the data folders" bash -c "! grep -r -a -q -e '$PIN' '$D' '$D2'"

fp_finish
