#!/usr/bin/env bash
# Start both DOT servers in the background (gunicorn), wait for their discovery documents.
#   hardened:   https://127.0.0.1:8401  (TLS, test CA in state/tls/ca.pem)
#   permissive: http://127.0.0.1:8402
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="$HERE/state"
GUNICORN="$HERE/.venv/bin/gunicorn"
PY="$HERE/.venv/bin/python"

die() { echo "dot/start.sh: $*" >&2; exit 1; }

[[ -x "$GUNICORN" && -s "$STATE/db-hardened.sqlite3" && -s "$STATE/db-permissive.sqlite3" ]] \
    || die "not set up: run $HERE/setup.sh first"
mkdir -p "$STATE/logs" "$STATE/run"

running() {  # $1 mode: true when the pid file names a live gunicorn of ours
    local pidfile="$STATE/run/$1.pid" pid
    [[ -s "$pidfile" ]] || return 1
    pid="$(cat "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "dotserver-$1"
}

discovery_ok() {  # $1 mode
    "$PY" - "$1" "$STATE/tls/ca.pem" <<'PYEOF' >/dev/null 2>&1
import json, ssl, sys, urllib.request
mode, ca = sys.argv[1], sys.argv[2]
if mode == "hardened":
    url, ctx = "https://127.0.0.1:8401/o/.well-known/openid-configuration", ssl.create_default_context(cafile=ca)
else:
    url, ctx = "http://127.0.0.1:8402/o/.well-known/openid-configuration", None
with urllib.request.urlopen(url, timeout=3, context=ctx) as r:
    doc = json.load(r)
sys.exit(0 if r.status == 200 and doc.get("issuer") == url.rsplit("/.well-known", 1)[0] else 1)
PYEOF
}

start_one() {  # $1 mode, $2 port
    local mode="$1" port="$2"
    if running "$mode"; then
        return 0
    fi
    rm -f "$STATE/run/$mode.pid"
    local tls=()
    if [[ "$mode" == hardened ]]; then
        tls=(--certfile "$STATE/tls/server.pem" --keyfile "$STATE/tls/server.key")
    fi
    (cd "$HERE" && OAUTHPROBE_DOT_MODE="$mode" DJANGO_SETTINGS_MODULE=dotserver.settings \
        "$GUNICORN" dotserver.wsgi:application \
            --name "dotserver-$mode" \
            --bind "127.0.0.1:$port" \
            --workers 2 --threads 2 \
            "${tls[@]}" \
            --daemon --pid "$STATE/run/$mode.pid" \
            --access-logfile "$STATE/logs/$mode-access.log" \
            --error-logfile "$STATE/logs/$mode.log" \
            --capture-output --no-control-socket \
            --chdir "$HERE") >>"$STATE/logs/$mode.log" 2>&1 \
        || { tail -n 20 "$STATE/logs/$mode.log" >&2; die "gunicorn for $mode did not start"; }
}

wait_ready() {  # $1 mode
    local mode="$1" i
    for ((i = 0; i < 60; i++)); do
        if discovery_ok "$mode"; then
            return 0
        fi
        # gunicorn removes its pid file when the master gives up (port in use, bad config)
        if ((i >= 4)) && ! running "$mode"; then
            break
        fi
        sleep 0.5
    done
    tail -n 30 "$STATE/logs/$mode.log" >&2 || true
    running "$mode" || die "$mode server (gunicorn) exited during startup (log: state/logs/$mode.log)"
    die "$mode server did not answer its discovery document within 30 s (log: state/logs/$mode.log)"
}

start_one hardened 8401
start_one permissive 8402
wait_ready hardened
wait_ready permissive
