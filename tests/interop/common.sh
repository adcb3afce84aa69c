# Shared helpers of the interop tests; sourced, never run. Bash with `set -u`.
#
#   . "$(dirname "$0")/common.sh"
#   fp_require_binary                 # FP must be an executable fleetpki (fails the test clearly)
#   fp_start_server "$FP_TMP/data"    # sets HTTPS, HTTP (HOST:PORT), SERVER_PID, DATA, TOKEN
#   fp_issue tls-client csr.pem out.json   # echoes the HTTP status
#   fp_json out.json serial           # prints one top-level field
#   t "name" cmd args…                # counts a check; fp_finish prints "N passed, M failed"
#
# Servers bind 127.0.0.1:0 and are found through their "… listening on HOST:PORT" lines. Cleanup
# (trap on EXIT) kills only the server PIDs this script started and removes its temp folder.
# shellcheck shell=bash disable=SC2034

FP_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FLEETPKI_SOURCE_DIR=${FLEETPKI_SOURCE_DIR:-$(cd "$FP_HERE/../.." && pwd)}
FP=${FP:-$FLEETPKI_SOURCE_DIR/build/bin/fleetpki}
# Debian's python3 has python3-cryptography; a pyenv python3 earlier on PATH may not.
PY=${FLEETPKI_PYTHON:-/usr/bin/python3}
CHECK_PROFILE="$FP_HERE/check_profile.py"
# Seconds to wait for a server's listening lines (init creates keys on first start).
FP_START_TIMEOUT=${FP_START_TIMEOUT:-60}

FP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/fleetpki-interop.XXXXXX")
FP_PIDS=()
pass=0
fail=0
HTTPS=""
HTTP=""
SERVER_PID=""
DATA=""
TOKEN=""

# Never route 127.0.0.1 through a proxy from the environment.
export NO_PROXY='*' no_proxy='*'
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

fp_cleanup() {
  local pid
  for pid in "${FP_PIDS[@]+"${FP_PIDS[@]}"}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null
      fp_wait_exit "$pid" 10 || kill -9 "$pid" 2>/dev/null
    fi
  done
  if [ -n "${FP_KEEP_TMP:-}" ]; then
    echo "kept $FP_TMP"
  else
    rm -rf "$FP_TMP"
  fi
}
trap fp_cleanup EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); echo "ok   $1"; }
no() {
  fail=$((fail + 1))
  echo "FAIL $1"
  if [ $# -gt 1 ] && [ -n "$2" ]; then printf '%s\n' "$2" | sed 's/^/     | /' | head -20; fi
}
# t NAME CMD…: runs CMD, counts ok/FAIL; on failure shows CMD's output.
t() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$name"; else no "$name" "$out"; fi
}
# fp_finish: the last line of every script.
fp_finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
  exit $?
}
# fp_abort MSG: a failure that makes the rest pointless.
fp_abort() {
  no "$1" "${2:-}"
  fp_finish
}

fp_require_binary() {
  if [ ! -x "$FP" ]; then
    fp_abort "fleetpki binary not found or not executable at FP=$FP (build it: make build)"
  fi
  local tool
  for tool in openssl curl; do
    command -v "$tool" >/dev/null 2>&1 || fp_abort "$tool is not installed (scripts/install-deps.sh)"
  done
  "$PY" -c 'import cryptography' 2>/dev/null ||
    fp_abort "$PY lacks python3-cryptography (apt-get install python3-cryptography, or set FLEETPKI_PYTHON)"
}

# fp_wait_exit PID SECONDS: bounded wait for a process to end. Returns 1 if still alive.
# fp_softhsm_setup: a throw-away SoftHSM2 token directory under $FP_TMP/softhsm, selected through
# SOFTHSM2_CONF (exported); sets MODULE (the PKCS#11 module, $FLEETPKI_PKCS11_MODULE or SoftHSM2's)
# and aborts when softhsm2-util, pkcs11-tool or the module is missing. Callers init their tokens.
fp_softhsm_setup() {
  MODULE=${FLEETPKI_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
  local tool
  for tool in softhsm2-util pkcs11-tool; do
    command -v "$tool" >/dev/null 2>&1 || fp_abort "$tool is not installed (scripts/install-deps.sh)"
  done
  [ -r "$MODULE" ] || fp_abort "PKCS#11 module $MODULE is missing (apt-get install softhsm2)"
  H=$FP_TMP/softhsm
  mkdir -p "$H/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$H/tokens" >"$H/softhsm2.conf"
  export SOFTHSM2_CONF=$H/softhsm2.conf
}

fp_wait_exit() {
  local pid=$1 i n=$(($2 * 10))
  for ((i = 0; i < n; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  ! kill -0 "$pid" 2>/dev/null
}

# fp_start_server DIR [extra serve flags…]: starts `fleetpki serve` on 127.0.0.1:0 ports, waits
# (bounded) for both listening lines, sets HTTPS, HTTP, SERVER_PID, DATA, TOKEN. Returns 1 on failure.
fp_start_server() {
  local dir=$1 log i
  shift
  log="$FP_TMP/server.$((${#FP_PIDS[@]} + 1))"
  DATA=$dir
  HTTPS=""
  HTTP=""
  "$FP" serve --data "$dir" --https 127.0.0.1:0 --http 127.0.0.1:0 "$@" >"$log.out" 2>"$log.err" &
  SERVER_PID=$!
  FP_PIDS+=("$SERVER_PID")
  for ((i = 0; i < FP_START_TIMEOUT * 10; i++)); do
    HTTPS=$(sed -n 's/^https listening on \([^ ]*\)[[:space:]]*$/\1/p' "$log.out" | head -1)
    HTTP=$(sed -n 's/^http listening on \([^ ]*\)[[:space:]]*$/\1/p' "$log.out" | head -1)
    [ -n "$HTTPS" ] && [ -n "$HTTP" ] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "fleetpki serve exited early; stderr:" >&2
      sed 's/^/     | /' "$log.err" >&2
      return 1
    fi
    sleep 0.1
  done
  if [ -z "$HTTPS" ] || [ -z "$HTTP" ]; then
    echo "no listening lines within ${FP_START_TIMEOUT}s; stdout/stderr:" >&2
    sed 's/^/     | /' "$log.out" "$log.err" >&2
    return 1
  fi
  TOKEN=$(tr -d '\r\n' <"$dir/admin.token" 2>/dev/null)
  return 0
}

# fp_stop_server: SIGTERM to the current server, bounded wait; returns 1 if it had to be killed.
fp_stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill "$SERVER_PID" 2>/dev/null
  if ! fp_wait_exit "$SERVER_PID" 20; then
    kill -9 "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
    return 1
  fi
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
  return 0
}

# fp_curl ARGS…: curl to the HTTPS listener trusting DATA/ca-chain.pem; no proxies, bounded time.
fp_curl() {
  curl -sS --noproxy '*' --max-time 30 --cacert "$DATA/ca-chain.pem" "$@"
}

# fp_request METHOD PATH OUT [curl args…]: prints the status code; body in OUT, headers in OUT.h.
fp_request() {
  local method=$1 path=$2 out=$3
  shift 3
  fp_curl -X "$method" -o "$out" -D "$out.h" -w '%{http_code}' "$@" "https://$HTTPS$path"
}

# fp_make_request PROFILE CSRFILE > JSON: the issuance request body.
fp_make_request() {
  "$PY" -c 'import json,sys; print(json.dumps({"profile": sys.argv[1], "csr": open(sys.argv[2]).read()}))' "$1" "$2"
}

# fp_issue PROFILE CSRFILE OUT [TENANT]: POSTs the CSR with the admin token; prints the status.
fp_issue() {
  local profile=$1 csr=$2 out=$3 tenant=${4:-default}
  fp_make_request "$profile" "$csr" >"$out.req"
  fp_request POST "/api/v1/tenants/$tenant/certificates" "$out" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary @"$out.req"
}

# fp_json FILE FIELD: prints a top-level JSON field (strings raw, null as "null", others as JSON).
fp_json() {
  "$PY" -c '
import json, sys
v = json.load(open(sys.argv[1]))[sys.argv[2]]
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

# fp_count_certs [QUERY]: follows next_cursor through GET …/certificates?QUERY and prints the number
# of items (distinct serials; a repeated serial across pages is an error). Prints ERR… on failure.
# The items seen are left in $FP_TMP/listed as "serial status profile" lines.
fp_count_certs() {
  local query=${1:-} cursor="" code page=0 f="$FP_TMP/list"
  : >"$f.serials"
  while :; do
    local q=$query
    [ -n "$cursor" ] && q="${q:+$q&}cursor=$cursor"
    code=$(fp_request GET "/api/v1/tenants/default/certificates${q:+?$q}" "$f.json" \
      -H "Authorization: Bearer $TOKEN" 2>/dev/null)
    if [ "$code" != 200 ]; then echo "ERR(status $code)"; return 1; fi
    cursor=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d.get("items"), list), "items is not a list"
assert "next_cursor" in d, "next_cursor missing"
with open(sys.argv[2], "a") as out:
    for it in d["items"]:
        out.write("%s %s %s\n" % (it["serial"], it.get("status"), it.get("profile")))
c = d["next_cursor"]
assert c is None or (isinstance(c, str) and c), "next_cursor must be a non-empty string or null"
print("" if c is None else c)' "$f.json" "$f.serials") || { echo "ERR(bad list body)"; return 1; }
    [ -z "$cursor" ] && break
    page=$((page + 1))
    if [ "$page" -gt 10000 ]; then echo "ERR(cursor loop)"; return 1; fi
  done
  cp "$f.serials" "$FP_TMP/listed"
  if [ "$(cut -d' ' -f1 "$f.serials" | sort | uniq -d | wc -l)" -ne 0 ]; then echo "ERR(duplicate serials)"; return 1; fi
  wc -l <"$f.serials" | tr -d ' '
}

# fp_health: prints the status code of GET /api/v1/health (no token).
fp_health() {
  fp_curl -o /dev/null -w '%{http_code}' "https://$HTTPS/api/v1/health" 2>/dev/null
}

# fp_make_csr KIND OUT SUBJ [openssl req args…]: KIND = p256|p384|ed25519|rsa2048|rsa1024|secp256k1.
# Writes OUT (PEM CSR) and OUT.key.
fp_make_csr() {
  local kind=$1 out=$2 subj=$3
  shift 3
  local -a key
  case $kind in
    p256) key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
    p384) key=(-newkey ec -pkeyopt ec_paramgen_curve:P-384) ;;
    secp256k1) key=(-newkey ec -pkeyopt ec_paramgen_curve:secp256k1) ;;
    ed25519) key=(-newkey ed25519) ;;
    rsa2048) key=(-newkey rsa:2048) ;;
    rsa1024) key=(-newkey rsa:1024) ;;
    *) echo "fp_make_csr: unknown key kind $kind" >&2; return 1 ;;
  esac
  openssl req -new "${key[@]}" -nodes -keyout "$out.key" -subj "$subj" -out "$out" "$@" 2>"$out.err"
}

# fp_problem FILE STATUS: asserts an application/problem+json body with the five RFC 9457 members
# and "status" = STATUS (FILE.h holds the response headers).
fp_problem() {
  local f=$1 want=$2
  grep -qi '^content-type:[[:space:]]*application/problem+json' "$f.h" ||
    { echo "content type is not application/problem+json:"; grep -i '^content-type' "$f.h"; return 1; }
  "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, dict), "problem body is not an object"
for k in ("type", "title", "status", "detail", "request_id"):
    assert k in d, "problem lacks %r: %r" % (k, d)
assert d["status"] == int(sys.argv[2]), "status member %r, want %s" % (d["status"], sys.argv[2])
assert isinstance(d["detail"], str) and d["detail"], "empty detail"
' "$f" "$want"
}
