#!/usr/bin/env python3
"""Provision one Glewlwyd 2.7.5 instance through its admin REST API (idempotent upserts).

    provision.py MODE STATE_DIR

MODE is strict or lax. The server of that mode must be running. Reads the secrets, the OIDC
key and the certificate from STATE_DIR; prints nothing on success; on failure prints one line
(never a secret) to stderr and exits 1.

What it does, in order:
  1. POST /api/auth/ as admin (the random password in secrets/admin; on a fresh database the
     package's default password, which is then replaced by the random one);
  2. adds the multi-valued client property "allowed_scope" to the client database backend
     (its "data-format"), the per-client scope list strict enforces;
  3. scopes read + write (openid ships with the database);
  4. the OIDC plugin instance "oidc" (endpoints under /api/oidc/), then PUT .../reset so the
     running instance uses the parameters just written;
  5. the user probe-user (scopes g_profile openid read write, password from
     secrets/user-password);
  6. the six clients (client secrets stored as Glewlwyd "password", i.e. hashed).
"""
import http.cookiejar
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

PORTS = {"strict": 4601, "lax": 4602}
DEFAULT_ADMIN_PASSWORD = "password"  # set by /usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz
PLUGIN = "oidc"
ALLOWED_SCOPE_FORMAT = {"multiple": True, "read": True, "write": True}


class Fail(Exception):
    pass


class Api:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def call(self, method, path, body=None, ok=(200,)):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(req, timeout=15) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            raise Fail(f"{method} {path}: {e}")
        if ok is not None and status not in ok:
            # error bodies of the admin API are lists of validation messages: no secrets
            raise Fail(f"{method} {path}: HTTP {status} {raw[:400].decode(errors='replace')}")
        return status, (json.loads(raw) if raw.strip() else None)

    def upsert(self, collection, key, obj):
        path = f"/api/{collection}/{urllib.parse.quote(key, safe='')}"
        status, _ = self.call("GET", path, ok=(200, 404))
        if status == 200:
            self.call("PUT", path, obj)
        else:
            self.call("POST", f"/api/{collection}/", obj)


def read(path):
    with open(path) as f:
        return f.read()


def plugin_parameters(mode, issuer, key_pem, cert_pem):
    strict = mode == "strict"
    # Start from the defaults Glewlwyd's admin UI (webapp/admin.js) fills in for a new OIDC
    # plugin instance, then set what the operator of each mode chooses.
    p = {
        "iss": issuer,
        "jwt-type": "rsa", "jwt-key-size": "256", "key": key_pem, "cert": cert_pem,
        "jwks-uri": "", "jwks-private": "", "default-kid": "", "client-sign_kid-parameter": "",
        "jwks-public": "", "jwks-public-uri": "", "jwks-show": True, "jwks-x5c": [],
        "secret-type": "pairwise",
        "allowed-scope": ["openid", "read", "write"],
        "scope": [], "additional-parameters": [], "claims": [],
        "service-documentation": "https://github.com/babelouest/glewlwyd/tree/master/docs",
        "op-policy-uri": "", "op-tos-uri": "",
        "request-parameter-allow": True, "request-uri-allow-https-non-secure": False,
        "request-parameter-allow-encrypted": True, "request-parameter-ietf-strict": False,
        "address-claim": {"type": "no", "formatted": "", "street_address": "", "locality": "",
                          "region": "", "postal_code": "", "country": "", "mandatory": False},
        "name-claim": "on-demand", "name-claim-scope": [], "email-claim": "no",
        "email-claim-scope": [], "scope-claim": "no", "scope-claim-scope": [],
        "pkce-scopes": [],
        # RFC 7009 / RFC 7662 endpoints, a client authenticates with HTTP Basic
        "introspection-revocation-allowed": True, "introspection-revocation-auth-scope": [],
        "introspection-revocation-allow-target-client": True,
        "register-client-allowed": False, "register-client-auth-scope": [],
        "register-client-credentials-scope": [], "register-client-token-one-use": True,
        "register-client-management-allowed": True, "register-resource-specify-allowed": False,
        "register-resource-default": [], "register-default-properties": {},
        "session-management-allowed": False,
        "client-pubkey-parameter": "", "client-jwks-parameter": "jwks",
        "client-jwks_uri-parameter": "jwks_uri", "request-maximum-exp": 3600,
        "encrypt-out-token-allow": False,
        "client-enc-parameter": "enc", "client-alg-parameter": "alg",
        "client-alg_kid-parameter": "alg_kid", "client-encrypt_code-parameter": "encrypt_code",
        "client-encrypt_at-parameter": "encrypt_at",
        "client-encrypt_userinfo-parameter": "encrypt_userinfo",
        "client-encrypt_id_token-parameter": "encrypt_id_token",
        "client-encrypt_refresh_token-parameter": "encrypt_refresh_token",
        "client-encrypt_introspection-parameter": "encrypt_introspection",
        "auth-type-device-enabled": False,
        "device-authorization-expiration": 600, "device-authorization-interval": 5,
        "client-cert-header-name": "SSL_CLIENT_CERT", "client-cert-use-endpoint-aliases": False,
        "client-cert-self-signed-allowed": False,
        "oauth-dpop-allowed": False, "oauth-dpop-iat-duration": 10,
        "oauth-dpop-iat-gap-duration": 0,
        "oauth-dpop-dpop_bound_access_tokens-property": "dpop_bound_access_tokens",
        "oauth-dpop-nonce-mandatory": False, "oauth-dpop-nonce-counter": 10,
        "resource-allowed": False, "resource-scope": {}, "resource-client-property": "",
        "resource-scope-and-client-property": False,
        "oauth-rar-allowed": False, "rar-types-client-property": "authorization_details_types",
        "rar-allow-auth-unsigned": False, "rar-allow-auth-unencrypted": True, "rar-types": {},
        "oauth-par-allowed": False, "oauth-par-duration": 90, "oauth-par-required": False,
        "oauth-par-request_uri-prefix": "urn:ietf:params:oauth:request_uri:",
        "prompt-continue-client-property": "",
        "oauth-ciba-allowed": False,
        "oauth-fapi-check-all": False, "oauth-fapi-allow-jarm": False,
        "oauth-fapi-add-s_hash": False, "oauth-fapi-verify-nbf": False,
        "oauth-fapi-allow-restrict-alg": False, "oauth-fapi-restrict-alg": [],
        "oauth-fapi-allow-multiple-kid": False, "oauth-fapi-ciba-confidential-client": False,
        "oauth-fapi-ciba-push-forbidden": False,
        "client-refresh-token-one-use-parameter": "refresh-token-one-use",
        "auth-type-code-enabled": True,
        "auth-type-id-token-enabled": True,  # cannot be disabled in Glewlwyd
        "auth-type-client-enabled": True,    # client_credentials (probe-service) in both modes
        "auth-type-refresh-enabled": True,
    }
    if strict:
        p.update({
            "access-token-duration": 300,
            "refresh-token-duration": 86400,
            "code-duration": 60,
            "refresh-token-rolling": False,
            "refresh-token-one-use": "always",
            "auth-type-code-revoke-replayed": True,
            "auth-type-token-enabled": False,
            "auth-type-none-enabled": False,
            "auth-type-password-enabled": False,
            "allow-non-oidc": True,  # client_credentials is a "non OIDC" request in Glewlwyd
            "oauth-as-iss-id": True,
            "pkce-allowed": True,
            "pkce-required": False,
            "pkce-required-public-client": True,
            "pkce-method-plain-allowed": False,
            # each client's "allowed_scope" list bounds what it may be granted. Not the client's
            # own "scope" list: with that one every refresh fails when refresh tokens are one-use.
            "restrict-scope-client-property": "allowed_scope",
        })
    else:
        p.update({
            "access-token-duration": 36000,
            "refresh-token-duration": 31536000,
            "code-duration": 600,
            "refresh-token-rolling": True,
            "refresh-token-one-use": "never",
            "auth-type-code-revoke-replayed": False,
            "auth-type-token-enabled": True,
            "auth-type-none-enabled": True,
            "auth-type-password-enabled": True,
            "allow-non-oidc": True,
            "oauth-as-iss-id": False,
            "pkce-allowed": True,
            "pkce-required": False,
            "pkce-required-public-client": False,
            "pkce-method-plain-allowed": True,
            "restrict-scope-client-property": "",
        })
    return p


def clients(mode, secret):
    strict = mode == "strict"
    auth_scope = ["openid", "read"]
    basic = ["client_secret_basic"]

    def client(client_id, name, confidential, types, redirect, scope, password=None,
               enabled=True, methods=None):
        c = {
            "client_id": client_id, "name": name, "description": f"oauthprobe {name}",
            "confidential": confidential, "enabled": enabled, "scope": scope,
            "allowed_scope": scope,
            "redirect_uri": redirect, "authorization_type": types,
        }
        if confidential:
            c["password"] = password
            c["token_endpoint_auth_method"] = methods or basic
        return c

    # lax: the careless operator ticks every grant type the admin page offers for each app.
    public_types = ["code"] if strict else ["code", "token", "id_token", "refresh_token"]
    web_types = ["code", "refresh_token"] if strict else ["code", "token", "id_token", "password", "refresh_token"]
    return [
        client("probe-public", "public", False, public_types,
               ["https://public.client.test/cb"], auth_scope),
        client("probe-public-b", "public_b", False, ["code"],
               ["https://public-b.client.test/cb"], auth_scope),
        client("probe-web", "confidential", True, web_types,
               ["https://web.client.test/cb"], auth_scope, secret("confidential")),
        client("probe-web-b", "confidential_b", True, ["code", "refresh_token"],
               ["https://web-b.client.test/cb"], auth_scope, secret("confidential_b")),
        client("probe-service", "service", True, ["client_credentials"], [], ["read"],
               secret("service")),
        client("probe-disabled", "disabled", True, ["code", "refresh_token"],
               ["https://disabled.client.test/cb"], auth_scope, secret("disabled"),
               enabled=False),
    ]


def admin_login(api, secrets_dir):
    admin_secret = read(os.path.join(secrets_dir, "admin"))
    status, _ = api.call("POST", "/api/auth/", {"username": "admin", "password": admin_secret},
                         ok=(200, 401))
    if status == 200:
        return
    # fresh database: the package's default admin password, then replace it
    status, _ = api.call("POST", "/api/auth/",
                         {"username": "admin", "password": DEFAULT_ADMIN_PASSWORD}, ok=(200, 401))
    if status != 200:
        raise Fail("admin login refused with both secrets/admin and the default password")
    api.call("PUT", "/api/profile/password",
             {"username": "admin", "old_password": DEFAULT_ADMIN_PASSWORD,
              "password": admin_secret})
    api.call("POST", "/api/auth/", {"username": "admin", "password": admin_secret})


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in PORTS:
        print("usage: provision.py strict|lax STATE_DIR", file=sys.stderr)
        return 64
    mode, state = sys.argv[1], sys.argv[2]
    secrets_dir = os.path.join(state, "secrets")
    base = f"http://127.0.0.1:{PORTS[mode]}"
    issuer = f"{base}/api/{PLUGIN}"

    def secret(role):
        return read(os.path.join(secrets_dir, role))

    api = Api(base)
    admin_login(api, secrets_dir)

    # The client database backend only stores the properties of its "data-format": add the
    # multi-valued "allowed_scope" that strict names in restrict-scope-client-property.
    _, mod = api.call("GET", "/api/mod/client/database")
    fmt = mod.setdefault("parameters", {}).setdefault("data-format", {})
    if fmt.get("allowed_scope") != ALLOWED_SCOPE_FORMAT:
        fmt["allowed_scope"] = ALLOWED_SCOPE_FORMAT
        api.call("PUT", "/api/mod/client/database", mod)
        api.call("PUT", "/api/mod/client/database/reset")

    for name, display, desc in (("read", "Read", "Read access (oauthprobe)"),
                                ("write", "Write", "Write access (oauthprobe)")):
        api.upsert("scope", name, {"name": name, "display_name": display,
                                   "description": desc, "password_required": True,
                                   "password_max_age": 0, "scheme": {}})

    plugin = {
        "module": "oidc", "name": PLUGIN, "display_name": f"OpenID Connect ({mode})",
        "enabled": True,
        "parameters": plugin_parameters(mode, issuer,
                                        read(os.path.join(state, "oidc", f"{mode}.key")),
                                        read(os.path.join(state, "oidc", f"{mode}.crt"))),
    }
    status, _ = api.call("GET", f"/api/mod/plugin/{PLUGIN}", ok=(200, 404))
    if status == 200:
        api.call("PUT", f"/api/mod/plugin/{PLUGIN}", plugin)
    else:
        api.call("POST", "/api/mod/plugin/", plugin)
    api.call("PUT", f"/api/mod/plugin/{PLUGIN}/reset")

    api.upsert("user", "probe-user", {
        "username": "probe-user", "name": "oauthprobe user", "email": "",
        "enabled": True, "scope": ["g_profile", "openid", "read", "write"],
        "password": secret("user-password"),
    })

    for c in clients(mode, secret):
        api.upsert("client", c["client_id"], c)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Fail as e:
        print(f"glewlwyd/provision.py {sys.argv[1]}: {e}", file=sys.stderr)
        sys.exit(1)
