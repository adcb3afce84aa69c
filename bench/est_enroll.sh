#!/usr/bin/env bash
# Issue #5, point 7: EST enrollments per second, each device on a FRESH mutual-TLS connection
# (ECDSA P-256 IDevID client certificate) doing one simpleenroll, as a ratio to the limit measured
# in the same run:
#   (a) mutual-TLS handshakes per second between the SAME client (bench/est_enroll_load.cpp) and
#       `openssl s_server -WWW -Verify 2 -partial_chain` (S_SERVERS processes, one port each), with
#       the chain and the number of TLS 1.3 tickets fleetpki sends (probed with s_client), the same
#       IDevIDs, TLS 1.3 and client threads; each connection also fetches a file of the size of an
#       enrollment answer;
#   (b) the skeleton's sign+verify limit: BM_Limit_VerifyPlusSign of issuance_bench (raw P-256
#       verify + sign), 2 threads (both cores);
#   combined per enrollment as 1 / (1/a + 1/b): an enrollment needs one handshake AND one
#   verify+sign, each measured as the whole machine's throughput, so their times per item add up.
# Rounds are interleaved (handshake, enroll, limit, fleetpki handshake / the reverse, …); the
# summary gives the median of each and the ratio median(enroll) / combined(median a, median b),
# plus the median of the per-round ratios. Goals: ratio >= 0.6 and >= 1,000 enrollments/s.
# docs/benchmarks.md ("Issue #5: EST enrollment") explains the method and the results.
#
# Material (N devices registered in tenant default, their IDevIDs from the idevid profile, a second
# P-256 key and its enrollment CSR each, an s_server certificate) is built once and cached under
# /tmp/fleetpki-est-bench/v<migrations>-<tool hash>-n<N>; every run enrolls on a copy of the cached
# data folder, each device at most once.
#
# Environment:
#   BIN (folder of fleetpki, est_enroll_load and issuance_bench; default build/bin), or FLEETPKI,
#     EST_LOAD, ISSUANCE_BENCH one by one; FLEETPKI_EST_CACHE (cache root)
#   DEVICES (N, default 30000), DURATION (s per run, default 8), ROUNDS (default 3), WARMUP (s, 1)
#   CLIENT_THREADS (default 16), SERVE_THREADS (fleetpki serve --threads, default 8)
#   S_SERVERS (default CLIENT_THREADS: s_server handles one connection at a time, so one process per
#     concurrent client keeps as many handshakes in flight as fleetpki has; 2 gave a 30% lower limit)
#   S_SERVER_TICKETS (s_server -num_tickets; default: as many as fleetpki sends)
#   TLS (1.3 or 1.2, default 1.3)
#   FPK_HANDSHAKE (default 1: each round also runs the same client against fleetpki's own mTLS
#     handshake + GET /.well-known/est/cacerts, for information: TLS/HTTP versus enrollment cost)
#   REFRESH=1 (rebuild the cache), PREPARE_ONLY=1 (build the cached material and stop),
#   KEEP=1 (keep the scratch folder), EST_SUMMARY=<file> (JSON results)
#   PERF=1 (after the rounds, one more enrollment run under `perf record --call-graph dwarf` of the
#     server; reports in the scratch folder, use with KEEP=1)
#   FPK_WHATIF_TICKETS / FPK_WHATIF_NO_ROOT / FPK_WHATIF_NO_TLS_VERIFY (what-if runs: fleetpki's TLS
#     changed through bench/est_tls_whatif.c, LD_PRELOAD into the server only; needs cc)
# Everything binds 127.0.0.1; only processes started here are stopped, by PID. Exit 1 if a run had
# errors or the answers do not check out; a missed goal is reported, not fatal.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/build/bin}"
FLEETPKI="${FLEETPKI:-$BIN/fleetpki}"
LOAD="${EST_LOAD:-$BIN/est_enroll_load}"
ISSUANCE_BENCH="${ISSUANCE_BENCH:-$BIN/issuance_bench}"
DEVICES="${DEVICES:-30000}"
DURATION="${DURATION:-8}"
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-1}"
CLIENT_THREADS="${CLIENT_THREADS:-16}"
SERVE_THREADS="${SERVE_THREADS:-8}"
S_SERVERS="${S_SERVERS:-$CLIENT_THREADS}"
TLS="${TLS:-1.3}"
FPK_HANDSHAKE="${FPK_HANDSHAKE:-1}"
PY=/usr/bin/python3

die() { echo "est_enroll: $*" >&2; exit 2; }
log() { echo "est_enroll: $*" >&2; }

missing=()
for t in openssl timeout sqlite3; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
[[ -x $PY ]] || missing+=("$PY")
((${#missing[@]} == 0)) || die "missing tools: ${missing[*]}"
for b in "$FLEETPKI" "$LOAD" "$ISSUANCE_BENCH"; do
  [[ -x $b ]] || die "no $b (build the fleetpki, est_enroll_load and issuance_bench targets first)"
done
if [[ ${PERF:-0} == 1 ]]; then command -v perf >/dev/null 2>&1 || die "PERF=1 needs perf"; fi

export NO_PROXY='*' no_proxy='*'
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

# ---- cached material ----------------------------------------------------------------------------
MIGRATIONS="$(find "$ROOT/src/store/migrations" -name '*.sql' | wc -l)"
MATERIAL_VERSION=1  # bump when the material below changes
TOOL_HASH="$( (sha256sum "$ROOT/bench/est_enroll_load.cpp"; echo "$MATERIAL_VERSION") | sha256sum | cut -c1-10)"
CACHE_ROOT="${FLEETPKI_EST_CACHE:-/tmp/fleetpki-est-bench}"
C="$CACHE_ROOT/v$MIGRATIONS-$TOOL_HASH-n$DEVICES"
if [[ ${REFRESH:-0} == 1 ]]; then rm -rf "$C"; fi
if [[ ! -f $C/.complete ]]; then
  rm -rf "$C"
  mkdir -p "$C"
  log "building the material for $DEVICES devices in $C (once)"
  t0=$(date +%s)
  "$LOAD" prepare --out "$C/mat" --count "$DEVICES" >"$C/prepare.json"
  "$FLEETPKI" init --data "$C/data" >"$C/init.log" 2>&1 || { cat "$C/init.log" >&2; die "fleetpki init failed"; }
  "$FLEETPKI" devices import --data "$C/data" --tenant default --file "$C/mat/devices.csv" >"$C/import.log" 2>&1 ||
    { cat "$C/import.log" >&2; die "devices import failed"; }
  "$FLEETPKI" issue --data "$C/data" --tenant default --profile idevid --csr-dir "$C/mat/idevid-csr" --out "$C/certs" \
    >"$C/issue.log" 2>&1 || { tail "$C/issue.log" >&2; die "IDevID issuance failed"; }
  "$FLEETPKI" issue --data "$C/data" --tenant default --profile tls-server --csr-dir "$C/mat/s_server-csr" \
    --out "$C/srv" >>"$C/issue.log" 2>&1 || { tail "$C/issue.log" >&2; die "s_server certificate issuance failed"; }
  n_certs="$(find "$C/certs" -name '*.crt' | wc -l)"
  ((n_certs == DEVICES)) || die "only $n_certs IDevIDs issued for $DEVICES devices (see $C/issue.log)"
  rm -rf "$C/mat/idevid-csr"
  touch "$C/.complete"
  log "material built in $(($(date +%s) - t0)) s: $(cat "$C/prepare.json")"
fi

if [[ ${PREPARE_ONLY:-0} == 1 ]]; then log "material ready in $C"; exit 0; fi

# ---- scratch, servers ---------------------------------------------------------------------------
W="$(mktemp -d /tmp/fleetpki-est-run.XXXXXX)"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$p" 2>/dev/null || true; done
  if [[ ${KEEP:-0} == 1 ]]; then echo "est_enroll: scratch kept: $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { # sum of utime+stime of the given PIDs
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}
TCK="$(getconf CLK_TCK)"

cp -a "$C/data" "$W/data"
# What-if runs (bench/est_tls_whatif.c, LD_PRELOAD into fleetpki only): proposed TLS changes measured
# without editing the server; s_server follows through the probe below.
WHATIF=""
PRELOAD=()
if [[ -n ${FPK_WHATIF_TICKETS:-}${FPK_WHATIF_NO_ROOT:-}${FPK_WHATIF_NO_TLS_VERIFY:-} ]]; then
  cc -O2 -shared -fPIC -o "$W/whatif.so" "$ROOT/bench/est_tls_whatif.c" -ldl -lssl -lcrypto || die "cannot build the what-if shim"
  PRELOAD=(env LD_PRELOAD="$W/whatif.so")
  WHATIF="WHAT-IF (fleetpki TLS changed by bench/est_tls_whatif.c: tickets=${FPK_WHATIF_TICKETS:-default} no_root=${FPK_WHATIF_NO_ROOT:-0} no_tls_verify=${FPK_WHATIF_NO_TLS_VERIFY:-0})"
  log "$WHATIF"
fi
"${PRELOAD[@]}" "$FLEETPKI" serve --data "$W/data" --https 127.0.0.1:0 --http 127.0.0.1:0 --threads "$SERVE_THREADS" \
  >"$W/server.out" 2>"$W/server.log" &
FPK_PID=$!
PIDS+=("$FPK_PID")
FPK_PORT=""
for _ in $(seq 1 300); do
  FPK_PORT="$(sed -n 's/^https listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$W/server.out" | head -n1)"
  [[ -n $FPK_PORT ]] && break
  kill -0 "$FPK_PID" 2>/dev/null || { tail -n 30 "$W/server.log" >&2; die "fleetpki serve died"; }
  sleep 0.1
done
[[ -n $FPK_PORT ]] || die "fleetpki serve printed no https listening line within 30 s"

# One enrollment by hand (device 0), checked with openssl: a certs-only PKCS#7 whose certificate
# names the device, from the issuing CA.
"$LOAD" run --mode enroll --port "$FPK_PORT" --material "$C/mat" --certs "$C/certs" --threads 1 \
  --duration 5 --first 0 --limit 1 --tls "$TLS" --save-first "$W/first.b64" >"$W/sanity.json"
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["ok"]==1 else 1)' "$W/sanity.json" ||
  { cat "$W/sanity.json" >&2; tail -n 20 "$W/server.log" >&2
    die "the sanity enrollment failed (stale cache after an init change? try REFRESH=1)"; }
SERIAL0="$(head -n1 "$C/mat/devices.csv" >/dev/null; sed -n 2p "$C/mat/devices.csv")"
"$PY" -c 'import base64, sys; open(sys.argv[2], "wb").write(base64.b64decode("".join(open(sys.argv[1]).read().split())))' \
  "$W/first.b64" "$W/first.p7" || die "the answer is not base64"
openssl pkcs7 -inform DER -in "$W/first.p7" -print_certs -out "$W/first.pem" 2>"$W/first.err" ||
  { cat "$W/first.err" >&2; die "the answer is not a DER PKCS#7"; }
subj="$(openssl x509 -in "$W/first.pem" -noout -subject -nameopt RFC2253)"
iss="$(openssl x509 -in "$W/first.pem" -noout -issuer -nameopt RFC2253)"
[[ $subj == *"$SERIAL0"* ]] || die "the LDevID subject '$subj' does not name device $SERIAL0"
[[ $iss == *"Issuing CA"* ]] || die "the LDevID issuer is '$iss', expected the issuing CA"
RESP_BYTES="$(wc -c <"$W/first.b64")"
log "sanity enrollment OK: $subj, issuer $iss, answer $RESP_BYTES bytes of base64"
NEXT=1  # the next unused device

# s_server: the same chain as fleetpki's TLS (its own P-256 leaf from the same issuing CA, then the
# certificates fleetpki sends after its leaf: today the issuing CA and the root), verifies the client's
# IDevID against the manufacturing CA as trust anchor (-Verify 2 -CAfile -partial_chain: one P-256
# signature, as fleetpki's IdevidVerifier, whose anchor is that CA with X509_V_FLAG_PARTIAL_CHAIN;
# without -partial_chain s_server would also verify the P-384 root's signature on the
# manufacturing CA), serves one file of the answer's size.
# What fleetpki's TLS sends, for s_server to do the same: the certificates after its leaf (today the
# issuing CA and the root) and the number of TLS 1.3 session tickets per connection (OpenSSL's
# default, 2). Tickets matter: OpenSSL 3.0 builds each ticket by re-decoding the session, so each
# one costs the server another d2i_X509 of the client certificate.
(sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$FPK_PORT" -showcerts >"$W/probe.txt" 2>&1 || true
awk '/-----BEGIN CERTIFICATE-----/{n++} n>=2 && /-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/' \
  "$W/probe.txt" >"$W/fpk-chain.pem"
FPK_CHAIN_CERTS=$(( $(grep -c 'BEGIN CERTIFICATE' "$W/fpk-chain.pem" || true) + 1 ))
((FPK_CHAIN_CERTS >= 2)) || die "could not read the certificate chain fleetpki sends"
FPK_TICKETS="$(grep -c 'Post-Handshake New Session Ticket' "$W/probe.txt" || true)"
S_SERVER_TICKETS="${S_SERVER_TICKETS:-$FPK_TICKETS}"
mkdir -p "$W/www"
head -c "$RESP_BYTES" /dev/zero | tr '\0' 'A' >"$W/www/est-bench.txt"
SS_PIDS=()
SS_PORTS=()
for i in $(seq 1 "$S_SERVERS"); do
  port="$(free_port)"
  (cd "$W/www" && exec openssl s_server -accept "127.0.0.1:$port" -cert "$C/srv/s_server.crt" -key "$C/mat/s_server.key" \
    -cert_chain "$W/fpk-chain.pem" -Verify 2 -CAfile "$C/data/manufacturing-ca.pem" -partial_chain -num_tickets "$S_SERVER_TICKETS" -WWW -quiet \
    </dev/null >"$W/s_server-$i.log" 2>&1) &
  SS_PIDS+=("$!")
  PIDS+=("$!")
  SS_PORTS+=("$port")
done
SS_PORT_LIST="$(IFS=,; echo "${SS_PORTS[*]}")"
sleep 0.5
for p in "${SS_PIDS[@]}"; do kill -0 "$p" 2>/dev/null || { cat "$W"/s_server-*.log >&2; die "s_server died"; }; done

# ---- runs ---------------------------------------------------------------------------------------
RESULTS="$W/results.jsonl"
: >"$RESULTS"

run_handshake() { # round duration
  local t0 t1
  t0="$(cpu_ticks "${SS_PIDS[@]}")"
  "$LOAD" run --mode handshake --port "$SS_PORT_LIST" --material "$C/mat" --certs "$C/certs" \
    --threads "$CLIENT_THREADS" --duration "$2" --tls "$TLS" --limit 2000 >"$W/run.json"
  t1="$(cpu_ticks "${SS_PIDS[@]}")"
  "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); r.update(kind="handshake", round=int(sys.argv[2]),
server_cpu_s=int(sys.argv[3])/int(sys.argv[4]), load=open("/proc/loadavg").read().split()[0]); print(json.dumps(r))' \
    "$W/run.json" "$1" "$((t1 - t0))" "$TCK" >>"$RESULTS"
}
run_fpk_handshake() { # round duration: fleetpki's own TLS + HTTP cost, same client, GET cacerts (no DB, no signing)
  local t0 t1
  t0="$(cpu_ticks "$FPK_PID")"
  "$LOAD" run --mode handshake --port "$FPK_PORT" --material "$C/mat" --certs "$C/certs" \
    --threads "$CLIENT_THREADS" --duration "$2" --tls "$TLS" --limit 2000 --file .well-known/est/cacerts >"$W/run.json"
  t1="$(cpu_ticks "$FPK_PID")"
  "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); r.update(kind="fpk_handshake", round=int(sys.argv[2]),
server_cpu_s=int(sys.argv[3])/int(sys.argv[4]), load=open("/proc/loadavg").read().split()[0]); print(json.dumps(r))' \
    "$W/run.json" "$1" "$((t1 - t0))" "$TCK" >>"$RESULTS"
}
EXPECT_RATE=3000  # enrollments/s assumed before the warm-up; then the fastest run seen
run_enroll() { # round duration
  local t0 t1 used limit
  ((NEXT < DEVICES)) || die "all $DEVICES devices are enrolled: raise DEVICES"
  # Load only the devices this run can use (loading costs about 0.5 ms of CPU per device).
  limit="$("$PY" -c 'import sys; r, d, left = map(float, sys.argv[1:4]); print(int(min(left, 2 * max(r, 300) * d + 200)))' \
    "$EXPECT_RATE" "$2" "$((DEVICES - NEXT))")"
  t0="$(cpu_ticks "$FPK_PID")"
  "$LOAD" run --mode enroll --port "$FPK_PORT" --material "$C/mat" --certs "$C/certs" --threads "$CLIENT_THREADS" \
    --duration "$2" --tls "$TLS" --first "$NEXT" --limit "$limit" >"$W/run.json"
  t1="$(cpu_ticks "$FPK_PID")"
  read -r used EXPECT_RATE < <("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1]))
print(r["used"], int(max(float(sys.argv[2]) if int(sys.argv[3]) else 0, r["rate"])))' "$W/run.json" "$EXPECT_RATE" "$1")
  "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1]))
if r["used"] >= r["devices_loaded"] and r["elapsed_s"] < float(sys.argv[2]) - 0.5:
    print("est_enroll: note: the loaded devices ran out after %.1f s" % r["elapsed_s"], file=sys.stderr)' "$W/run.json" "$2"
  "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); r.update(kind="enroll", round=int(sys.argv[2]),
server_cpu_s=int(sys.argv[3])/int(sys.argv[4]), devices_left=int(sys.argv[5]), load=open("/proc/loadavg").read().split()[0]);
print(json.dumps(r))' "$W/run.json" "$1" "$((t1 - t0))" "$TCK" "$((DEVICES - NEXT - used))" >>"$RESULTS"
  NEXT=$((NEXT + used))
}
run_limit() { # round
  "$ISSUANCE_BENCH" --benchmark_filter='BM_Limit_VerifyPlusSign' --benchmark_min_time=2 --benchmark_format=json \
    >"$W/limit.json" 2>"$W/limit.err" || { cat "$W/limit.err" >&2; die "issuance_bench failed"; }
  "$PY" - "$W/limit.json" "$1" >>"$RESULTS" <<'PYEOF'
import json, re, sys
gb = json.load(open(sys.argv[1]))
r = {"kind": "limit", "round": int(sys.argv[2]), "load": open("/proc/loadavg").read().split()[0]}
for b in gb["benchmarks"]:
    m = re.search(r"threads:(\d+)", b["name"])
    if m and b.get("run_type", "iteration") == "iteration":
        r["threads_%s" % m.group(1)] = b["items_per_second"]
print(json.dumps(r))
PYEOF
}

log "$(date -u +%H:%M:%S) fleetpki on :$FPK_PORT (serve --threads $SERVE_THREADS; sends $FPK_CHAIN_CERTS certificates and $FPK_TICKETS tickets), $S_SERVERS s_server on $SS_PORT_LIST ($S_SERVER_TICKETS tickets)," \
  "$CLIENT_THREADS client threads, TLS $TLS, $ROUNDS rounds of $DURATION s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
ps -eo pcpu=,comm= --sort=-pcpu | head -n 4 | sed 's/^/est_enroll:   busiest: /' >&2
run_handshake 0 "$WARMUP"
run_enroll 0 "$WARMUP"
[[ $FPK_HANDSHAKE == 1 ]] && run_fpk_handshake 0 "$WARMUP"
for r in $(seq 1 "$ROUNDS"); do
  if ((r % 2 == 1)); then
    run_handshake "$r" "$DURATION"; run_enroll "$r" "$DURATION"; run_limit "$r"
    [[ $FPK_HANDSHAKE == 1 ]] && run_fpk_handshake "$r" "$DURATION"
  else
    [[ $FPK_HANDSHAKE == 1 ]] && run_fpk_handshake "$r" "$DURATION"
    run_limit "$r"; run_enroll "$r" "$DURATION"; run_handshake "$r" "$DURATION"
  fi
  log "round $r done: $(tail -n "$((3 + FPK_HANDSHAKE))" "$RESULTS" | "$PY" -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l)
    print(r["kind"], "%.0f/s" % r["rate"] if "rate" in r else "%.0f/s (2 threads)" % r.get("threads_2", 0), end="; ")')"
done

if [[ ${PERF:-0} == 1 ]]; then
  log "perf: one more enrollment run with perf record -g on the server"
  perf record -F 499 --call-graph dwarf,16384 -p "$FPK_PID" -o "$W/perf.data" -- sleep "$DURATION" >/dev/null 2>"$W/perf.err" &
  PERF_PID=$!
  PIDS+=("$PERF_PID")
  run_enroll 99 "$DURATION"
  wait "$PERF_PID" 2>/dev/null || true
  perf report -i "$W/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' |
    head -n 12 >"$W/perf-dso.txt" || true
  perf report -i "$W/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' |
    head -n 60 >"$W/perf-sym.txt" || true
  # Inclusive shares of the stages (libcrypto has no symbols: its time shows under its callers).
  perf report -i "$W/perf.data" --children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' |
    head -n 150 >"$W/perf-children.txt" || true
  log "perf reports: $W/perf-dso.txt, $W/perf-sym.txt, $W/perf-children.txt (set KEEP=1 to keep them)"
fi

# Certificates stored against the 200s counted (plus the sanity enrollment).
LDEVIDS="$(sqlite3 "$W/data/fleetpki.db" "SELECT count(*) FROM certificates WHERE profile = 'ldevid'" 2>/dev/null || echo -1)"
SERVER_ERRORS="$(grep -ciE '"level":"(error|warn)|\b(error|warning)\b' "$W/server.log" || true)"

"$PY" - "$RESULTS" "$LDEVIDS" "$SERVER_ERRORS" "${EST_SUMMARY:-}" "$W/perf-dso.txt" "$WHATIF" \
  "fleetpki serve --threads $SERVE_THREADS, sends $FPK_CHAIN_CERTS certificates and $FPK_TICKETS tickets; $S_SERVERS s_server with $S_SERVER_TICKETS tickets; $CLIENT_THREADS client threads; TLS $TLS; $DURATION s runs" <<'PYEOF'
import json, os, statistics, sys
path, ldevids, server_errors, summary_path, perf_dso, whatif, setup = sys.argv[1:8]
rows = [json.loads(l) for l in open(path)]
hs = [r for r in rows if r["kind"] == "handshake" and r["round"] >= 1]
en = [r for r in rows if r["kind"] == "enroll" and r["round"] >= 1 and r["round"] != 99]
fh = [r for r in rows if r["kind"] == "fpk_handshake" and r["round"] >= 1]
lim = [r for r in rows if r["kind"] == "limit"]
failed = False
med = statistics.median
a = med(r["rate"] for r in hs)
b = med(r["threads_2"] for r in lim)
b1 = med(r["threads_1"] for r in lim)
e = med(r["rate"] for r in en)
combined = 1 / (1 / a + 1 / b)
ratio = e / combined
by_round = {}
for r in rows:
    if r["round"] >= 1 and r["round"] != 99:
        by_round.setdefault(r["round"], {})[r["kind"]] = r
paired = []
for k in sorted(by_round):
    x = by_round[k]
    if all(kk in x for kk in ("handshake", "enroll", "limit")):
        paired.append(x["enroll"]["rate"] / (1 / (1 / x["handshake"]["rate"] + 1 / x["limit"]["threads_2"])))
for r in hs + en + fh + [r for r in rows if r["round"] in (0, 99)]:
    if r["errors"]:
        failed = True
total_ok = sum(r["ok"] for r in rows if r["kind"] == "enroll") + 1  # + the sanity enrollment

def verdict(ok):
    return "MET" if ok else "MISSED"

print("## EST enrollment benchmark (issue #5, point 7)%s" % ((" — " + whatif) if whatif else ""))
print()
print(setup)
print()
print("| run | round | rate /s | ok | errors | p50 ms | p99 ms | server CPU, cores | µs server CPU per item | client cores | load avg |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for r in rows:
    if r["kind"] == "limit":
        print("| sign+verify limit (1 / 2 threads) | %d | %.0f / %.0f | | | | | | | | %s |"
              % (r["round"], r["threads_1"], r["threads_2"], r["load"]))
        continue
    name = {"handshake": "s_server mTLS handshake", "enroll": "fleetpki simpleenroll",
            "fpk_handshake": "fleetpki mTLS handshake + GET cacerts"}[r["kind"]]
    if r["round"] == 0:
        name += " (warm-up)"
    if r["round"] == 99:
        name += " (under perf)"
    cores = r["server_cpu_s"] / r["elapsed_s"] if r["elapsed_s"] else 0
    per = 1e6 * r["server_cpu_s"] / r["ok"] if r["ok"] else 0
    print("| %s | %d | %.0f | %d | %d | %.2f | %.2f | %.2f | %.0f | %.2f | %s |"
          % (name, r["round"], r["rate"], r["ok"], r["errors"], r["p50_ms"], r["p99_ms"], cores, per,
             r["client_cores"], r["load"]))
print()
print("| figure | value |")
print("|---|---|")
print("| (a) mTLS handshakes/s, s_server, median | %.0f |" % a)
print("| (b) sign+verify limit/s, 2 threads, median (1 thread: %.0f) | %.0f |" % (b1, b))
print("| combined limit 1/(1/a + 1/b) | %.0f |" % combined)
def cpu_per(rs):
    return med(1e6 * r["server_cpu_s"] / r["ok"] for r in rs if r["ok"])
if fh:
    print("| (information) fleetpki mTLS handshake + GET cacerts/s, median (vs s_server: %.2f) | %.0f |"
          % (med(r["rate"] for r in fh) / a, med(r["rate"] for r in fh)))
    print("| (information) server CPU µs per item, median: s_server handshake / fleetpki handshake+cacerts / fleetpki enrollment | %.0f / %.0f / %.0f |"
          % (cpu_per(hs), cpu_per(fh), cpu_per(en)))
print("| (information) client CPU µs per item, median: s_server handshake / enrollment | %.0f / %.0f |"
      % (med(1e6 * r["client_cores"] * r["elapsed_s"] / r["ok"] for r in hs if r["ok"]),
         med(1e6 * r["client_cores"] * r["elapsed_s"] / r["ok"] for r in en if r["ok"])))
print("| enrollments/s, median | %.0f |" % e)
print("| **ratio** enroll / combined limit (median of per-round ratios: %s) | **%.2f** (%s) |"
      % (", ".join("%.2f" % p for p in paired), ratio, "%.2f" % med(paired) if paired else "-"))
print("| goal ratio >= 0.6 | %s |" % verdict(ratio >= 0.6))
print("| goal >= 1,000 enrollments/s | %s (%.0f/s) |" % (verdict(e >= 1000), e))
print("| LDevIDs stored / 200s counted | %s / %d |" % (ldevids, total_ok))
print("| error or warning lines in the server log | %s |" % server_errors)
first_errors = [r["first_error"] for r in rows if r.get("first_error")]
if first_errors:
    print()
    print("First error: `%s`" % first_errors[0])
if os.path.exists(perf_dso):
    print()
    print("perf, server samples by DSO:\n```\n%s```" % open(perf_dso).read())
if int(ldevids) >= 0 and int(ldevids) < total_ok:
    failed = True
    print("\n**fewer LDevIDs stored than 200s counted**")
if summary_path:
    json.dump({"fpk_handshake_rate": med(r["rate"] for r in fh) if fh else None, "handshake_rate": a, "signverify_rate_2t": b, "signverify_rate_1t": b1, "combined_limit": combined,
               "enroll_rate": e, "ratio": ratio, "paired_ratios": paired, "failed": failed, "runs": rows,
               "ldevids_stored": int(ldevids), "ok_counted": total_ok}, open(summary_path, "w"), indent=1)
if failed:
    print("\n**FAILED: some runs had errors (see the table)**")
sys.exit(1 if failed else 0)
PYEOF
