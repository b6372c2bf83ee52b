#!/usr/bin/env bash
# Install, configure and seed the django-oauth-toolkit fixture (all four modes). Idempotent.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
STATE="$HERE/state"
PY="$VENV/bin/python"

die() { echo "dot/setup.sh: $*" >&2; exit 1; }

command -v python3 >/dev/null || die "python3 not found"
command -v openssl >/dev/null || die "openssl not found"
umask 077

# --- virtualenv + pinned packages -------------------------------------------------------
if [[ ! -x "$PY" ]]; then
    python3 -m venv "$VENV" >/dev/null || die "python3 -m venv failed"
fi
# Skip pip when every pinned requirement is installed at its exact version.
pins_ok() {
    "$PY" - "$HERE/requirements.txt" <<'PYEOF'
import sys
from importlib import metadata
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, version = line.partition("==")
    try:
        if metadata.version(name) != version:
            sys.exit(1)
    except metadata.PackageNotFoundError:
        sys.exit(1)
PYEOF
}
if ! pins_ok; then
    log="$(mktemp)"
    if ! "$PY" -m pip install --disable-pip-version-check -q -r "$HERE/requirements.txt" >"$log" 2>&1; then
        tail -n 20 "$log" >&2; rm -f "$log"
        die "pip install -r requirements.txt failed"
    fi
    rm -f "$log"
    pins_ok || die "installed packages do not match requirements.txt"
fi

mkdir -p "$STATE"/{tls,oidc,secrets,logs,run}
chmod 755 "$STATE" "$STATE/tls"
chmod 700 "$STATE/secrets" "$STATE/oidc"

# --- TLS: test CA + server certificates for 127.0.0.1 / localhost ----------------------
TLS="$STATE/tls"
leaf_ok() {  # $1 name, $2 an IP its subjectAltName must hold: signed by the CA, a day left at least, key matches
    [[ -s "$TLS/$1.pem" && -s "$TLS/$1.key" ]] || return 1
    openssl verify -CAfile "$TLS/ca.pem" "$TLS/$1.pem" >/dev/null 2>&1 || return 1
    openssl x509 -in "$TLS/$1.pem" -noout -checkend 86400 >/dev/null 2>&1 || return 1
    openssl x509 -in "$TLS/$1.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$2" || return 1
    [[ "$(openssl x509 -in "$TLS/$1.pem" -noout -pubkey)" == "$(openssl pkey -in "$TLS/$1.key" -pubout)" ]]
}
issue_leaf() {  # $1 name, $2 subjectAltName, $3 the IP leaf_ok checks
    rm -f "$TLS/$1".*
    openssl req -new -newkey rsa:2048 -nodes -sha256 \
        -keyout "$TLS/$1.key" -out "$TLS/$1.csr" \
        -subj "/CN=127.0.0.1" >/dev/null 2>&1 || die "cannot create the $1 key"
    cat >"$TLS/$1.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$2
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
    openssl x509 -req -in "$TLS/$1.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
        -CAcreateserial -out "$TLS/$1.pem" -days 825 -sha256 \
        -extfile "$TLS/$1.ext" >/dev/null 2>&1 || die "cannot sign the $1 certificate"
    rm -f "$TLS/$1.csr" "$TLS/$1.ext" "$TLS/ca.srl"
    leaf_ok "$1" "$3" || die "generated $1 certificate does not verify"
}
if ! [[ -s "$TLS/ca.pem" && -s "$TLS/ca.key" ]] || ! leaf_ok server 127.0.0.1; then
    rm -f "$TLS"/*
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
        -keyout "$TLS/ca.key" -out "$TLS/ca.pem" \
        -subj "/CN=oauthprobe DOT fixture test CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" >/dev/null 2>&1 || die "cannot create the test CA"
    issue_leaf server "IP:127.0.0.1,DNS:localhost" 127.0.0.1
fi
# The mutant deployment's certificate, signed by the same CA: it also answers on 127.0.0.2 (the
# issuer whose token endpoint is open on http's default port there). Remade whenever the CA is.
leaf_ok mutants 127.0.0.2 || issue_leaf mutants "IP:127.0.0.1,IP:127.0.0.2,DNS:localhost" 127.0.0.2
chmod 600 "$TLS"/*.key
chmod 644 "$TLS/ca.pem" "$TLS/server.pem" "$TLS/mutants.pem"

# --- OIDC signing keys (one per mode) ---------------------------------------------------
for mode in hardened permissive mutants mfa; do
    key="$STATE/oidc/$mode.pem"
    if ! openssl pkey -in "$key" -noout >/dev/null 2>&1; then
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$key" >/dev/null 2>&1 \
            || die "cannot generate the OIDC key for $mode"
    fi
    chmod 600 "$key"
done

# --- secrets: generated once, reused on every later run --------------------------------
new_secret() {  # $1 file, $2 length; no trailing newline, mode 600
    local file="$STATE/secrets/$1"
    if [[ ! -s "$file" ]]; then
        "$PY" -c 'import secrets,sys; sys.stdout.write(secrets.token_urlsafe(int(sys.argv[1])))' "$2" >"$file.tmp"
        mv "$file.tmp" "$file"
    fi
    chmod 600 "$file"
}
new_secret django-secret-key 50
new_secret user-password 24
for role in confidential confidential_b service disabled; do
    new_secret "$role" 48
done
# probe-user's TOTP secret (the mfa mode's authenticator app): 20 random bytes in base32,
# upper case, no padding, no newline. Kept while it is valid base32 of 10 to 40 bytes.
totp_ok() {
    "$PY" - "$STATE/secrets/user-totp" <<'PYEOF' >/dev/null 2>&1
import base64, re, sys
value = open(sys.argv[1]).read()
if not re.fullmatch(r"[A-Z2-7]+", value):
    sys.exit(1)
key = base64.b32decode(value + "=" * (-len(value) % 8))
sys.exit(0 if 10 <= len(key) <= 40 else 1)
PYEOF
}
if ! totp_ok; then
    "$PY" -c 'import base64,secrets,sys; sys.stdout.write(base64.b32encode(secrets.token_bytes(20)).decode().rstrip("="))' \
        >"$STATE/secrets/user-totp.tmp"
    mv "$STATE/secrets/user-totp.tmp" "$STATE/secrets/user-totp"
    totp_ok || die "cannot write state/secrets/user-totp"
fi
chmod 600 "$STATE/secrets/user-totp"

# --- databases: migrate + seed (upsert from the secret files) --------------------------
settings_module() {  # $1 mode
    if [[ "$1" == mutants ]]; then echo mutants.settings; else echo dotserver.settings; fi
}
for mode in hardened permissive mutants mfa; do
    out="$(mktemp)"
    if ! (cd "$HERE" && export OAUTHPROBE_DOT_MODE="$mode" DJANGO_SETTINGS_MODULE="$(settings_module "$mode")" \
          && "$PY" manage.py migrate --noinput -v 0 >"$out" 2>&1 \
          && "$PY" manage.py seed_probe >>"$out" 2>&1); then
        tail -n 20 "$out" >&2; rm -f "$out"
        die "migrate/seed failed for $mode"
    fi
    rm -f "$out"
    chmod 600 "$STATE/db-$mode.sqlite3"
done

# --- the mutant issuers' target files (state/targets/<name>.yaml, no secrets in them) ----
out="$(mktemp)"
if ! (cd "$HERE" && OAUTHPROBE_DOT_MODE=mutants DJANGO_SETTINGS_MODULE=mutants.settings \
        "$PY" manage.py mutant_targets >"$out" 2>&1); then
    tail -n 20 "$out" >&2; rm -f "$out"
    die "writing the mutant target files failed"
fi
rm -f "$out"
chmod 755 "$STATE/targets"
chmod 644 "$STATE/targets"/*.yaml "$STATE/targets/issuers.txt"
