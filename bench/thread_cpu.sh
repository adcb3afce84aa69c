#!/usr/bin/env bash
# CPU use of each thread of a benchmark process over a window, in cores (user + system time from
# /proc/PID/task/TID/stat), followed by the benchmark's own output lines. Shows whether threads
# wait (a thread under 1.0 core) and what a helper thread such as the GroupCommitter costs.
#
#   bash bench/thread_cpu.sh DELAY WINDOW -- COMMAND...
#   bash bench/thread_cpu.sh 6 6 -- build/bin/pkcs11_issuance_bench --benchmark_min_time=14 \
#        --benchmark_filter='IssueMany.*threads:2'
# DELAY seconds after the start (skip set-up), WINDOW seconds measured; the command must run longer
# than DELAY + WINDOW. Threads that start or end inside the window are not listed.
set -euo pipefail
[[ $# -ge 4 && $3 == -- ]] || { echo "usage: $0 DELAY WINDOW -- COMMAND..." >&2; exit 2; }
delay=$1 window=$2
shift 3
out=$(mktemp)
trap 'rm -f "$out" "$out.1" "$out.2"' EXIT
"$@" >"$out" 2>&1 &
pid=$!
snapshot() { for t in /proc/"$pid"/task/*; do echo "$(basename "$t") $(awk '{print $14 + $15}' "$t/stat")"; done | sort; }
sleep "$delay"
snapshot >"$out.1"
sleep "$window"
snapshot >"$out.2"
wait "$pid"
hz=$(getconf CLK_TCK)
join "$out.1" "$out.2" | awk -v w="$window" -v hz="$hz" '{ printf "thread %s: %.2f cores\n", $1, ($3 - $2) / hz / w }'
grep -E '^BM_' "$out" || cat "$out"
