# Shared by setup.sh, start.sh and stop.sh (sourced, not run). Needs HERE set by the caller.
# shellcheck shell=bash

STATE="$HERE/state"
MODES=(strict lax)

mode_port() {  # $1 mode
    case "$1" in
        strict) echo 4601 ;;
        lax) echo 4602 ;;
        *) return 1 ;;
    esac
}

# true when state/run/<mode>.pid names a live glewlwyd started with this mode's config file
gl_running() {  # $1 mode
    local pidfile="$STATE/run/$1.pid" pid
    [[ -s "$pidfile" ]] || return 1
    pid="$(cat "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null \
            | grep -qF -- "glewlwyd --config-file=$STATE/$1.conf"
}

# status code of GET http://127.0.0.1:PORT/PATH (000 when nothing answers)
gl_status() {  # $1 mode, $2 path
    curl -s -o /dev/null -m 3 -w '%{http_code}' "http://127.0.0.1:$(mode_port "$1")$2" 2>/dev/null || true
}

# Start one server in the background, in its own session (so it outlives the caller's
# process group), stdout/stderr appended to state/logs/<mode>.log. No-op when running.
gl_start() {  # $1 mode
    local mode="$1"
    gl_running "$mode" && return 0
    rm -f "$STATE/run/$mode.pid"
    mkdir -p "$STATE/logs" "$STATE/run"
    local port
    port="$(mode_port "$mode")"
    if [[ "$(gl_status "$mode" /config)" != 000 ]]; then
        echo "port $port is already taken by another process" >>"$STATE/logs/$mode.log"
        return 1
    fi
    # setsid execs glewlwyd in place (the background job is no process-group leader), so $!
    # is glewlwyd's pid
    setsid glewlwyd --config-file="$STATE/$mode.conf" </dev/null >>"$STATE/logs/$mode.log" 2>&1 &
    echo "$!" >"$STATE/run/$mode.pid"
}

# Wait (<= 30 s) until GET PATH answers 200. Returns 1 (log tail on stderr) otherwise.
gl_wait() {  # $1 mode, $2 path
    local mode="$1" path="$2" i
    for ((i = 0; i < 60; i++)); do
        [[ "$(gl_status "$mode" "$path")" == 200 ]] && return 0
        if ((i >= 2)) && ! gl_running "$mode"; then
            break
        fi
        sleep 0.5
    done
    tail -n 30 "$STATE/logs/$mode.log" >&2 || true
    if gl_running "$mode"; then
        echo "$mode server did not answer $path within 30 s (log: state/logs/$mode.log)" >&2
    else
        echo "$mode server (glewlwyd) exited during startup (log: state/logs/$mode.log)" >&2
    fi
    return 1
}

gl_stop() {  # $1 mode
    local pidfile="$STATE/run/$1.pid" pid i
    [[ -s "$pidfile" ]] || { rm -f "$pidfile"; return 0; }
    pid="$(cat "$pidfile")"
    if gl_running "$1"; then
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
