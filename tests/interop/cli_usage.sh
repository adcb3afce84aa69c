#!/usr/bin/env bash
# The fleetpki command line as a user meets it: --help everywhere (exit 0, usage on stdout), unknown
# flags and subcommands and missing required flags are usage errors (exit 2, message on stderr).
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
fp_require_binary

# run_fp WANT-RC NAME ARGS…: runs fleetpki (bounded by timeout) and checks its exit code.
run_fp() {
  local want=$1 name=$2 rc
  shift 2
  timeout 20 "$FP" "$@" >"$FP_TMP/out" 2>"$FP_TMP/err" </dev/null
  rc=$?
  if [ "$rc" = "$want" ]; then
    ok "$name: exit $want"
  else
    no "$name: exit $want (got $rc)" "$(head -c 600 "$FP_TMP/out" "$FP_TMP/err")"
  fi
}

run_fp 0 "fleetpki --help" --help
t "fleetpki --help names the subcommands init, serve, token, issue" bash -c \
  "for c in init serve token issue; do grep -qw \"\$c\" '$FP_TMP/out' || { echo \"no \$c in --help\"; exit 1; }; done"
for cmd in "init" "serve" "issue" "token" "token create"; do
  # shellcheck disable=SC2086 # word splitting of "token create" is wanted
  run_fp 0 "fleetpki $cmd --help" $cmd --help
  t "fleetpki $cmd --help prints usage on stdout" test -s "$FP_TMP/out"
done
t "serve --help documents --data, --https and --http" bash -c \
  "timeout 20 '$FP' serve --help | grep -q -- --data && timeout 20 '$FP' serve --help | grep -q -- --https && timeout 20 '$FP' serve --help | grep -q -- --http"
t "issue --help documents --csr-dir and --out" bash -c \
  "timeout 20 '$FP' issue --help | grep -q -- --csr-dir && timeout 20 '$FP' issue --help | grep -q -- --out"

run_fp 2 "unknown top-level flag" --no-such-flag
t "unknown top-level flag: message on stderr" test -s "$FP_TMP/err"
run_fp 2 "unknown subcommand" no-such-command
run_fp 2 "serve --no-such-flag" serve --data "$FP_TMP/never" --no-such-flag
t "serve with a usage error creates no data dir" test ! -e "$FP_TMP/never"
run_fp 2 "init --no-such-flag" init --data "$FP_TMP/never" --no-such-flag
run_fp 2 "token create --no-such-flag" token create --data "$FP_TMP/never" --tenant default --role operator --no-such-flag
run_fp 2 "issue --no-such-flag" issue --data "$FP_TMP/never" --tenant default --profile tls-client --csr-dir "$FP_TMP" --out "$FP_TMP/o" --no-such-flag
run_fp 2 "issue without --csr-dir (required)" issue --data "$FP_TMP/never" --tenant default --profile tls-client --out "$FP_TMP/o"
t "usage errors create no data dir" test ! -e "$FP_TMP/never"

fp_finish
