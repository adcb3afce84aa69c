#!/usr/bin/env bash
# OCSP benchmarks of issue 3 point 6:
#  (a) responses per second over keep-alive HTTP, `wrk -t1 -c8` POSTing one fixed nonce-less DER
#      request (SHA-1 CertID of a good certificate), side by side in one run with the peers of
#      docs PEERS.md 5(b)/(c) on equivalent data (CERTS certificates of one P-256 CA, P-256 responder):
#        - fleetpki serve            (delegated responder, pre-signed answers in memory)
#        - cfssl ocspserve           (pre-signed answers from `cfssl ocspsign`, in memory)
#        - openssl ocsp -port        (index.txt + -rsigner, signs every answer), run in its own
#                                    network namespace with only loopback (`unshare -rn`), wrk
#                                    without its probe connection (bench/wrk/ocsp.lua WRK_NOPROBE=1)
#                                    because `openssl ocsp` spins forever on a connection that
#                                    sends nothing; stopped by PID after each run.
#      Runs are interleaved (fleetpki, cfssl, openssl, fleetpki, ...); the table shows the median of
#      RUNS runs of DURATION seconds. Goal: fleetpki >= 3 x the faster peer. Any non-200 answer,
#      non-successful OCSP status or socket error makes the run FAILED (exit 1).
#  (c) freshness: FRESH revocations through REST (POST …/revoke, keyCompromise) and FRESH_CLI through
#      `fleetpki revoke` (another process: seen by the responder's poll, not its listener); for
#      each, the time from the revocation returning to the first "revoked" answer to the (previously
#      cached) nonce-less OCSP request, polled in a tight loop over one keep-alive connection
#      (python3-cryptography parses every answer). Goal: < 1 s (max over the revocations).
#
# Environment: DURATION (s, default 10), RUNS (default 3), WARMUP (s, default 2), CONNS (default 8),
#   CERTS (certificates per system, default 100), FRESH (REST revocations, default 20), FRESH_CLI
#   (CLI revocations, default 5),
#   FLEETPKI (binary, default build/bin/fleetpki), FLEETPKI_THREADS (serve --threads, default: its
#   own default), KEEP=1 keeps the scratch folder, OCSP_SUMMARY=<file> also writes JSON results.
# Everything binds 127.0.0.1 (or the private namespace's loopback); only processes started here are
# stopped, by PID.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FLEETPKI="${FLEETPKI:-$ROOT/build/bin/fleetpki}"
OCSP_LUA="$ROOT/bench/wrk/ocsp.lua"
DURATION="${DURATION:-10}"
RUNS="${RUNS:-3}"
WARMUP="${WARMUP:-2}"
CONNS="${CONNS:-8}"
CERTS="${CERTS:-100}"
FRESH="${FRESH:-20}"
FRESH_CLI="${FRESH_CLI:-5}"
PY=/usr/bin/python3

die() { echo "ocsp_vs_peers: $*" >&2; exit 2; }

missing=()
for t in wrk cfssl cfssljson openssl curl unshare ip timeout; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
[[ -x $PY ]] || missing+=("$PY")
((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (scripts/install-deps.sh installs wrk and golang-cfssl)"
"$PY" -c 'import cryptography' 2>/dev/null || die "$PY lacks python3-cryptography"
[[ -x $FLEETPKI ]] || die "no fleetpki binary at $FLEETPKI (build first: make build)"
unshare -rn true 2>/dev/null || die "unshare -rn (a private network namespace) is not permitted here"
((FRESH >= 1 && FRESH + FRESH_CLI <= CERTS - 1)) || die "need FRESH >= 1 and FRESH + FRESH_CLI <= CERTS - 1"

export NO_PROXY='*' no_proxy='*'
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

W="$(mktemp -d /tmp/fleetpki-ocsp-bench.XXXXXX)"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$p" 2>/dev/null || true; done
  if [[ ${KEEP:-0} == 1 ]]; then echo "scratch kept: $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
alive_or_die() { # pid name log
  kill -0 "$1" 2>/dev/null || { echo "ocsp_vs_peers: $2 (pid $1) died; last log lines:" >&2; tail -n 30 "$3" >&2; exit 1; }
}
# ocsp_check RESPONSE_DER ISSUER CERT CAFILE [UNTRUSTED]: prints "good"/"revoked"/... after verification.
ocsp_check() {
  local extra=()
  [[ -n ${5:-} ]] && extra=(-verify_other "$5")
  openssl ocsp -respin "$1" -issuer "$2" -cert "$3" -CAfile "$4" "${extra[@]}" 2>&1 |
    awk '/Response verify OK/{v=1} /: (good|revoked|unknown)$/{s=$2} END{print (v ? s : "UNVERIFIED " s)}'
}
make_csrs() { # DIR COUNT PREFIX
  mkdir -p "$1"
  local i
  for i in $(seq 1 "$2"); do
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
      -subj "/CN=$3-$i/O=IoT" -out "$1/$3-$i.csr" 2>/dev/null
  done
}

echo "ocsp_vs_peers: preparing $CERTS certificates per system" >&2

# ---- fleetpki -----------------------------------------------------------------------------------
mkdir -p "$W/fleetpki"
FPK_DATA="$W/fleetpki/data"
"$FLEETPKI" init --data "$FPK_DATA" >"$W/fleetpki/init.log" 2>&1 || { cat "$W/fleetpki/init.log" >&2; die "fleetpki init failed"; }
make_csrs "$W/fleetpki/csr" "$CERTS" fpk
"$FLEETPKI" issue --data "$FPK_DATA" --profile tls-client --csr-dir "$W/fleetpki/csr" --out "$W/fleetpki/certs" \
  >"$W/fleetpki/issue.log" 2>&1 || { tail "$W/fleetpki/issue.log" >&2; die "fleetpki issue failed"; }
threads=()
[[ -n ${FLEETPKI_THREADS:-} ]] && threads=(--threads "$FLEETPKI_THREADS")
"$FLEETPKI" serve --data "$FPK_DATA" --https 127.0.0.1:0 --http 127.0.0.1:0 "${threads[@]}" \
  >"$W/fleetpki/server.out" 2>"$W/fleetpki/server.log" &
FPK_PID=$!
PIDS+=("$FPK_PID")
FPK_HTTP=""
for _ in $(seq 1 300); do
  FPK_HTTP="$(sed -n 's/^http listening on \([^ ]*\)$/\1/p' "$W/fleetpki/server.out" | head -n1)"
  FPK_HTTPS="$(sed -n 's/^https listening on \([^ ]*\)$/\1/p' "$W/fleetpki/server.out" | head -n1)"
  [[ -n $FPK_HTTP && -n $FPK_HTTPS ]] && break
  alive_or_die "$FPK_PID" "fleetpki serve" "$W/fleetpki/server.log"
  sleep 0.1
done
[[ -n $FPK_HTTP ]] || die "fleetpki serve printed no listening lines within 30 s"
awk '/BEGIN CERTIFICATE/{n++} n==1' "$FPK_DATA/ca-chain.pem" >"$W/fleetpki/issuing.pem"
FPK_CERT="$W/fleetpki/certs/fpk-1.crt"
[[ -s $FPK_CERT ]] || die "fleetpki issue wrote no $FPK_CERT"
openssl ocsp -issuer "$W/fleetpki/issuing.pem" -cert "$FPK_CERT" -no_nonce -reqout "$W/fleetpki/req.der" >/dev/null 2>&1
FPK_URL="http://$FPK_HTTP/ocsp"
curl -s -o "$W/fleetpki/first.der" -H 'Content-Type: application/ocsp-request' --data-binary @"$W/fleetpki/req.der" "$FPK_URL"
st="$(ocsp_check "$W/fleetpki/first.der" "$W/fleetpki/issuing.pem" "$FPK_CERT" "$FPK_DATA/root-ca.pem" "$W/fleetpki/issuing.pem")"
[[ $st == good ]] || die "fleetpki sanity answer: '$st', expected a verified good"

# ---- peers: one P-256 CA, a P-256 responder certificate (EKU OCSPSigning), CERTS certificates ------
P="$W/peers"
mkdir -p "$P"
cp "$ROOT/bench/cfssl/ca-csr.json" "$ROOT/bench/cfssl/config.json" "$P/"
(cd "$P" && cfssl gencert -initca ca-csr.json 2>/dev/null | cfssljson -bare ca)
echo '{"CN":"Bench OCSP responder","key":{"algo":"ecdsa","size":256}}' >"$P/ocsp-csr.json"
(cd "$P" && cfssl gencert -ca ca.pem -ca-key ca-key.pem -config config.json -profile ocsp ocsp-csr.json 2>/dev/null |
  cfssljson -bare ocsp)
[[ -s $P/ca.pem && -s $P/ocsp.pem ]] || die "cfssl made no CA or responder certificate"
make_csrs "$P/csr" "$CERTS" peer
mkdir -p "$P/certs"
: >"$P/index.txt"
: >"$P/responses.txt"
for i in $(seq 1 "$CERTS"); do
  openssl x509 -req -in "$P/csr/peer-$i.csr" -CA "$P/ca.pem" -CAkey "$P/ca-key.pem" -days 365 \
    -set_serial "0x$(openssl rand -hex 15 | sed 's/^[89a-f]/4/')" -out "$P/certs/peer-$i.pem" 2>/dev/null
  serial="$(openssl x509 -in "$P/certs/peer-$i.pem" -noout -serial | cut -d= -f2)"
  end="$(date -u -d "$(openssl x509 -in "$P/certs/peer-$i.pem" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)"
  printf 'V\t%s\t\t%s\tunknown\t/CN=peer-%s/O=IoT\n' "$end" "$serial" "$i" >>"$P/index.txt"
  (cd "$P" && cfssl ocspsign -ca ca.pem -responder ocsp.pem -responder-key ocsp-key.pem -cert "certs/peer-$i.pem" \
    -status good 2>/dev/null) | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["ocspResponse"])' >>"$P/responses.txt"
done
openssl ocsp -issuer "$P/ca.pem" -cert "$P/certs/peer-1.pem" -no_nonce -reqout "$P/req.der" >/dev/null 2>&1

# cfssl ocspserve (PEERS.md 5(b))
CF_PORT="$(free_port)"
(cd "$P" && exec cfssl ocspserve -address 127.0.0.1 -port "$CF_PORT" -responses responses.txt >"$P/cfssl.log" 2>&1) &
CF_PID=$!
PIDS+=("$CF_PID")
CF_URL="http://127.0.0.1:$CF_PORT/"
for _ in $(seq 1 100); do
  curl -s -o "$P/cfssl-first.der" -H 'Content-Type: application/ocsp-request' --data-binary @"$P/req.der" "$CF_URL" && break
  alive_or_die "$CF_PID" "cfssl ocspserve" "$P/cfssl.log"
  sleep 0.1
done
st="$(ocsp_check "$P/cfssl-first.der" "$P/ca.pem" "$P/certs/peer-1.pem" "$P/ca.pem")"
[[ $st == good ]] || die "cfssl sanity answer: '$st', expected a verified good"

# openssl ocsp (PEERS.md 5(c)): one script per run inside a fresh private network namespace.
cat >"$P/openssl_run.sh" <<'EOF'
# openssl_run.sh SECONDS OUT CONNS LUA: responder + wrk inside this namespace; prints RESULT and CPU.
set -u
secs=$1 out=$2 conns=$3 lua=$4
ip link set lo up
openssl ocsp -index index.txt -port 8891 -rsigner ocsp.pem -rkey ocsp-key.pem -CA ca.pem -ndays 1 >>openssl.log 2>&1 &
pid=$!
up=""
for _ in $(seq 1 100); do
  if curl -s --max-time 2 -o openssl-first.der -H 'Content-Type: application/ocsp-request' --data-binary @req.der \
       http://127.0.0.1:8891/; then up=1; break; fi
  sleep 0.05
done
if [ -z "$up" ]; then echo "openssl ocsp did not answer" >"$out"; kill "$pid"; kill -9 "$pid" 2>/dev/null; exit 1; fi
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
WRK_BODY=req.der WRK_NOPROBE=1 timeout $((secs + 20)) wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$lua" \
  http://127.0.0.1:8891/ >"$out" 2>&1
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
echo "CPU_TICKS $((t1 - t0))" >>"$out"
kill "$pid" 2>/dev/null
sleep 0.2
kill -9 "$pid" 2>/dev/null  # it may spin on wrk's last idle connection (openssl#31129)
wait "$pid" 2>/dev/null
exit 0
EOF
(cd "$P" && timeout 60 unshare -rn bash openssl_run.sh 1 "$P/openssl-sanity.txt" 1 "$OCSP_LUA") ||
  { cat "$P/openssl-sanity.txt" >&2; die "openssl ocsp sanity run failed"; }
st="$(ocsp_check "$P/openssl-first.der" "$P/ca.pem" "$P/certs/peer-1.pem" "$P/ca.pem")"
[[ $st == good ]] || die "openssl ocsp sanity answer: '$st', expected a verified good"

# ---- (a) load ---------------------------------------------------------------------------------------
TCK="$(getconf CLK_TCK)"
RES="$W/results.tsv"
: >"$RES"
record() { # name out ticks load
  local line
  line="$(grep '^RESULT ' "$2" || true)"
  [[ -n $line ]] || { cat "$2" >&2; die "wrk printed no RESULT line for $1"; }
  [[ $1 == *-warmup ]] && return 0
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$line" "$3" "$4" "$(sed -n 's/^FIRST_ERROR //p' "$2" | head -n1)" >>"$RES"
}
drive_local() { # name pid url body seconds out
  local load t0 t1
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  t0="$(cpu_ticks "$2")"
  WRK_BODY="$4" timeout $(($5 + 20)) wrk -t1 -c"$CONNS" -d"${5}s" --latency -s "$OCSP_LUA" "$3" >"$6" 2>&1 || true
  t1="$(cpu_ticks "$2")"
  alive_or_die "$2" "$1" "$W/fleetpki/server.log"
  record "$1" "$6" "$((t1 - t0))" "$load"
}
drive_openssl() { # name seconds out
  local load
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  (cd "$P" && timeout $(($2 + 60)) unshare -rn bash openssl_run.sh "$2" "$3" "$CONNS" "$OCSP_LUA") || true
  record "$1" "$3" "$(sed -n 's/^CPU_TICKS //p' "$3")" "$load"
}
echo "ocsp_vs_peers: warm-up ${WARMUP}s each, then $RUNS x ${DURATION}s per server, wrk -t1 -c$CONNS" >&2
drive_local fleetpki-warmup "$FPK_PID" "$FPK_URL" "$W/fleetpki/req.der" "$WARMUP" "$W/fleetpki/wrk-warmup.txt"
drive_local cfssl-warmup "$CF_PID" "$CF_URL" "$P/req.der" "$WARMUP" "$P/cfssl-wrk-warmup.txt"
drive_openssl openssl-warmup "$WARMUP" "$P/openssl-wrk-warmup.txt"
for i in $(seq 1 "$RUNS"); do
  drive_local fleetpki "$FPK_PID" "$FPK_URL" "$W/fleetpki/req.der" "$DURATION" "$W/fleetpki/wrk-$i.txt"
  drive_local cfssl "$CF_PID" "$CF_URL" "$P/req.der" "$DURATION" "$P/cfssl-wrk-$i.txt"
  drive_openssl openssl "$DURATION" "$P/openssl-wrk-$i.txt"
  echo "ocsp_vs_peers: run $i/$RUNS done" >&2
done
curl -s -o "$W/metrics.txt" "http://$FPK_HTTP/metrics" || true

# ---- (c) freshness -------------------------------------------------------------------------------------
TOKEN="$(tr -d '\r\n' <"$FPK_DATA/admin.token")"
: >"$W/fresh-jobs.txt"
for i in $(seq 2 $((FRESH + FRESH_CLI + 1))); do
  c="$W/fleetpki/certs/fpk-$i.crt"
  serial="$(openssl x509 -in "$c" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')"
  openssl ocsp -issuer "$W/fleetpki/issuing.pem" -cert "$c" -no_nonce -reqout "$W/fleetpki/fresh-$i.der" >/dev/null 2>&1
  mode=rest
  ((i > FRESH + 1)) && mode=cli
  echo "$mode $serial $W/fleetpki/fresh-$i.der" >>"$W/fresh-jobs.txt"
done
echo "ocsp_vs_peers: freshness, $FRESH REST and $FRESH_CLI CLI revocations" >&2
"$PY" - "$FPK_HTTPS" "$FPK_HTTP" "$TOKEN" "$FPK_DATA/ca-chain.pem" "$W/fresh-jobs.txt" "$W/fresh.json" \
  "$FLEETPKI" "$FPK_DATA" <<'PYEOF'
import http.client, json, ssl, subprocess, sys, time
from cryptography.x509 import ocsp
https, plain, token, cafile, jobs, out, fleetpki, data = sys.argv[1:9]
def split(hp):
    h, p = hp.rsplit(":", 1)
    return h, int(p)
ctx = ssl.create_default_context(cafile=cafile)
api = http.client.HTTPSConnection(*split(https), context=ctx, timeout=10)
oc = http.client.HTTPConnection(*split(plain), timeout=10)
def ask(req):
    oc.request("POST", "/ocsp", body=req, headers={"Content-Type": "application/ocsp-request"})
    r = oc.getresponse()
    data = r.read()
    resp = ocsp.load_der_ocsp_response(data)
    if resp.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return resp.response_status.name
    return resp.certificate_status.name
results = []
for line in open(jobs):
    mode, serial, reqfile = line.split()
    req = open(reqfile, "rb").read()
    assert ask(req) == "GOOD"
    assert ask(req) == "GOOD"  # now answered from the pre-signed cache
    t_call = time.perf_counter()
    if mode == "rest":
        api.request("POST", "/api/v1/tenants/default/certificates/%s/revoke" % serial,
                    body=json.dumps({"reason": "keyCompromise"}),
                    headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = api.getresponse()
        r.read()
        assert r.status == 200, r.status
    else:
        subprocess.run([fleetpki, "revoke", "--data", data, "--serial", serial, "--reason", "keyCompromise"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    t0 = time.perf_counter()
    polls = 0
    while True:
        polls += 1
        status = ask(req)
        if status == "REVOKED":
            break
        if time.perf_counter() - t0 > 5:
            raise SystemExit("still %s 5 s after the revocation of %s" % (status, serial))
    results.append({"mode": mode, "seconds": time.perf_counter() - t0, "polls": polls, "revoke_call_s": t0 - t_call})
json.dump(results, open(out, "w"))
PYEOF

# ---- report ---------------------------------------------------------------------------------------------
FPK_LOG_PROBLEMS="$(grep -ciE ' (error|fatal) ' "$W/fleetpki/server.log" || true)"
"$PY" - "$RES" "$TCK" "$DURATION" "$CONNS" "$CERTS" "$W/fresh.json" "$FPK_LOG_PROBLEMS" "${OCSP_SUMMARY:-}" <<'PYEOF'
import json, statistics, sys
res, tck, duration, conns, certs, fresh_file, log_problems, summary_out = sys.argv[1:9]
tck = int(tck)
runs = {"fleetpki": [], "cfssl": [], "openssl": []}
for line in open(res):
    name, result, ticks, load, first_err = line.rstrip("\n").split("\t")
    kv = dict(p.split("=", 1) for p in result.split()[1:])
    r = {k: (kv[k] if k == "statuses" else float(kv[k])) for k in kv}
    r["cores"] = (int(ticks) if ticks else 0) / tck / r["duration_s"]
    r["load"] = load
    r["first_error"] = first_err
    r["errors"] = int(r["non2xx"] + r["bad_body"] + r["sock_connect"] + r["sock_read"] + r["sock_write"] + r["sock_timeout"])
    runs[name].append(r)
out = {}
for name, rs in runs.items():
    med = lambda k: statistics.median(r[k] for r in rs)
    out[name] = {"rps_median": med("rps"), "rps_runs": [round(r["rps"]) for r in rs], "p50_ms": med("p50_ms"),
                 "p99_ms": med("p99_ms"), "server_cores": med("cores"), "errors": sum(r["errors"] for r in rs),
                 "loads": [r["load"] for r in rs],
                 "first_error": next((r["first_error"] for r in rs if r["first_error"]), "")}
fresh = json.load(open(fresh_file))
def fresh_stats(mode):
    fs = [f for f in fresh if f["mode"] == mode]
    if not fs:
        return None
    secs = sorted(f["seconds"] for f in fs)
    return {"count": len(secs), "p50_ms": 1000 * statistics.median(secs), "max_ms": 1000 * secs[-1],
            "mean_polls": statistics.mean(f["polls"] for f in fs),
            "revoke_call_p50_ms": 1000 * statistics.median(f["revoke_call_s"] for f in fs)}
out["freshness"] = fresh_stats("rest")
out["freshness_cli"] = fresh_stats("cli")
fresh_max_s = max(f["seconds"] for f in fresh)
best_peer = max(("cfssl", "openssl"), key=lambda n: out[n]["rps_median"])
ratio = out["fleetpki"]["rps_median"] / out[best_peer]["rps_median"]
failed = any(out[n]["errors"] for n in runs)
out.update({"ratio_vs_cfssl": out["fleetpki"]["rps_median"] / out["cfssl"]["rps_median"],
            "ratio_vs_openssl": out["fleetpki"]["rps_median"] / out["openssl"]["rps_median"],
            "best_peer": best_peer, "ratio_vs_best_peer": ratio, "goal_a_met": ratio >= 3 and not failed,
            "goal_c_met": fresh_max_s < 1.0, "failed": failed, "fleetpki_log_problem_lines": int(log_problems or 0)})
def row(name, label):
    o = out[name]
    rps = "FAILED (%d errors)" % o["errors"] if o["errors"] else "%.0f" % o["rps_median"]
    return "| %s | %s | %s | %.2f | %.2f | %.2f | %s |" % (label, rps, ", ".join(str(x) for x in o["rps_runs"]),
        o["p50_ms"], o["p99_ms"], o["server_cores"], "; ".join(o["loads"]))
print()
print("(a) OCSP, wrk -t1 -c%s POST of one nonce-less SHA-1 request (good), %d x %s s per server, interleaved; "
      "%s certificates per system; median run" % (conns, len(runs["fleetpki"]), duration, certs))
print()
print("| responder | resp/s (median) | runs | p50 ms | p99 ms | server CPU (cores) | load avg 1/5/15 before each run |")
print("|---|---:|---|---:|---:|---:|---|")
print(row("fleetpki", "fleetpki serve (pre-signed, delegated responder)"))
print(row("cfssl", "cfssl ocspserve (pre-signed by cfssl ocspsign)"))
print(row("openssl", "openssl ocsp -index -rsigner (signs each answer, own netns)"))
print()
verdict = "FAILED RUNS" if failed else ("MET" if ratio >= 3 else "MISSED")
print("**fleetpki / cfssl = %.2f, fleetpki / openssl = %.2f; vs the faster peer (%s) = %.2f** (goal >= 3): %s"
      % (out["ratio_vs_cfssl"], out["ratio_vs_openssl"], best_peer, ratio, verdict))
print()
for key, label in (("freshness", "REST revocations (listener wakes the follower)"),
                   ("freshness_cli", "`fleetpki revoke` in another process (seen by the 200 ms poll)")):
    f = out[key]
    if f is None:
        continue
    print("(c) freshness over %d %s: revocation returned -> OCSP 'revoked' on the pre-signed path: p50 %.1f ms, "
          "max %.1f ms, %.1f polls on average; the revocation call itself took %.1f ms (p50)"
          % (f["count"], label, f["p50_ms"], f["max_ms"], f["mean_polls"], f["revoke_call_p50_ms"]))
    print()
print("**freshness max %.1f ms** (goal < 1000 ms): %s" % (1000 * fresh_max_s, "MET" if out["goal_c_met"] else "MISSED"))
print()
print("- fleetpki server log lines with error/fatal: %d" % out["fleetpki_log_problem_lines"])
for name in runs:
    if out[name]["first_error"]:
        print("- %s first bad answer: %s" % (name, out[name]["first_error"]))
if summary_out:
    json.dump(out, open(summary_out, "w"), indent=1)
sys.exit(1 if failed else 0)
PYEOF
