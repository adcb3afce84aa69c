#!/usr/bin/env bash
# The role and tenant isolation matrix of REST v1 (issue #4): every documented route against every
# role of a tenant and an admin of another tenant — refusals are 403/404 problem+json with no side
# effect in the database, permitted reads are 200, no credential is 401. See role_matrix.py.
set -u
. "$(dirname "$0")/common.sh"
fp_require_binary
fp_start_server "$FP_TMP/data" || fp_abort "server did not start"
"$PY" "$FP_HERE/role_matrix.py" "$HTTPS" "$DATA" "$TOKEN" "$FLEETPKI_SOURCE_DIR/docs/api/openapi.json"
