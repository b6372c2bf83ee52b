#!/usr/bin/env bash
# Stop the DOT servers started by start.sh (by their pid files). No error if not running.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="$HERE/state/run"

stop_one() {  # $1 mode
    local pidfile="$RUN/$1.pid" pid i
    [[ -s "$pidfile" ]] || { rm -f "$pidfile"; return 0; }
    pid="$(cat "$pidfile")"
    # Only signal the process (gunicorn master, or the mutants front) start.sh launched under this name.
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "dotserver-$1 "; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

stop_one hardened
stop_one permissive
stop_one permissive-tls
stop_one mfa
stop_one mutants-front
stop_one mutants
stop_one mutants-plain
