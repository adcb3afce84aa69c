#!/usr/bin/env bash
# Runs the outside acceptance smoke test (../shared/acceptance/contract-smoke.sh next to the source
# tree) against this build. Exit 77 (ctest SKIP_RETURN_CODE) when that file is not there.
set -u
src=${FLEETPKI_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
smoke=$src/../shared/acceptance/contract-smoke.sh
if [ ! -f "$smoke" ]; then
  echo "skip: $smoke not found"
  echo "0 passed, 0 failed"
  exit 77
fi
FP=${FP:-$src/build/bin/fleetpki}
if [ ! -x "$FP" ]; then
  echo "FAIL fleetpki binary not found or not executable at FP=$FP (build it: make build)"
  echo "0 passed, 1 failed"
  exit 1
fi
# The smoke test expects to run from the project root with FP pointing at the binary.
cd "$src" || exit 1
FP=$FP exec bash "$smoke"
