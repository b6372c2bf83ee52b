#!/usr/bin/env bash
# Install Glewlwyd (Debian package) and set up both modes: config files, sqlite databases,
# OIDC keys, secrets, and provisioning through the admin REST API. Idempotent.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

die() { echo "glewlwyd/setup.sh: $*" >&2; exit 1; }

# --- packages -----------------------------------------------------------------------------
if ! command -v glewlwyd >/dev/null || ! command -v sqlite3 >/dev/null; then
    ((EUID == 0)) || die "glewlwyd/sqlite3 missing and not root: apt-get install glewlwyd sqlite3"
    log="$(mktemp)"
    # without this answer the package's post-install tries to configure PostgreSQL
    echo 'glewlwyd glewlwyd/config_type select No configuration' | debconf-set-selections
    if ! { apt-get update -qq \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                glewlwyd sqlite3; } >"$log" 2>&1; then
        tail -n 20 "$log" >&2; rm -f "$log"
        die "apt-get install glewlwyd sqlite3 failed"
    fi
    rm -f "$log"
fi
for tool in glewlwyd sqlite3 python3 openssl curl; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
version="$(dpkg-query -W -f='${Version}' glewlwyd 2>/dev/null || true)"
[[ "$version" == 2.7.5-* ]] || die "expected the Debian package glewlwyd 2.7.5, found '${version:-none}'"
INIT_SQL=/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz
[[ -s "$INIT_SQL" ]] || die "$INIT_SQL not found"

umask 077
mkdir -p "$STATE"/{secrets,oidc,logs,run}
chmod 700 "$STATE" "$STATE/secrets" "$STATE/oidc"

# --- secrets: generated once, reused on every later run ------------------------------------
new_secret() {  # $1 name; no trailing newline, mode 600; returns 0 when it was created now
    local file="$STATE/secrets/$1"
    chmod 600 "$file" 2>/dev/null || true
    [[ -s "$file" ]] && return 1
    python3 -c 'import secrets,sys; sys.stdout.write(secrets.token_urlsafe(32))' >"$file.tmp"
    mv "$file.tmp" "$file"
    chmod 600 "$file"
}
new_admin=0
new_secret admin && new_admin=1
new_secret user-password || true
for role in confidential confidential_b service disabled; do
    new_secret "$role" || true
done

for mode in "${MODES[@]}"; do
    port="$(mode_port "$mode")"

    # --- OIDC signing key + self-signed certificate ----------------------------------------
    key="$STATE/oidc/$mode.key" crt="$STATE/oidc/$mode.crt"
    if ! { openssl pkey -in "$key" -noout 2>/dev/null \
           && openssl x509 -in "$crt" -noout -checkend 86400 >/dev/null 2>&1 \
           && [[ "$(openssl x509 -in "$crt" -noout -pubkey)" == "$(openssl pkey -in "$key" -pubout)" ]]; }; then
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$key" >/dev/null 2>&1 \
            || die "cannot generate the OIDC key for $mode"
        openssl req -x509 -new -key "$key" -sha256 -days 3650 \
            -subj "/CN=oauthprobe glewlwyd $mode OIDC signing key" -out "$crt" >/dev/null 2>&1 \
            || die "cannot create the OIDC certificate for $mode"
    fi
    chmod 600 "$key" "$crt"

    # --- config file (rendered from the template on every run) -----------------------------
    sed -e "s|@MODE@|$mode|g" -e "s|@MODE_UPPER@|${mode^^}|g" -e "s|@PORT@|$port|g" \
        -e "s|@DB@|$STATE/$mode.sqlite3|g" "$HERE/glewlwyd.conf.in" >"$STATE/$mode.conf.tmp"
    mv "$STATE/$mode.conf.tmp" "$STATE/$mode.conf"

    # --- database -----------------------------------------------------------------------------
    db="$STATE/$mode.sqlite3"
    if [[ -s "$db" && "$new_admin" == 1 ]]; then
        # the admin password it was provisioned with is lost: start over from a fresh database
        gl_running "$mode" && die "state/secrets/admin is new but the $mode server runs: stop.sh first"
        rm -f "$db"
    fi
    if [[ ! -s "$db" ]]; then
        rm -f "$db.tmp"
        if ! out="$(zcat "$INIT_SQL" | sqlite3 "$db.tmp" 2>&1)"; then
            rm -f "$db.tmp"
            echo "$out" | tail -n 10 >&2
            die "cannot initialise the $mode database"
        fi
        mv "$db.tmp" "$db"
    fi
    chmod 600 "$db"

    # --- provisioning through the admin API (start the server briefly if it is not running) ---
    started=0
    if ! gl_running "$mode"; then
        gl_start "$mode" || { tail -n 5 "$STATE/logs/$mode.log" >&2; die "cannot start the $mode server"; }
        started=1
        gl_wait "$mode" /config || { gl_stop "$mode"; die "the $mode server did not come up"; }
    fi
    rc=0
    python3 "$HERE/provision.py" "$mode" "$STATE" || rc=$?
    if ((rc == 0)) && [[ "$(gl_status "$mode" /api/oidc/.well-known/openid-configuration)" != 200 ]]; then
        echo "no discovery document after provisioning" >&2
        rc=1
    fi
    ((started)) && gl_stop "$mode"
    ((rc == 0)) || die "provisioning the $mode server failed (log: state/logs/$mode.log)"
done
