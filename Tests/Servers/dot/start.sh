#!/usr/bin/env bash
# Start the DOT servers in the background (gunicorn), wait for their discovery documents.
#   hardened:        https://127.0.0.1:8401  (TLS, test CA in state/tls/ca.pem; no plain-http port)
#   permissive:      http://127.0.0.1:8402   (the careless deployment's old plain-http port, still open)
#   permissive-tls:  https://127.0.0.1:8403  (the same permissive app and database over TLS, added
#                    later; its metadata still names the http://127.0.0.1:8402 URLs of the pinned issuer)
#   mutants:         https://127.0.0.1:8404/m/<name>/  (one issuer per mutation, see mutants.json): the
#                    front (mutants/front.py) on 127.0.0.1:8404 and 127.0.0.2:8404 relays TLS to the
#                    gunicorn "mutants" (127.0.0.1:8406) and plain http to "mutants-plain" (127.0.0.1:8407,
#                    which also listens on 127.0.0.1:8405 and 127.0.0.2:80); see mutants/settings.py
#   mfa:             https://127.0.0.1:8409  (the hardened settings with identifier-first sign-in and a
#                    TOTP second factor, its own database, key and cookies; see dotserver/mfa.py)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="$HERE/state"
GUNICORN="$HERE/.venv/bin/gunicorn"
PY="$HERE/.venv/bin/python"

die() { echo "dot/start.sh: $*" >&2; exit 1; }

[[ -x "$GUNICORN" && -s "$STATE/db-hardened.sqlite3" && -s "$STATE/db-permissive.sqlite3" \
    && -s "$STATE/db-mutants.sqlite3" && -s "$STATE/tls/mutants.pem" \
    && -s "$STATE/db-mfa.sqlite3" && -s "$STATE/secrets/user-totp" ]] \
    || die "not set up: run $HERE/setup.sh first"
mkdir -p "$STATE/logs" "$STATE/run"

running() {  # $1 mode: true when the pid file names a live gunicorn of ours
    local pidfile="$STATE/run/$1.pid" pid
    [[ -s "$pidfile" ]] || return 1
    pid="$(cat "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "dotserver-$1 "
}

discovery_ok() {  # $1 name
    "$PY" - "$1" "$STATE/tls/ca.pem" <<'PYEOF' >/dev/null 2>&1
import json, ssl, sys, urllib.request
name, ca = sys.argv[1], sys.argv[2]
tls = ssl.create_default_context(cafile=ca)
url, ctx, issuer = {
    "hardened": ("https://127.0.0.1:8401/o/.well-known/openid-configuration", tls, "https://127.0.0.1:8401/o"),
    "mfa": ("https://127.0.0.1:8409/o/.well-known/openid-configuration", tls, "https://127.0.0.1:8409/o"),
    "permissive": ("http://127.0.0.1:8402/o/.well-known/openid-configuration", None, "http://127.0.0.1:8402/o"),
    "permissive-tls": ("https://127.0.0.1:8403/o/.well-known/openid-configuration", tls, "http://127.0.0.1:8402/o"),
    "mutants": ("https://127.0.0.1:8406/m/clean/o/.well-known/openid-configuration", tls, "https://127.0.0.1:8404/m/clean/o"),
    "mutants-front": ("https://127.0.0.1:8404/m/clean/o/.well-known/openid-configuration", tls, "https://127.0.0.1:8404/m/clean/o"),
    "mutants-plain": ("http://127.0.0.1:8405/m/https-advertised-plain/o/.well-known/openid-configuration", None,
                      "https://127.0.0.1:8404/m/https-advertised-plain/o"),
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
    gunicorn_daemon "$name" "$mode" dotserver dotserver.wsgi:application \
        --bind "127.0.0.1:$port" --workers 2 --threads 2 "${tls[@]}"
}

gunicorn_daemon() {  # $1 name, $2 mode, $3 settings package, $4 WSGI app, $5... gunicorn options
    local name="$1" mode="$2" settings="$3" app="$4"
    shift 4
    (cd "$HERE" && OAUTHPROBE_DOT_MODE="$mode" DJANGO_SETTINGS_MODULE="$settings.settings" \
        "$GUNICORN" "$app" \
            --name "dotserver-$name" \
            "$@" \
            --daemon --pid "$STATE/run/$name.pid" \
            --access-logfile "$STATE/logs/$name-access.log" \
            --error-logfile "$STATE/logs/$name.log" \
            --capture-output --no-control-socket \
            --chdir "$HERE") >>"$STATE/logs/$name.log" 2>&1 \
        || { tail -n 20 "$STATE/logs/$name.log" >&2; die "gunicorn for $name did not start"; }
}

wait_ready() {  # $1 mode, $2 the process whose log and pid file tell why it failed (default $1)
    local mode="$1" process="${2:-$1}" i
    for ((i = 0; i < 60; i++)); do
        if discovery_ok "$mode"; then
            return 0
        fi
        # gunicorn removes its pid file when the master gives up (port in use, bad config)
        if ((i >= 4)) && ! running "$process"; then
            break
        fi
        sleep 0.5
    done
    tail -n 30 "$STATE/logs/$process.log" >&2 || true
    running "$process" || die "$process server exited during startup (log: state/logs/$process.log)"
    die "$mode server did not answer its discovery document within 30 s (log: state/logs/$process.log)"
}

# --- the mutant deployment ------------------------------------------------------------------
start_mutants_gunicorn() {  # $1 name, $2 WSGI app, $3 workers, $4 tls|plain, $5... binds
    local name="$1" app="$2" workers="$3" transport="$4" bind
    shift 4
    running "$name" && return 0
    rm -f "$STATE/run/$name.pid"
    local args=()
    for bind in "$@"; do args+=(--bind "$bind"); done
    if [[ "$transport" == tls ]]; then
        args+=(--certfile "$STATE/tls/mutants.pem" --keyfile "$STATE/tls/mutants.key")
    fi
    # Sync workers, one request at a time each: the issuer of a request is per-process state
    # while the request runs (mutants/overlay.py).
    gunicorn_daemon "$name" mutants mutants "$app" --workers "$workers" --threads 1 --preload "${args[@]}"
}

can_bind() {  # $1 host, $2 port: false when it needs privileges this user lacks (or is taken)
    "$PY" -c 'import socket, sys; socket.create_server((sys.argv[1], int(sys.argv[2])), reuse_port=False).close()' \
        "$1" "$2" 2>/dev/null
}

start_mutants_front() {
    running mutants-front && return 0
    rm -f "$STATE/run/mutants-front.pid"
    (cd "$HERE" && setsid "$PY" -m mutants.front --name dotserver-mutants-front \
        --pid "$STATE/run/mutants-front.pid" \
        --listen 127.0.0.1:8404 --listen 127.0.0.2:8404 --tls 127.0.0.1:8406 --plain 127.0.0.1:8407 \
        </dev/null >>"$STATE/logs/mutants-front.log" 2>&1 &)
}

start_mutants() {
    local plain_binds=(127.0.0.1:8407 127.0.0.1:8405)
    if running mutants-plain || can_bind 127.0.0.2 80; then
        plain_binds+=(127.0.0.2:80)
    else
        echo "dot/start.sh: cannot listen on 127.0.0.2:80 (needs root or net.ipv4.ip_unprivileged_port_start<=80):" \
            "the https-default-port-plain mutation has no plain-http listener" >&2
    fi
    start_mutants_gunicorn mutants mutants.wsgi:application 4 tls 127.0.0.1:8406
    start_mutants_gunicorn mutants-plain mutants.wsgi:plain_application 2 plain "${plain_binds[@]}"
    start_mutants_front
}

start_one hardened hardened 8401 tls
start_one permissive permissive 8402 plain
start_one permissive-tls permissive 8403 tls
start_one mfa mfa 8409 tls
start_mutants
wait_ready hardened
wait_ready permissive
wait_ready permissive-tls
wait_ready mfa
wait_ready mutants-plain
wait_ready mutants
wait_ready mutants-front
