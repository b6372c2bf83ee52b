#!/usr/bin/env bash
# Start the DOT servers in the background (gunicorn), wait for their discovery documents.
#   hardened:        https://127.0.0.1:8401  (TLS, test CA in state/tls/ca.pem; no plain-http port)
#   permissive:      http://127.0.0.1:8402   (the careless deployment's old plain-http port, still open)
#   permissive-tls:  https://127.0.0.1:8403  (the same permissive app and database over TLS, added
#                    later; its metadata still names the http://127.0.0.1:8402 URLs of the pinned issuer)
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

discovery_ok() {  # $1 name
    "$PY" - "$1" "$STATE/tls/ca.pem" <<'PYEOF' >/dev/null 2>&1
import json, ssl, sys, urllib.request
name, ca = sys.argv[1], sys.argv[2]
tls = ssl.create_default_context(cafile=ca)
url, ctx, issuer = {
    "hardened": ("https://127.0.0.1:8401/o/.well-known/openid-configuration", tls, "https://127.0.0.1:8401/o"),
    "permissive": ("http://127.0.0.1:8402/o/.well-known/openid-configuration", None, "http://127.0.0.1:8402/o"),
    "permissive-tls": ("https://127.0.0.1:8403/o/.well-known/openid-configuration", tls, "http://127.0.0.1:8402/o"),
}[name]
with urllib.request.urlopen(url, timeout=3, context=ctx) as r:
    doc = json.load(r)
sys.exit(0 if r.status == 200 and doc.get("issuer") == issuer else 1)
PYEOF
}

start_one() {  # $1 name, $2 mode, $3 port, $4 tls|plain
    local name="$1" mode="$2" port="$3"
    if running "$name"; then
        return 0
    fi
    rm -f "$STATE/run/$name.pid"
    local tls=()
    if [[ "$4" == tls ]]; then
        tls=(--certfile "$STATE/tls/server.pem" --keyfile "$STATE/tls/server.key")
    fi
    (cd "$HERE" && OAUTHPROBE_DOT_MODE="$mode" DJANGO_SETTINGS_MODULE=dotserver.settings \
        "$GUNICORN" dotserver.wsgi:application \
            --name "dotserver-$name" \
            --bind "127.0.0.1:$port" \
            --workers 2 --threads 2 \
            "${tls[@]}" \
            --daemon --pid "$STATE/run/$name.pid" \
            --access-logfile "$STATE/logs/$name-access.log" \
            --error-logfile "$STATE/logs/$name.log" \
            --capture-output --no-control-socket \
            --chdir "$HERE") >>"$STATE/logs/$name.log" 2>&1 \
        || { tail -n 20 "$STATE/logs/$name.log" >&2; die "gunicorn for $name did not start"; }
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

start_one hardened hardened 8401 tls
start_one permissive permissive 8402 plain
start_one permissive-tls permissive 8403 tls
wait_ready hardened
wait_ready permissive
wait_ready permissive-tls
