#!/usr/bin/env bash
# All fleetpki benchmarks with their limit or peer measured in the same run (issue 2, point 9):
#  1. build/bin/issuance_bench (Google Benchmark): in-process durable issuance against the limit
#     "one ECDSA P-256 verify + one P-256 sign" (BM_Limit_VerifyPlusSign), 1 and 2 threads;
#  2. bench/rest_vs_cfssl.sh: REST issuance over TLS against `cfssl serve`, both under wrk -t1 -c8.
# Prints markdown. Exit 1 if a benchmark failed (errors, skipped runs); a missed goal is reported, not fatal.
#
# Environment: MIN_TIME (s per benchmark, default 2), ISSUANCE_BENCH (binary), and those of rest_vs_cfssl.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${ISSUANCE_BENCH:-$ROOT/build/bin/issuance_bench}"
MIN_TIME="${MIN_TIME:-2}"
PY=/usr/bin/python3
[[ -x $BENCH ]] || { echo "run_all: no $BENCH (build first: make build)" >&2; exit 2; }
[[ -x $PY ]] || { echo "run_all: $PY missing" >&2; exit 2; }

T="$(mktemp -d /tmp/fleetpki-bench.XXXXXX)"
trap 'rm -rf "$T"' EXIT

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "run_all: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $LOAD_BEFORE" >&2
# The load average decays slowly (a build that ended a minute ago still shows); the busiest
# processes tell whether something else is running now.
awk '{ if ($1 > 1.0) print "run_all: note: load average " $1 " > 1; busiest processes now:" }' /proc/loadavg >&2
ps -eo pcpu=,comm= --sort=-pcpu | head -n 3 | sed 's/^/run_all:   /' >&2

# Google Benchmark 1.7.1: --benchmark_min_time is a plain number of seconds.
"$BENCH" --benchmark_format=json --benchmark_min_time="$MIN_TIME" --benchmark_out="$T/issuance.json" \
  --benchmark_out_format=json >/dev/null 2>"$T/issuance.err" \
  || { cat "$T/issuance.err" >&2; echo "run_all: issuance_bench failed" >&2; exit 1; }
LOAD_AFTER_GB="$(cut -d' ' -f1-3 /proc/loadavg)"
# Raw P-256 sign/verify speed of this machine right now (context for the limit; PEERS.md section 1).
openssl speed -seconds 2 ecdsap256 2>/dev/null | grep '256 bits ecdsa' >"$T/speed.txt" || true

rest_rc=0
REST_SUMMARY="$T/rest.json" bash "$ROOT/bench/rest_vs_cfssl.sh" >"$T/rest.md" 2>"$T/rest.err" || rest_rc=$?
LOAD_AFTER_REST="$(cut -d' ' -f1-3 /proc/loadavg)"

"$PY" - "$T/issuance.json" "$T/rest.json" "$T/rest.md" "$T/rest.err" "$rest_rc" \
  "$LOAD_BEFORE" "$LOAD_AFTER_GB" "$LOAD_AFTER_REST" "$T/speed.txt" <<'PYEOF'
import json, os, re, sys
gb_file, rest_file, rest_md, rest_err, rest_rc, load0, load1, load2, speed_file = sys.argv[1:10]
gb = json.load(open(gb_file))
failed = False
runs = {}
for b in gb["benchmarks"]:
    if b.get("run_type", "iteration") != "iteration":
        continue
    if b.get("error_occurred"):
        failed = True
        print("**%s failed: %s**" % (b["name"], b.get("error_message", "")))
        continue
    m = re.match(r"(BM_\w+)/.*threads:(\d+)", b["name"])
    if m:
        runs[(m.group(1), int(m.group(2)))] = b

def ips(name, threads):
    b = runs.get((name, threads))
    return b["items_per_second"] if b else float("nan")

def us(name, threads):  # wall time per item, all threads together
    return 1e6 / ips(name, threads)

lim1, lim2 = ips("BM_Limit_VerifyPlusSign", 1), ips("BM_Limit_VerifyPlusSign", 2)
iss1, iss2, iss8 = (ips("BM_Issue_DurableSqlite", t) for t in (1, 2, 8))
many1, many2 = ips("BM_IssueMany_DurableSqlite", 1), ips("BM_IssueMany_DurableSqlite", 2)
speed = open(speed_file).read().split()
sign_s = verify_s = float("nan")
if len(speed) >= 8:  # "256 bits ecdsa (nistp256) 0.0000s 0.0001s 34561.9 10632.5"
    sign_s, verify_s = float(speed[-2]), float(speed[-1])
csr1 = ips("BM_CsrParseAndVerify", 1)
ctx = gb.get("context", {})

def verdict(ok):
    return "MET" if ok else "MISSED"

print("## issuance_bench (in process), %s, %s CPUs, load average before %s, after %s"
      % (ctx.get("date", "?"), ctx.get("num_cpus", "?"), load0, load1))
print()
print("`openssl speed -seconds 2 ecdsap256` now: %.0f sign/s, %.0f verify/s, so verify+sign = %.1f µs "
      "(one core)" % (sign_s, verify_s, 1e6 / sign_s + 1e6 / verify_s))
print()
print("| benchmark | items/s | µs per item (wall, all threads) | bench-thread CPU / wall |")
print("|---|---:|---:|---:|")
for (name, t) in sorted(runs):
    b = runs[(name, t)]
    print("| %s threads:%d | %.0f | %.1f | %.2f |" % (name, t, ips(name, t), us(name, t), b["cpu_time"] / b["real_time"]))
print()
lim_scale = lim2 / lim1
iss_scale = iss2 / iss1
rows = [
    ("durable issuance / limit, 1 thread", iss1 / lim1, "%.0f / %.0f per s" % (iss1, lim1), ">= 0.7", verdict(iss1 / lim1 >= 0.7)),
    ("durable issuance / limit, 2 threads", iss2 / lim2, "%.0f / %.0f per s" % (iss2, lim2), ">= 0.7", verdict(iss2 / lim2 >= 0.7)),
    ("issuance scaling 2 threads / 1 thread", iss_scale, "%.0f / %.0f per s (limit scales %.2fx)" % (iss2, iss1, lim_scale),
     "near-linear: >= 0.9 x limit scaling (%.2f)" % (0.9 * lim_scale), verdict(iss_scale >= 0.9 * lim_scale)),
    ("durable issuance 8 threads / limit 2 threads (group commit)", iss8 / lim2, "%.0f / %.0f per s" % (iss8, lim2), "(information)", "-"),
    ("pipelined batch issue_many / limit, 1 thread", many1 / lim1, "%.0f / %.0f per s" % (many1, lim1), "(information: factory path)", "-"),
    ("pipelined batch issue_many / limit, 2 threads", many2 / lim2, "%.0f / %.0f per s" % (many2, lim2), "(information: factory path)", "-"),
    ("CSR parse+verify time / limit time (verify+sign)", lim1 / csr1, "%.1f µs / %.1f µs" % (1e6 / csr1, 1e6 / lim1),
     "(information; verify alone is %.2f of verify+sign by openssl speed)" % ((1 / verify_s) / (1 / verify_s + 1 / sign_s)), "-"),
]
print("| ratio | value | absolute | goal | verdict |")
print("|---|---:|---|---|---|")
for r in rows:
    print("| %s | %.2f | %s | %s | %s |" % (r[0], r[1], r[2], r[3], r[4]))
print()
print("## REST issuance against cfssl (load average after: %s)" % load2)
print(open(rest_md).read())
err = open(rest_err).read().strip()
rest = json.load(open(rest_file)) if os.path.exists(rest_file) else None
if rest is None:
    failed = True
    print("**rest_vs_cfssl.sh failed (exit %s):**\n```\n%s\n```" % (rest_rc, err))
elif int(rest_rc) != 0:
    failed = True
    print("**rest_vs_cfssl.sh reported failed runs or inconsistent storage (exit %s)**" % rest_rc)
print()
print("## Goals of issue 2, point 9")
print()
print("| goal | measured | verdict |")
print("|---|---|---|")
print("| (a) durable in-process issuance >= 0.7 x limit, 1 thread | %.2f | %s |" % (iss1 / lim1, verdict(iss1 / lim1 >= 0.7)))
print("| (a) durable in-process issuance >= 0.7 x limit, 2 threads | %.2f | %s |" % (iss2 / lim2, verdict(iss2 / lim2 >= 0.7)))
print("| (a) near-linear on two threads | %.2fx (limit %.2fx) | %s |" % (iss_scale, lim_scale, verdict(iss_scale >= 0.9 * lim_scale)))
print("| (a) same, pipelined batch (`issue_many`, factory path), 1 / 2 threads | %.2f / %.2f (scaling %.2fx) | %s / %s |"
      % (many1 / lim1, many2 / lim2, many2 / many1, verdict(many1 / lim1 >= 0.7), verdict(many2 / lim2 >= 0.7)))
if rest:
    print("| (b) REST over TLS, durable >= 1.5 x cfssl serve (no DB), wrk -t1 -c8 | %.2f (%.0f vs %.0f req/s) | %s |"
          % (rest["ratio"], rest["fleetpki"]["rps_median"], rest["cfssl"]["rps_median"],
             "FAILED RUNS" if rest["failed"] else verdict(rest["ratio"] >= 1.5)))
sys.exit(1 if failed else 0)
PYEOF
