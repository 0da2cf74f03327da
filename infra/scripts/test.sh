#!/usr/bin/env bash
# `npm test`: installs what is missing (pnpm, node_modules, PostgreSQL, nats-server), builds, and
# runs Jest once for the whole monorepo. Arguments go to Jest: `npm test -- -t 'dedup'`.
# Exits with Jest's exit code.
#
# PostgreSQL: PG_ADMIN_URL (superuser) is found or provided by ensure_postgres and exported for the
# test harness; set VIGIL_TEST_PG_ADMIN_URL to point the harness elsewhere (then this script
# leaves PostgreSQL alone). NATS: the harness starts its own private nats-servers, so the binary
# must be installed (no shared server is needed or started).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$VIGIL_ROOT"

ensure_pnpm
ensure_deps
if [[ -n "${VIGIL_TEST_PG_ADMIN_URL:-}" ]]; then
  vlog "VIGIL_TEST_PG_ADMIN_URL is set; not checking the local PostgreSQL"
else
  ensure_postgres
fi
# The harness starts a private nats-server per test file: only the binary is needed, no shared server.
ensure_nats_binary
build_all

log "jest${*:+ $*}"
results="$VIGIL_STATE/jest-results.json"
mkdir -p "$VIGIL_STATE"
rm -f "$results"
set +e
pnpm exec jest --json --outputFile="$results" "$@"
rc=$?
set -e
# One plain closing line that any CI can read, from Jest's own counts.
if [[ -f "$results" ]]; then
  node -e 'const r = require(process.argv[1]); console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));' "$results"
fi
exit "$rc"
