#!/usr/bin/env bash
# Start both Glewlwyd servers in the background and wait for their discovery documents.
#   strict: http://127.0.0.1:4601   lax: http://127.0.0.1:4602   (issuer <base>/api/oidc)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

die() { echo "glewlwyd/start.sh: $*" >&2; exit 1; }

for mode in "${MODES[@]}"; do
    [[ -s "$STATE/$mode.conf" && -s "$STATE/$mode.sqlite3" ]] \
        || die "not set up: run $HERE/setup.sh first"
done
command -v glewlwyd >/dev/null || die "glewlwyd not installed: run $HERE/setup.sh first"

for mode in "${MODES[@]}"; do
    gl_start "$mode" || { tail -n 5 "$STATE/logs/$mode.log" >&2; die "cannot start the $mode server"; }
done
for mode in "${MODES[@]}"; do
    gl_wait "$mode" /api/oidc/.well-known/openid-configuration || die "$mode server not ready"
done
