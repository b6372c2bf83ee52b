#!/usr/bin/env bash
# Stop the Glewlwyd servers started by start.sh (by their pid files). No error if not running.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

for mode in "${MODES[@]}"; do
    gl_stop "$mode"
done
