#!/usr/bin/env bash
# REST issuance over TLS with durable storage (fleetpki serve) against `cfssl serve` (plain HTTP, no
# database), side by side in one run, both driven by `wrk -t1 -c8` with bench/wrk/post.lua.
# Goal (issue 2, point 9b): fleetpki req/s >= 1.5 x cfssl req/s.
#
# Runs are interleaved (fleetpki, cfssl, fleetpki, cfssl, ...) so that a change of machine load hits
# both; the table shows the median of RUNS runs of DURATION seconds each. A run with any non-2xx
# response, unexpected body or socket error is a FAILED run and the script exits 1.
#
# Environment: DURATION (s, default 10), RUNS (default 3), WARMUP (s, default 2), CONNS (default 8),
# FPK_SERVE_ARGS (extra flags for fleetpki serve, default none),
#   FLEETPKI (binary, default build/bin/fleetpki), KEEP=1 keeps the scratch folder,
#   REST_SUMMARY=<file> also writes the results as JSON (used by bench/run_all.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FLEETPKI="${FLEETPKI:-$ROOT/build/bin/fleetpki}"
POST_LUA="$ROOT/bench/wrk/post.lua"
DURATION="${DURATION:-10}"
RUNS="${RUNS:-3}"
WARMUP="${WARMUP:-2}"
CONNS="${CONNS:-8}"
PY=/usr/bin/python3

die() { echo "rest_vs_cfssl: $*" >&2; exit 2; }

missing=()
for t in wrk cfssl cfssljson openssl curl sqlite3; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
[[ -x $PY ]] || missing+=("$PY")
((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (run scripts/install-deps.sh: it installs wrk and golang-cfssl)"
[[ -x $FLEETPKI ]] || die "no fleetpki binary at $FLEETPKI (build first: make build)"

W="$(mktemp -d /tmp/fleetpki-rest-bench.XXXXXX)"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ ${KEEP:-0} == 1 ]]; then echo "scratch kept: $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
alive_or_die() { # pid name log
  kill -0 "$1" 2>/dev/null || { echo "rest_vs_cfssl: $2 (pid $1) died; last log lines:" >&2; tail -n 30 "$3" >&2; exit 1; }
}

# ---- fleetpki -----------------------------------------------------------------------------------
mkdir -p "$W/fleetpki"
# shellcheck disable=SC2086  # FPK_SERVE_ARGS is a list of extra flags (e.g. "--threads 16")
"$FLEETPKI" serve --data "$W/fleetpki/data" --https 127.0.0.1:0 --http 127.0.0.1:0 ${FPK_SERVE_ARGS:-} >"$W/fleetpki/server.log" 2>&1 &
FPK_PID=$!
PIDS+=("$FPK_PID")
FPK_ADDR=""
for _ in $(seq 1 200); do
  FPK_ADDR="$(sed -n 's/^https listening on \([^ ]*\)$/\1/p' "$W/fleetpki/server.log" | head -n1)"
  [[ -n $FPK_ADDR && -s $W/fleetpki/data/admin.token ]] && break
  alive_or_die "$FPK_PID" "fleetpki serve" "$W/fleetpki/server.log"
  sleep 0.1
done
[[ -n $FPK_ADDR ]] || die "fleetpki serve printed no 'https listening on HOST:PORT' line within 20 s"
[[ -s $W/fleetpki/data/admin.token ]] || die "no $W/fleetpki/data/admin.token"
TOKEN="$(tr -d '\r\n' <"$W/fleetpki/data/admin.token")"
FPK_URL="https://$FPK_ADDR/api/v1/tenants/default/certificates"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -subj "/CN=bench-device-0001/O=IoT" -out "$W/device.csr" 2>/dev/null
"$PY" - "$W" <<'PYEOF'
import json, sys
w = sys.argv[1]
pem = open(w + "/device.csr").read()
json.dump({"profile": "tls-client", "csr": pem}, open(w + "/fleetpki_body.json", "w"))
json.dump({"certificate_request": pem, "profile": "device"}, open(w + "/cfssl_body.json", "w"))
PYEOF

code="$(curl -sk -o "$W/fleetpki/first.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $TOKEN" --data-binary @"$W/fleetpki_body.json" "$FPK_URL")"
[[ $code == 201 ]] || { head -c 600 "$W/fleetpki/first.json" >&2; die "fleetpki sanity request: HTTP $code, expected 201"; }
FPK_DB="$W/fleetpki/data/fleetpki.db"
FPK_ROWS0="$(sqlite3 "$FPK_DB" 'SELECT count(*) FROM certificates;')"

# ---- cfssl (set-up of docs PEERS.md 5(b), no database) ----------------------------------------------
mkdir -p "$W/cfssl"
cp "$ROOT/bench/cfssl/ca-csr.json" "$ROOT/bench/cfssl/config.json" "$W/cfssl/"
(cd "$W/cfssl" && cfssl gencert -initca ca-csr.json 2>/dev/null | cfssljson -bare ca)
[[ -s $W/cfssl/ca.pem && -s $W/cfssl/ca-key.pem ]] || die "cfssl gencert -initca produced no CA"
CF_PORT="$(free_port)"
(cd "$W/cfssl" && exec cfssl serve -address 127.0.0.1 -port "$CF_PORT" -ca ca.pem -ca-key ca-key.pem \
  -config config.json >"$W/cfssl/server.log" 2>&1) &
CF_PID=$!
PIDS+=("$CF_PID")
CF_URL="http://127.0.0.1:$CF_PORT/api/v1/cfssl/sign"
code=000
for _ in $(seq 1 100); do
  code="$(curl -s -o "$W/cfssl/first.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$W/cfssl_body.json" "$CF_URL" || true)"
  [[ $code == 200 ]] && break
  alive_or_die "$CF_PID" "cfssl serve" "$W/cfssl/server.log"
  sleep 0.1
done
[[ $code == 200 ]] && grep -q '"success":true' "$W/cfssl/first.json" \
  || { head -c 600 "$W/cfssl/first.json" >&2; die "cfssl sanity request: HTTP $code"; }

# ---- load -----------------------------------------------------------------------------------------
TCK="$(getconf CLK_TCK)"
RES="$W/results.tsv"
: >"$RES"
drive() { # name pid url body expect seconds log -> RESULT line appended to $RES unless warm-up
  local name=$1 pid=$2 url=$3 body=$4 expect=$5 secs=$6 out=$7 auth=""
  [[ $name == fleetpki* ]] && auth="Bearer $TOKEN"
  local load t0 t1
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  t0="$(cpu_ticks "$pid")"
  WRK_BODY="$body" WRK_CT=application/json WRK_AUTH="$auth" WRK_EXPECT="$expect" \
    wrk -t1 -c"$CONNS" -d"${secs}s" --latency -s "$POST_LUA" "$url" >"$out" 2>&1 || true
  t1="$(cpu_ticks "$pid")"
  alive_or_die "$pid" "$name" "$W/${name%%-*}/server.log"
  local line
  line="$(grep '^RESULT ' "$out" || true)"
  [[ -n $line ]] || { cat "$out" >&2; die "wrk printed no RESULT line for $name"; }
  if [[ $name != *-warmup ]]; then
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$line" "$(( t1 - t0 ))" "$load" \
      "$(sed -n 's/^FIRST_ERROR //p' "$out" | head -n1)" >>"$RES"
  fi
}
echo "rest_vs_cfssl: warm-up ${WARMUP}s each, then $RUNS x ${DURATION}s per server, wrk -t1 -c$CONNS" >&2
drive fleetpki-warmup "$FPK_PID" "$FPK_URL" "$W/fleetpki_body.json" '"certificate"' "$WARMUP" "$W/fleetpki/wrk-warmup.txt"
drive cfssl-warmup "$CF_PID" "$CF_URL" "$W/cfssl_body.json" '"success":true' "$WARMUP" "$W/cfssl/wrk-warmup.txt"
FPK_ROWS_W="$(sqlite3 "$FPK_DB" 'SELECT count(*) FROM certificates;')"
for i in $(seq 1 "$RUNS"); do
  drive fleetpki "$FPK_PID" "$FPK_URL" "$W/fleetpki_body.json" '"certificate"' "$DURATION" "$W/fleetpki/wrk-$i.txt"
  drive cfssl "$CF_PID" "$CF_URL" "$W/cfssl_body.json" '"success":true' "$DURATION" "$W/cfssl/wrk-$i.txt"
  echo "rest_vs_cfssl: run $i/$RUNS done" >&2
done
FPK_ROWS1="$(sqlite3 "$FPK_DB" 'SELECT count(*) FROM certificates;')"

# server-side problems seen under load (fleetpki logs one line per event; cfssl logs every request)
FPK_LOG_WARN="$(grep -ciE 'error|warn|fatal|abort|exception' "$W/fleetpki/server.log" || true)"
FPK_LOG_FIRST="$(grep -iE 'error|warn|fatal|abort|exception' "$W/fleetpki/server.log" | head -n 3 | tr '\n' ' ' || true)"
CF_LOG_ERR="$(grep -cE '\[(ERROR|CRITICAL|FATAL)\]' "$W/cfssl/server.log" || true)"

"$PY" - "$RES" "$TCK" "$DURATION" "$CONNS" "$FPK_ROWS_W" "$FPK_ROWS1" "$FPK_LOG_WARN" "$FPK_LOG_FIRST" \
  "$CF_LOG_ERR" "${REST_SUMMARY:-}" <<'PYEOF'
import json, statistics, sys
res, tck, duration, conns, rows0, rows1, fpk_warn, fpk_first, cf_err, summary_out = sys.argv[1:11]
tck = int(tck); rows0 = int(rows0); rows1 = int(rows1)
runs = {"fleetpki": [], "cfssl": []}
for line in open(res):
    name, result, ticks, load, first_err = line.rstrip("\n").split("\t")
    kv = dict(p.split("=", 1) for p in result.split()[1:])
    r = {k: (kv[k] if k == "statuses" else float(kv[k])) for k in kv}
    r["cores"] = int(ticks) / tck / r["duration_s"]
    r["load"] = load
    r["first_error"] = first_err
    r["errors"] = int(r["non2xx"] + r["bad_body"] + r["sock_connect"] + r["sock_read"] + r["sock_write"] + r["sock_timeout"])
    runs[name].append(r)

def med(name, key):
    return statistics.median(r[key] for r in runs[name])

out = {}
for name in runs:
    rs = runs[name]
    out[name] = {
        "rps_median": med(name, "rps"), "rps_runs": [round(r["rps"], 1) for r in rs],
        "p50_ms": med(name, "p50_ms"), "p99_ms": med(name, "p99_ms"),
        "server_cores": med(name, "cores"), "errors": sum(r["errors"] for r in rs),
        "non2xx": int(sum(r["non2xx"] for r in rs)), "bad_body": int(sum(r["bad_body"] for r in rs)),
        "socket_errors": int(sum(r["sock_connect"] + r["sock_read"] + r["sock_write"] + r["sock_timeout"] for r in rs)),
        "statuses": [r["statuses"] for r in rs], "loads": [r["load"] for r in rs],
        "first_error": next((r["first_error"] for r in rs if r["first_error"]), ""),
        "failed_runs": sum(1 for r in rs if r["errors"] > 0),
    }
ratio = out["fleetpki"]["rps_median"] / out["cfssl"]["rps_median"]
counted_2xx = int(sum(int(s.split(":")[1]) for r in runs["fleetpki"] for s in r["statuses"].split(",")
                      if s != "none" and s.split(":")[0].startswith("2")))
stored = rows1 - rows0
# wrk stops with up to `conns` requests in flight per run; the server still commits those.
rows_ok = counted_2xx <= stored <= counted_2xx + int(conns) * len(runs["fleetpki"])
failed = out["fleetpki"]["errors"] > 0 or out["cfssl"]["errors"] > 0
out["ratio"] = ratio
out["goal_met"] = (ratio >= 1.5) and not failed
out["failed"] = failed
out["stored_rows"] = stored
out["counted_2xx"] = counted_2xx
out["rows_ok"] = rows_ok
out["fleetpki_log_problem_lines"] = int(fpk_warn or 0)
out["fleetpki_log_first"] = fpk_first
out["cfssl_log_error_lines"] = int(cf_err or 0)

def fmt(name, label):
    o = out[name]
    rps = "FAILED (%d errors)" % o["errors"] if o["errors"] else "%.0f" % o["rps_median"]
    return "| %s | %s | %s | %.2f | %.2f | %.2f | %d / %d / %d | %s |" % (
        label, rps, ", ".join("%.0f" % x for x in o["rps_runs"]), o["p50_ms"], o["p99_ms"], o["server_cores"],
        o["non2xx"], o["bad_body"], o["socket_errors"], "; ".join(o["loads"]))
print()
print("REST issuance, wrk -t1 -c%s, %d x %s s per server, interleaved; median run" % (conns, len(runs["fleetpki"]), duration))
print()
print("| server | req/s (median) | runs | p50 ms | p99 ms | server CPU (cores) | non-2xx / bad body / socket errors | load avg 1/5/15 before each run |")
print("|---|---:|---|---:|---:|---:|---|---|")
print(fmt("fleetpki", "fleetpki serve, HTTPS, durable SQLite (synchronous=FULL, group commit)"))
print(fmt("cfssl", "cfssl serve, plain HTTP, no database"))
print()
verdict = "FAILED RUNS" if failed else ("MET" if ratio >= 1.5 else "MISSED")
print("**ratio fleetpki/cfssl = %.2f** (goal >= 1.5): %s" % (ratio, verdict))
print()
print("- fleetpki certificates stored during the measured runs: %d; 201 responses counted by wrk: %d (%s)"
      % (stored, counted_2xx, "consistent" if rows_ok else "INCONSISTENT"))
print("- fleetpki server log lines matching error/warn/fatal: %d%s" % (out["fleetpki_log_problem_lines"],
      (" — first: " + fpk_first) if fpk_first else ""))
print("- cfssl server log [ERROR]/[CRITICAL] lines: %d" % out["cfssl_log_error_lines"])
for name in runs:
    if out[name]["first_error"]:
        print("- %s first error response: %s" % (name, out[name]["first_error"]))
if summary_out:
    json.dump(out, open(summary_out, "w"), indent=1)
sys.exit(1 if failed or not rows_ok else 0)
PYEOF
