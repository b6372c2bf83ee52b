#!/usr/bin/env python3
"""Proves every mutation of the mutant deployment on the wire, independently of oauthprobe.

For each issuer in mutants.json, one check does what its mutation should let through (a token over
plain http, a code sent to a bent redirect URI, a refresh that widens the scope...) and says
whether it worked. It is run against the mutant, where it must work, and against the clean
issuer, where it must not; a control mutant must behave like the clean issuer, and a broken-answer
mutant must give its odd answer. The redirect-URI mutants are checked against all fourteen bent
URIs: exactly their aimed variants may get a code.

Each quirk in quirks.json (a conforming vendor's behaviour) has a check too: it must show on the wire on
clean--QUIRK, and not on clean (where the clean issuer cannot show it, on MUTATION--QUIRK and not on
MUTATION). session-forgotten-401 happens once per server start: its check needs a fresh start.

    Tests/Servers/dot/.venv/bin/python Tests/Servers/dot/check_mutants.py [name ...]
    Tests/Servers/dot/.venv/bin/python Tests/Servers/dot/check_mutants.py --combined [mutation or quirk ...]

--combined runs each MUTATION--QUIRK issuer's mutation check on it (and on clean--QUIRK, where it must
not work), with a client that waits out a 429 and sends a 503'd request again.

Needs the servers running (setup.sh, start.sh). Exits 1 when any mutation does not hold or quirk does not show.
"""

import base64
import html
import json
import re
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from hashlib import sha256
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

import requests
from jwcrypto import jwk, jws


HERE = Path(__file__).resolve().parent
STATE = HERE / "state"
CA = str(STATE / "tls" / "ca.pem")  # passed per request: REQUESTS_CA_BUNDLE would override Session.verify
MANIFEST = json.loads((HERE / "mutants.json").read_text())
PUBLIC_CB = "https://public.client.test/cb"
REDIRECT_VARIANTS = {  # Suites/redirect-uris.yaml, rendered for the public client's registered URI
    "other-host": "https://attacker.example/cb",
    "subdomain": "https://attacker.public.client.test/cb",
    "userinfo": "https://public.client.test@attacker.example/cb",
    "other-port": "https://public.client.test:8443/cb",
    "http-scheme": "http://public.client.test/cb",
    "path-suffix": "https://public.client.test/cb/attacker",
    "trailing-slash": "https://public.client.test/cb/",
    "dot-segments": "https://public.client.test/attacker/../cb",
    "encoded-path": "https://public.client.test/%63%62",
    "path-case": "https://public.client.test/CB",
    "host-case": "https://PUBLIC.CLIENT.TEST/cb",
    "extra-query": "https://public.client.test/cb?next=https%3A%2F%2Fattacker.example",
    "fragment": "https://public.client.test/cb#attacker",
    "wildcard-host": "https://*.public.client.test/cb",
}


def _secret(name):
    return (STATE / "secrets" / name).read_text()


CLIENTS = {
    "public": ("probe-public", None, PUBLIC_CB),
    "confidential": ("probe-web", _secret("confidential"), "https://web.client.test/cb"),
    "confidential_b": ("probe-web-b", _secret("confidential_b"), "https://web-b.client.test/cb"),
    "service": ("probe-service", _secret("service"), None),
    "disabled": ("probe-disabled", _secret("disabled"), "https://disabled.client.test/cb"),
}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def tamper(token):
    head, _, signature = token.rpartition(".")
    return f"{head}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"


def jwt_header(token):
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def alg_none(token):
    """The token unsigned, its header saying alg none (kid and typ kept, as oauthprobe's forgery)."""
    header = {**jwt_header(token), "alg": "none"}
    return f"{b64url(json.dumps(header).encode())}.{token.split('.')[1]}."


def without_kid(token):
    """The token with its header's kid taken out (the signature no longer matches)."""
    header = {name: value for name, value in jwt_header(token).items() if name != "kid"}
    return f"{b64url(json.dumps(header).encode())}.{token.split('.', 1)[1]}"


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"attrs": attrs, "inputs": {}})
        elif tag == "input" and self.forms and attrs.get("name") and attrs.get("type") != "submit":
            self.forms[-1]["inputs"][attrs["name"]] = attrs.get("value") or ""


class Issuer:
    """A browser (one cookie jar) and the clients of one issuer."""

    def __init__(self, name, patient=False):
        self.name = name
        self.patient = patient  # resends after a 429 (Retry-After) or a 503 (check_mutants.py --combined)
        self.offline_access = None  # whether scopes_supported lists offline_access (asked once)
        origin_host = "127.0.0.2" if name.split("--")[0] == "https-default-port-plain" else "127.0.0.1"
        self.origin = f"https://{origin_host}:8404"
        self.base = f"{self.origin}/m/{name}"
        self.issuer = f"{self.base}/o"
        self.browser = requests.Session()

    def _send(self, method, url, session=None, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 15)
        if url.startswith("https:"):
            kwargs["verify"] = CA
        response = (session or requests).request(method, url, **kwargs)
        if self.patient:
            # What a client does with the quirks rate-limited and cold-start-503: wait as told and
            # send again; a 503 once more.
            for _ in range(3):
                if response.status_code == 429 and response.headers.get("Retry-After", "").isdigit():
                    time.sleep(int(response.headers["Retry-After"]))
                elif response.status_code == 503 and not getattr(response, "_resent", False):
                    pass
                else:
                    break
                response = (session or requests).request(method, url, **kwargs)
                response._resent = True
        return response

    # --- front channel ------------------------------------------------------------------------

    def authorize(self, role="public", response_type="code", scope="openid read", redirect_uri=None,
                  pkce="S256", client_id=None, request_uri=None, verifier=None, extra=None):
        """Runs an authorization request in the browser (sign-in and consent included) and returns
        where the browser was sent off the server: {"location", "params", "verifier", "answers", ...},
        answers being every response the server gave the browser. With request_uri, the browser
        sends client_id and that request_uri alone (RFC 9126 section 4); extra joins the query."""
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        verifier = verifier or secrets.token_urlsafe(40)
        query = {
            "response_type": response_type,
            "client_id": client_id or CLIENTS[role][0],
            "redirect_uri": redirect_uri or CLIENTS[role][2],
            "scope": scope,
            "state": state,
            "nonce": nonce,
        }
        if pkce == "S256":
            query.update(code_challenge=b64url(sha256(verifier.encode()).digest()), code_challenge_method="S256")
        elif pkce == "plain":
            query.update(code_challenge=verifier, code_challenge_method="plain")
        query.update(extra or {})
        if request_uri:
            query = {"client_id": query["client_id"], "request_uri": request_uri}
        url = f"{self.issuer}/authorize/?{urlencode(query, quote_via=quote)}"
        response = self._send("GET", url, self.browser)
        answers = []
        for _ in range(8):
            answers.append(response)
            if response.is_redirect:
                location = urljoin(url, response.headers["Location"])
                if not location.startswith(self.origin + "/"):
                    return {**self._outcome(location, state, nonce, verifier), "answers": answers}
                url = location
                response = self._send("GET", url, self.browser)
                continue
            forms = _Forms()
            forms.feed(response.text)
            form = next((f for f in forms.forms if "username" in f["inputs"] or f["attrs"].get("id") == "authorizationForm"), None)
            # A sign-in page may come with 401 (the quirk session-forgotten-401).
            if response.status_code not in (200, 401) or form is None or (response.status_code == 401 and "username" not in form["inputs"]):
                return {"location": None, "status": response.status_code, "params": {}, "state": state, "answers": answers}
            fields = dict(form["inputs"])
            if "username" in fields:
                fields.update(username="probe-user", password=_secret("user-password"))
            else:
                fields["allow"] = "Authorize"
            action = urljoin(url, form["attrs"].get("action") or url)
            response = self._send("POST", action, self.browser, data=fields, headers={"Origin": self.origin, "Referer": url})
            url = action
        raise RuntimeError(f"{self.name}: the authorization request did not end")

    @staticmethod
    def _outcome(location, state, nonce, verifier):
        parts = urlsplit(location)
        params = dict(parse_qsl(parts.query))
        params.update(parse_qsl(parts.fragment))
        return {"location": location, "params": params, "state": state, "nonce": nonce, "verifier": verifier}

    # --- back channel -------------------------------------------------------------------------

    def _client_request(self, path, role, data, auth="basic", secret=None, url=None):
        client_id, client_secret, _ = CLIENTS.get(role, (role, None, None))
        secret = client_secret if secret is None else secret
        data = dict(data)
        kwargs = {}
        if auth == "basic" and secret:
            kwargs["auth"] = (client_id, secret)
        elif auth == "post" or not secret:
            data["client_id"] = client_id
            if auth == "post" and secret:
                data["client_secret"] = secret
        return self._send("POST", url or f"{self.issuer}/{path}", data=data, **kwargs)

    def token(self, role, data, **kwargs):
        return self._client_request("token/", role, data, **kwargs)

    def redeem(self, role, outcome, verifier="from", redirect_uri=None, **kwargs):
        data = {"grant_type": "authorization_code", "code": outcome["params"].get("code", "none"),
                "redirect_uri": redirect_uri or CLIENTS[role][2]}
        verifier = outcome["verifier"] if verifier == "from" else verifier
        if verifier:
            data["code_verifier"] = verifier
        return self.token(role, data, **kwargs)

    def tokens(self, role="confidential", scope="openid read"):
        """A completed code flow: the token response as JSON (asking offline access where the issuer
        gives refresh tokens only for it)."""
        response = self.redeem(role, self.authorize_for_refresh(role, scope=scope))
        response.raise_for_status()
        return response.json()

    def authorize_for_refresh(self, role="confidential", scope="openid read"):
        """authorize(), with scope offline_access and prompt=consent where discovery lists
        offline_access (the quirk refresh-needs-offline-access: OIDC Core §11)."""
        if self.offline_access is None:
            self.offline_access = "offline_access" in self.discovery().json().get("scopes_supported", [])
        if self.offline_access and "openid" in scope.split():
            return self.authorize(role, scope=f"{scope} offline_access", extra={"prompt": "consent"})
        return self.authorize(role, scope=scope)

    def refresh(self, role, refresh_token, scope=None):
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if scope:
            data["scope"] = scope
        return self.token(role, data)

    def client_credentials(self, role="service", scope="read", **kwargs):
        return self.token(role, {"grant_type": "client_credentials", "scope": scope}, **kwargs)

    def revoke(self, role, token, hint="access_token"):
        return self._client_request("revoke_token/", role, {"token": token, "token_type_hint": hint})

    def active(self, token):
        """Introspection, by the confidential client: does the server still take the token?"""
        return self._client_request("introspect/", "confidential", {"token": token}).json().get("active")

    def resource(self, token, query=False):
        if query:
            return self._send("GET", f"{self.base}/api/me?access_token={token}")
        return self._send("GET", f"{self.base}/api/me", headers={"Authorization": f"Bearer {token}"})

    def discovery(self):
        return self._send("GET", f"{self.issuer}/.well-known/openid-configuration")


# --- the checks: each returns (worked, evidence) ----------------------------------------------------


def plaintext_token_answer(issuer, url):
    try:
        response = requests.post(url, data={"grant_type": "client_credentials", "client_id": "probe-service",
                                            "client_secret": "not-the-secret"}, timeout=5, allow_redirects=False)
    except requests.ConnectionError:
        return False, f"nothing answers {url}"
    real = response.status_code == 401 and response.headers.get("Content-Type", "").startswith("application/json")
    return real, f"{url} answered {response.status_code} {response.text[:60]!r}"


def http_form(url, origin=None):
    """The same URL over plain http (and without its port when origin is None)."""
    parts = urlsplit(url)
    return parts._replace(scheme="http", netloc=origin or parts.hostname).geturl()


def check_metadata_http(issuer):
    endpoint = issuer.discovery().json()["token_endpoint"]
    return endpoint.startswith("http:"), f"token_endpoint {endpoint}"


def check_same_port(issuer):
    return plaintext_token_answer(issuer, f"{issuer.issuer}/token/".replace("https:", "http:"))


def check_default_port(issuer):
    return plaintext_token_answer(issuer, http_form(f"{issuer.issuer}/token/"))


def check_advertised(issuer):
    return plaintext_token_answer(issuer, issuer.discovery().json()["token_endpoint"].replace("https:", "http:"))


def check_hsts(issuer):
    header = issuer.discovery().headers.get("Strict-Transport-Security")
    return header is None, f"Strict-Transport-Security: {header}"


def issued(response):
    return response.status_code == 200 and "access_token" in response.json()


def check_secret_required(issuer):
    response = issuer.client_credentials(auth="none", secret="")
    return issued(response), f"client_id alone: {response.status_code}"


def check_wrong_secret(issuer):
    response = issuer.client_credentials(secret="not-the-secret")
    return issued(response), f"wrong secret: {response.status_code}"


def check_secret_in_query(issuer):
    query = urlencode({"client_id": "probe-service", "client_secret": _secret("service")})
    response = issuer._send("POST", f"{issuer.issuer}/token/?{query}", data={"grant_type": "client_credentials"})
    return issued(response), f"credentials in the query: {response.status_code}"


def front_channel_token(issuer, response_type, scope):
    outcome = issuer.authorize(response_type=response_type, scope=scope)
    return "access_token" in outcome["params"], f"{response_type!r} ({scope}): {sorted(outcome['params'])}"


def check_implicit(issuer):
    token = front_channel_token(issuer, "token", "read")
    id_token_token = front_channel_token(issuer, "id_token token", "openid read")
    return token[0] and id_token_token[0], f"{token[1]}; {id_token_token[1]}"


def check_implicit_openid_refused(issuer):
    without_openid = front_channel_token(issuer, "token", "read")
    with_openid = issuer.authorize(response_type="token", scope="openid read")["params"]
    refused = with_openid.get("error") == "invalid_scope"
    return without_openid[0] and refused, f"{without_openid[1]}; with openid: {with_openid.get('error')}"


def check_password(issuer):
    """The password grant is served: tokens, or a second factor asked (the quirk password-mfa-required)."""
    response = issuer.token("confidential", {"grant_type": "password", "username": "probe-user",
                                             "password": _secret("user-password"), "scope": "read"})
    error = response.json().get("error")
    return issued(response) or error == "mfa_required", f"password grant: {response.status_code} {error or ''}".rstrip()


def check_client_credentials_public(issuer):
    response = issuer.client_credentials("public", scope="read")
    return issued(response), f"client_credentials as probe-public: {response.status_code}"


def check_hybrid(issuer):
    code_token = front_channel_token(issuer, "code token", "openid read")
    all_three = front_channel_token(issuer, "code id_token token", "openid read")
    return code_token[0] and all_three[0], f"{code_token[1]}; {all_three[1]}"


def check_metadata_legacy(issuer):
    document = issuer.discovery().json()
    advertised = set(document["response_types_supported"]) | set(document.get("grant_types_supported", []))
    legacy = advertised & {"token", "id_token token", "code token", "code id_token token", "implicit", "password"}
    return bool(legacy), f"advertised {sorted(legacy)}"


def token_scope(response):
    body = response.json()
    return body.get("scope"), jwt_claims(body["access_token"])["scope"]


def check_scope_authorize(issuer):
    outcome = issuer.authorize(scope="openid read write")
    if "code" not in outcome["params"]:
        return False, f"refused: {outcome['params'].get('error')}"
    response = issuer.redeem("public", outcome)
    return "write" in token_scope(response)[1], f"scope {token_scope(response)}"


def check_scope_client_credentials(issuer):
    response = issuer.client_credentials(scope="read write")
    if not issued(response):
        return False, f"refused: {response.status_code} {response.json().get('error')}"
    return "write" in token_scope(response)[1], f"scope {token_scope(response)}"


def check_scope_defaults(issuer):
    response = issuer.redeem("public", issuer.authorize(scope="openid"))
    scope = token_scope(response)
    return not set(scope[1].split()) <= {"openid", "read"}, f"asked openid (client's scope: openid read), got {scope}"


def widened_refresh(issuer):
    tokens = issuer.tokens()
    response = issuer.refresh("confidential", tokens["refresh_token"], scope="openid read write")
    if not issued(response):
        return False, f"refresh refused: {response.status_code} {response.json().get('error')}", None
    body_scope, claim_scope = token_scope(response)
    return "write" in claim_scope.split(), f"response scope {body_scope!r}, JWT scope {claim_scope!r}", body_scope


def check_refresh_widens(issuer):
    widened, evidence, body_scope = widened_refresh(issuer)
    return widened and "write" in (body_scope or ""), evidence


def check_refresh_widens_silently(issuer):
    widened, evidence, body_scope = widened_refresh(issuer)
    return widened and body_scope is None, evidence


def check_refresh_omits_scope(issuer):
    widened, evidence, _ = widened_refresh(issuer)
    return widened, evidence


def check_no_store(issuer):
    response = issuer.redeem("confidential", issuer.authorize("confidential"))
    header = response.headers.get("Cache-Control", "")
    return "no-store" not in header, f"Cache-Control: {header}"


def check_query_token(issuer):
    response = issuer.resource(issuer.tokens()["access_token"], query=True)
    return response.status_code == 200, f"?access_token=: {response.status_code}"


def check_header_refused(issuer):
    token = issuer.tokens()["access_token"]
    response = issuer.resource(token)
    return response.status_code != 200 and issuer.active(token), f"bearer header: {response.status_code} (token active)"


def check_tampered(issuer):
    token = issuer.tokens()["access_token"]
    tampered, unsigned = issuer.resource(tamper(token)), issuer.resource(alg_none(token))
    return tampered.status_code == 200, f"tampered: {tampered.status_code}, alg none: {unsigned.status_code}"


def check_alg_none(issuer):
    token = issuer.tokens()["access_token"]
    tampered, unsigned = issuer.resource(tamper(token)), issuer.resource(alg_none(token))
    return unsigned.status_code == 200, f"alg none: {unsigned.status_code}, tampered: {tampered.status_code}"


def check_local_resource(issuer):
    """Control: revocation works at the server; the resource, which never asks, still takes it."""
    token = issuer.tokens()["access_token"]
    issuer.revoke("confidential", token)
    active, status = issuer.active(token), issuer.resource(token).status_code
    return bool(active), f"after revocation: introspection active={active}, resource {status}"


def check_revoke_cross_client(issuer):
    token = issuer.tokens()["access_token"]
    issuer.revoke("confidential_b", token)
    active, status = issuer.active(token), issuer.resource(token).status_code
    return not active, f"after probe-web-b's revocation: introspection active={active}, resource {status}"


def check_token_in_code_response(issuer):
    code = front_channel_token(issuer, "code", "openid read")
    code_id_token = front_channel_token(issuer, "code id_token", "openid read")
    return code[0] and code_id_token[0], f"{code[1]}; {code_id_token[1]}"


def id_token_claims(issuer):
    outcome = issuer.authorize()
    claims = jwt_claims(issuer.redeem("public", outcome).json()["id_token"])
    return claims, outcome["nonce"]


def check_id_token_aud(issuer):
    claims, _ = id_token_claims(issuer)
    return claims["aud"] != "probe-public", f"aud {claims['aud']!r}"


def check_id_token_nonce(issuer):
    claims, nonce = id_token_claims(issuer)
    return claims.get("nonce") != nonce, f"nonce {claims.get('nonce')!r}"


def check_id_token_iss(issuer):
    claims, _ = id_token_claims(issuer)
    return claims["iss"] != issuer.issuer, f"iss {claims['iss']!r}"


def check_public_refresh(issuer):
    tokens = issuer.tokens("public")
    if "refresh_token" not in tokens:
        return False, "no refresh token"
    response = issuer.refresh("public", tokens["refresh_token"])
    return issued(response), f"public refresh: {response.status_code}"


def check_service_refresh(issuer):
    body = issuer.client_credentials().json()
    # "refresh_token": null is no refresh token (the quirk json-nulls)
    return body.get("refresh_token") is not None, f"fields {sorted(name for name, value in body.items() if value is not None)}"


def check_no_rotation(issuer):
    tokens = issuer.tokens("public")
    if "refresh_token" not in tokens:
        return False, "no refresh token"
    first = issuer.refresh("public", tokens["refresh_token"])
    again = issuer.refresh("public", tokens["refresh_token"])
    return issued(first) and issued(again), f"refresh {first.status_code}, same refresh token again {again.status_code}"


def check_lifetime(issuer):
    expires_in = issuer.client_credentials().json()["expires_in"]
    return expires_in > 3600, f"expires_in {expires_in}"


def check_revocation_noop(issuer):
    tokens = issuer.tokens()
    revoked = issuer.revoke("confidential", tokens["access_token"])
    status = issuer.resource(tokens["access_token"]).status_code
    return revoked.status_code == 200 and status == 200, f"revoke {revoked.status_code}, then resource {status}"


def redirect_variants_with_code(issuer):
    return {variant for variant, uri in REDIRECT_VARIANTS.items() if "code" in issuer.authorize(redirect_uri=uri)["params"]}


def check_redirect(issuer, aims):
    wanted = {aim.split("[")[1].rstrip("]") for aim in aims}
    got = redirect_variants_with_code(issuer)
    return got == wanted if wanted else bool(got), f"a code went to {sorted(got) or 'no bent URI'}"


def check_unknown_client_redirect(issuer):
    outcome = issuer.authorize(client_id="oauthprobe-unknown-client")
    return (outcome["location"] or "").startswith(PUBLIC_CB), f"sent to {outcome['location']}"


def check_token_redirect_mismatch(issuer):
    response = issuer.redeem("confidential", issuer.authorize("confidential"), redirect_uri="https://web.client.test/other")
    return issued(response), f"other redirect_uri at the token endpoint: {response.status_code}"


def check_pkce_required(issuer):
    outcome = issuer.authorize(pkce=None)
    if "code" not in outcome["params"]:
        return False, f"no code: {outcome['params'].get('error')}"
    response = issuer.redeem("public", outcome, verifier=None)
    return issued(response), f"code without PKCE redeemed: {response.status_code}"


def check_pkce_plain(issuer):
    outcome = issuer.authorize(pkce="plain")
    if "code" not in outcome["params"]:
        return False, f"no code: {outcome['params'].get('error')}"
    response = issuer.redeem("public", outcome)
    return issued(response), f"plain code redeemed: {response.status_code}"


def check_pkce_wrong_verifier(issuer):
    response = issuer.redeem("public", issuer.authorize(), verifier="wrong-verifier-" + "x" * 40)
    return issued(response), f"wrong verifier: {response.status_code}"


def check_pkce_verifier_omitted(issuer):
    response = issuer.redeem("public", issuer.authorize(), verifier=None)
    return issued(response), f"verifier left out: {response.status_code}"


def check_code_replay(issuer):
    outcome = issuer.authorize("confidential")
    first, second = issuer.redeem("confidential", outcome), issuer.redeem("confidential", outcome)
    return issued(first) and issued(second), f"first {first.status_code}, replay {second.status_code}"


def check_replay_keeps_tokens(issuer):
    outcome = issuer.authorize_for_refresh("confidential")
    first = issuer.redeem("confidential", outcome).json()
    replay = issuer.redeem("confidential", outcome)
    status = issuer.resource(first["access_token"]).status_code
    refresh = issuer.refresh("confidential", first["refresh_token"])
    return status == 200 and issued(refresh), f"replay {replay.status_code}; then resource {status}, refresh {refresh.status_code}"


def check_state(issuer):
    outcome = issuer.authorize()
    return outcome["params"].get("state") != outcome["state"], f"state came back as {outcome['params'].get('state')!r}"


def check_iss_success(issuer):
    params = issuer.authorize()["params"]
    return params.get("iss") != issuer.issuer, f"success iss {params.get('iss')!r}"


def check_iss_error(issuer):
    params = issuer.authorize(response_type="oauthprobe-unsupported-response")["params"]
    return params.get("iss") != issuer.issuer, f"error {params.get('error')!r} with iss {params.get('iss')!r}"


def check_disabled_client(issuer):
    params = issuer.authorize("disabled")["params"]
    return "code" in params, f"disabled client: {sorted(params)}"


def check_unknown_client(issuer):
    response = issuer.client_credentials("oauthprobe-unknown-client", secret="not-a-secret", auth="post")
    return issued(response), f"unknown client_id: {response.status_code}"


def check_stolen_code(issuer, thief_redirect):
    outcome = issuer.authorize("confidential")
    response = issuer.redeem("confidential_b", outcome, redirect_uri=CLIENTS[thief_redirect][2])
    return issued(response), f"probe-web's code redeemed by probe-web-b: {response.status_code}"


def check_stolen_refresh(issuer):
    response = issuer.refresh("confidential_b", issuer.tokens()["refresh_token"])
    return issued(response), f"probe-web's refresh token used by probe-web-b: {response.status_code}"


def check_token_reused(issuer):
    first, second = (issuer.client_credentials().json()["access_token"] for _ in range(2))
    return first == second, "the same access token twice" if first == second else "two access tokens"


def check_refusal_200(issuer):
    response = issuer.client_credentials(secret="not-the-secret")
    return response.status_code == 200 and response.json() == {}, f"refused: {response.status_code} {response.text}"


def check_refusal_with_token(issuer):
    response = issuer.client_credentials(secret="not-the-secret")
    body = response.json()
    useless = "access_token" in body and issuer.resource(body["access_token"]).status_code == 401
    return response.status_code >= 400 and useless, f"refused: {response.status_code} {sorted(body)}"


def check_login_elsewhere(issuer):
    outcome = Issuer(issuer.name).authorize()  # a browser that has not signed in
    location = outcome["location"] or ""
    return location.startswith("https://localhost:"), f"signed-out browser sent to {location[:70]}"


# --- pushed authorization requests (RFC 9126) and DPoP (RFC 9449) -----------------------------


def pushed_request_uri(issuer, role="confidential"):
    """A request_uri from the PAR endpoint for an ordinary code request of the role."""
    verifier = secrets.token_urlsafe(40)
    data = {"response_type": "code", "client_id": CLIENTS[role][0], "redirect_uri": CLIENTS[role][2],
            "scope": "openid read", "state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16),
            "code_challenge": b64url(sha256(verifier.encode()).digest()), "code_challenge_method": "S256"}
    return issuer._client_request("par/", role, data).json()["request_uri"]


def check_request_uri_reused(issuer):
    request_uri = pushed_request_uri(issuer)
    first = issuer.authorize("confidential", request_uri=request_uri)
    second = issuer.authorize("confidential", request_uri=request_uri)
    return "code" in first["params"] and "code" in second["params"], f"second use: {second['location'] or second.get('status')}"


def check_request_uri_other_client(issuer):
    outcome = issuer.authorize("confidential_b", request_uri=pushed_request_uri(issuer, "confidential"))
    return "code" in outcome["params"], f"client B presenting A's request_uri: {outcome['location'] or outcome.get('status')}"


def check_par_not_enforced(issuer):
    """Metadata requires PAR, and a plain authorization request still gets a code."""
    required = issuer.discovery().json().get("require_pushed_authorization_requests") is True
    outcome = issuer.authorize("confidential")
    return required and "code" in outcome["params"], f"required {required}, plain request: {outcome['location'] or outcome.get('status')}"


def dpop_proof(key, method, url, access_token=None):
    claims = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": url, "iat": int(time.time())}
    if access_token:
        claims["ath"] = b64url(sha256(access_token.encode()).digest())
    proof = jws.JWS(json.dumps(claims).encode())
    proof.add_signature(key, alg="ES256", protected={"typ": "dpop+jwt", "alg": "ES256", "jwk": key.export_public(as_dict=True)})
    return proof.serialize(compact=True)


def dpop_token(issuer, key):
    """A service token bound to the key (client_credentials with a DPoP proof), or None."""
    url = f"{issuer.issuer}/token/"
    response = issuer._send("POST", url, data={"grant_type": "client_credentials", "scope": "read"},
                            auth=CLIENTS["service"][:2], headers={"DPoP": dpop_proof(key, "POST", url)})
    body = response.json()
    return body["access_token"] if body.get("token_type") == "DPoP" else None


def dpop_resource(issuer, token, proof=None, scheme="DPoP"):
    headers = {"Authorization": f"{scheme} {token}"}
    if proof:
        headers["DPoP"] = proof
    return issuer._send("GET", f"{issuer.base}/api/me", headers=headers)


def check_dpop_bearer(issuer):
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    token = dpop_token(issuer, key)
    if token is None:
        return False, "no DPoP-bound token"
    with_proof = dpop_resource(issuer, token, dpop_proof(key, "GET", f"{issuer.base}/api/me", token)).status_code
    as_bearer = dpop_resource(issuer, token, scheme="Bearer").status_code
    return with_proof == 200 and as_bearer == 200, f"with a proof {with_proof}, as a bearer token {as_bearer}"


def check_dpop_replay(issuer):
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    token = dpop_token(issuer, key)
    if token is None:
        return False, "no DPoP-bound token"
    proof = dpop_proof(key, "GET", f"{issuer.base}/api/me", token)
    first, again = (dpop_resource(issuer, token, proof).status_code for _ in range(2))
    return first == 200 and again == 200, f"a proof {first}, the same proof again {again}"


def check_dpop_bent(issuer, method, url):
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    token = dpop_token(issuer, key)
    if token is None:
        return False, "no DPoP-bound token"
    status = dpop_resource(issuer, token, dpop_proof(key, method, url, token)).status_code
    return status == 200, f"a proof for {method} {url.rsplit('/', 2)[-1]}: {status}"


# --- the pages, the front channel's encodings, ID tokens, introspection, revocation, the APIs -------

SESSION_COOKIE = "dot_mutants_sessionid"  # settings: SESSION_COOKIE_NAME of the mutants mode
SAFE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin", "origin",
                          "origin-when-cross-origin"}
TOKEN_RESPONSE_TYPES = ("token", "id_token token", "code id_token", "code token")
MALFORMED_VERIFIERS = {  # Suites/redirect-uris.yaml, pkce.verifier-length
    "short": "0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
    "outside-charset": "0123456789abcdefghijklmnopqrstuvwxyz+/=!*()",
    "too-long": ("abcdefghijklmnopqrstuvwxyz0123456789-._~" * 4)[:129],
}
CODE_LIFETIME = 60  # the clean issuer's AUTHORIZATION_CODE_EXPIRE_SECONDS (the targets' max_code_lifetime)
# The front-channel response types that put a code (c_hash) or an access token (at_hash) beside an ID token.
HASHED = {"c_hash": ("code id_token", "code id_token token"), "at_hash": ("code id_token token", "id_token token")}


def signed_out_browser(issuer):
    """A new browser's authorization request: the HTML pages it is shown (sign-in, consent) and the
    answer to its sign-in POST."""
    answers = Issuer(issuer.name).authorize()["answers"]
    pages = [a for a in answers if a.status_code == 200 and a.headers.get("Content-Type", "").startswith("text/html")]
    sign_in = next(a for a in answers if a.request.method == "POST" and "/accounts/login/" in a.request.url)
    return pages, sign_in


def page_name(page):
    return urlsplit(page.url).path.rstrip("/").rsplit("/", 1)[-1]


def check_framing(issuer):
    def forbids_framing(page):
        csp = page.headers.get("Content-Security-Policy", "")
        return page.headers.get("X-Frame-Options", "").upper() in ("DENY", "SAMEORIGIN") or bool(
            re.search(r"frame-ancestors\s+'(none|self)'", csp))

    pages, _ = signed_out_browser(issuer)
    framable = [page_name(page) for page in pages if not forbids_framing(page)]
    return bool(framable), f"pages {[page_name(page) for page in pages]}, framable: {framable or 'none'}"


def check_referrer_policy(issuer):
    pages, _ = signed_out_browser(issuer)
    # A browser takes the last policy it knows of a comma-separated list; no page has a <meta name="referrer">.
    policies = {page_name(page): (page.headers.get("Referrer-Policy") or "").split(",")[-1].strip() for page in pages}
    return any(policy not in SAFE_REFERRER_POLICIES for policy in policies.values()), f"Referrer-Policy {policies}"


def check_sign_in_307(issuer):
    """The sign-in answered 307 to a Location off the server's origin (RFC 9700 §4.12)."""
    _, sign_in = signed_out_browser(issuer)
    location = urljoin(sign_in.url, sign_in.headers.get("Location", ""))
    leaves = not location.startswith(issuer.origin + "/")
    return sign_in.status_code in (307, 308) and leaves, f"sign-in answered {sign_in.status_code} to {location[:60]}"


def check_session_cookie(issuer, flag):
    """Whether the session cookie the sign-in answer sets lacks flag (secure, httponly, or samesite Lax/Strict)."""
    _, sign_in = signed_out_browser(issuer)
    header = next(h for h in sign_in.raw.headers.getlist("Set-Cookie") if h.startswith(SESSION_COOKIE + "="))
    attributes = {}
    for attribute in header.split(";")[1:]:
        key, _, value = attribute.strip().partition("=")
        attributes[key.lower()] = value.lower()
    lacking = {"secure": "secure" not in attributes, "httponly": "httponly" not in attributes,
               "samesite": attributes.get("samesite") not in ("lax", "strict")}
    return lacking[flag], f"{SESSION_COOKIE} attributes {sorted(attributes)}, SameSite {attributes.get('samesite')}"


def check_cors_authorize(issuer):
    query = urlencode({"response_type": "code", "client_id": "probe-public", "redirect_uri": PUBLIC_CB, "state": "cors",
                       "code_challenge": b64url(sha256(b"cors").digest()), "code_challenge_method": "S256"})
    url, origin = f"{issuer.issuer}/authorize/?{query}", {"Origin": "https://attacker.example"}
    get = issuer._send("GET", url, headers=origin)
    preflight = issuer._send("OPTIONS", url, headers={**origin, "Access-Control-Request-Method": "GET"})
    allowed = [answer.headers.get("Access-Control-Allow-Origin") for answer in (get, preflight)]
    return all(allowed), f"GET {get.status_code} ACAO {allowed[0]}, preflight {preflight.status_code} ACAO {allowed[1]}"


def check_tokens_in_query(issuer):
    leaked = []
    for response_type in TOKEN_RESPONSE_TYPES:
        # response_type=token without openid (identity-scopes-refused refuses identity scopes there)
        scope = "read" if response_type == "token" else "openid read"
        location = issuer.authorize(response_type=response_type, scope=scope, extra={"response_mode": "query"})["location"] or ""
        if {"access_token", "id_token"} & dict(parse_qsl(urlsplit(location).query)).keys():
            leaked.append(response_type)
    return len(leaked) == len(TOKEN_RESPONSE_TYPES), f"response_mode=query: tokens in the query for {leaked or 'none'}"


def check_verifier_form(issuer):
    redeemed = [variant for variant, verifier in MALFORMED_VERIFIERS.items()
                if issued(issuer.redeem("public", issuer.authorize(verifier=verifier)))]
    return len(redeemed) == len(MALFORMED_VERIFIERS), f"malformed verifiers redeemed: {redeemed or 'none'}"


def check_code_lifetime(issuer):
    outcome = issuer.authorize("confidential")
    time.sleep(CODE_LIFETIME + 1)
    response = issuer.redeem("confidential", outcome)
    return issued(response), f"a code redeemed {CODE_LIFETIME + 1} s after it was issued: {response.status_code}"


def check_metadata_issuer(issuer):
    documents = (f"{issuer.issuer}/.well-known/openid-configuration", f"{issuer.base}/.well-known/oauth-authorization-server/o")
    issuers = {issuer._send("GET", url).json()["issuer"] for url in documents}
    return issuers != {issuer.issuer}, f"metadata issuer {sorted(issuers)}"


def check_id_token_azp(issuer):
    claims, _ = id_token_claims(issuer)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    return len(audiences) > 1 and claims.get("azp") != "probe-public", f"aud {claims['aud']!r}, azp {claims.get('azp')!r}"


def front_channel_hashes(issuer, response_type):
    """For the ID token of a front-channel answer: c_hash and at_hash, each "right", "wrong" or
    "missing" where a code or access token came beside it; None when no ID token came."""
    params = issuer.authorize(response_type=response_type)["params"]
    if "id_token" not in params:
        return None
    claims, found = jwt_claims(params["id_token"]), {}
    for claim, value in (("c_hash", params.get("code")), ("at_hash", params.get("access_token"))):
        if value:
            right = b64url(sha256(value.encode()).digest()[:16])  # RS256: the left half of SHA-256
            found[claim] = "missing" if claim not in claims else "right" if claims[claim] == right else "wrong"
    return found


def check_hash_broken(issuer, claim):
    found = {response_type: (front_channel_hashes(issuer, response_type) or {}).get(claim) for response_type in HASHED[claim]}
    return all(state in ("wrong", "missing") for state in found.values()), f"{claim}: {found}"


def check_hashes(issuer):
    """Control: the front-channel ID tokens carry both hashes, right."""
    found = {response_type: front_channel_hashes(issuer, response_type) for response_type in ("code id_token", "code id_token token", "id_token token")}
    broken = any(state != "right" for hashes in found.values() if hashes for state in hashes.values())
    return broken, f"{found}"


def check_introspection_open(issuer):
    token = issuer.tokens()["access_token"]
    answers = [issuer._send("POST", f"{issuer.issuer}/introspect/", data={"token": token, **caller})
               for caller in ({}, {"client_id": "probe-public"})]
    told = [answer.status_code == 200 and answer.json().get("active") is True for answer in answers]
    return all(told), f"anonymous: {answers[0].status_code}, client_id=probe-public: {answers[1].status_code}"


def check_revocation_unauthenticated(issuer):
    first, second = issuer.tokens(), issuer.tokens()
    no_secret = issuer._client_request("revoke_token/", "confidential",
                                       {"token": first["refresh_token"], "token_type_hint": "refresh_token"}, auth="none", secret="")
    wrong_secret = issuer._client_request("revoke_token/", "confidential",
                                          {"token": second["access_token"], "token_type_hint": "access_token"}, secret="not-the-secret")
    refresh = issuer.refresh("confidential", first["refresh_token"]).status_code
    resource = issuer.resource(second["access_token"]).status_code
    return refresh != 200 and resource != 200, (
        f"revoked without the secret ({no_secret.status_code}), then refresh {refresh}; "
        f"with a wrong secret ({wrong_secret.status_code}), then resource {resource}")


def check_id_token_taken(issuer, where):
    url = {"resource": f"{issuer.base}/api/me", "userinfo": f"{issuer.issuer}/userinfo/"}[where]
    status = issuer._send("GET", url, headers={"Authorization": f"Bearer {issuer.tokens()['id_token']}"}).status_code
    return status == 200, f"the ID token at {where}: {status}"


def check_api_scope(issuer, scope, api):
    """Whether probe-web's token for scope works at the API that asks the other scope."""
    token = issuer.tokens(scope=scope)["access_token"]
    status = issuer._send("GET", f"{issuer.base}/{api}", headers={"Authorization": f"Bearer {token}"}).status_code
    return status == 200, f"a token for {scope!r} at /{api}: {status}"


def check_hsts_zero(issuer):
    header = issuer.discovery().headers.get("Strict-Transport-Security")
    return header is not None and re.fullmatch(r"max-age=0\b.*", header) is not None, f"Strict-Transport-Security: {header}"


def signed_in(issuer, role="public"):
    """The issuer's browser, signed in (one completed authorization request)."""
    issuer.authorize(role)
    return issuer


def last_page(outcome):
    answer = outcome["answers"][-1]
    return answer.status_code, answer.headers.get("Content-Type", ""), answer.text


def check_links_back(issuer):
    """Every bent redirect_uri's error page, signed in, links back to it as sent."""
    signed_in(issuer)
    linked = []
    for variant, uri in REDIRECT_VARIANTS.items():
        status, _, text = last_page(issuer.authorize(redirect_uri=uri))
        href = html.escape(f"{uri}{'&' if '?' in uri else '?'}error=invalid_request")
        if status == 200 and f'href="{href}"' in text:
            linked.append(variant)
    return len(linked) == len(REDIRECT_VARIANTS), f"error pages linking back to the sent URI: {len(linked)} of {len(REDIRECT_VARIANTS)}"


def check_waf(issuer):
    """A 403 block page exactly for the bent URIs that contain attacker or *, signed out and in."""
    expected = {variant for variant, uri in REDIRECT_VARIANTS.items() if "attacker" in uri or "*" in uri}
    blocked = {}
    for label, browser in (("signed out", Issuer(issuer.name)), ("signed in", signed_in(Issuer(issuer.name)))):
        blocked[label] = {variant for variant, uri in REDIRECT_VARIANTS.items()
                          if last_page(browser.authorize(redirect_uri=uri))[0] == 403
                          and "Request blocked" in last_page(browser.authorize(redirect_uri=uri))[2]}
    worked = all(found == expected for found in blocked.values())
    return worked, f"403 'Request blocked' for {sorted(blocked['signed in'])} (signed out: {len(blocked['signed out'])})"


def check_resource_open(issuer):
    response = issuer._send("GET", f"{issuer.base}/api/me")
    body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else None
    return response.status_code == 200 and body == {"user": None}, f"no Authorization header: {response.status_code} {response.text[:40]!r}"


CHECKS = {
    "metadata-http-endpoint": check_metadata_http,
    "https-same-port-plain": check_same_port,
    "https-default-port-plain": check_default_port,
    "https-advertised-plain": check_advertised,
    "hsts-missing": check_hsts,
    "hsts-max-age-zero": check_hsts_zero,
    "secret-not-required": check_secret_required,
    "any-secret-accepted": check_wrong_secret,
    "secret-in-query": check_secret_in_query,
    "implicit-enabled": check_implicit,
    "implicit-openid-token-refused": check_implicit_openid_refused,
    "password-grant-enabled": check_password,
    "client-credentials-public": check_client_credentials_public,
    "hybrid-token": check_hybrid,
    "metadata-advertises-legacy": check_metadata_legacy,
    "scope-unchecked-authorize": check_scope_authorize,
    "scope-unchecked-client-credentials": check_scope_client_credentials,
    "scope-defaults-added": check_scope_defaults,
    "refresh-widens-scope": check_refresh_widens,
    "refresh-widens-scope-silently": check_refresh_widens_silently,
    "refresh-omits-scope": check_refresh_omits_scope,
    "token-response-cacheable": check_no_store,
    "resource-query-token": check_query_token,
    "resource-header-dropped": check_header_refused,
    "resource-jwt-unverified": check_tampered,
    "resource-jwt-alg-none": check_alg_none,
    "resource-jwt-local": check_local_resource,
    "revoke-cross-client-local-resource": check_revoke_cross_client,
    "token-in-code-response": check_token_in_code_response,
    "id-token-wrong-aud": check_id_token_aud,
    "id-token-no-nonce": check_id_token_nonce,
    "id-token-wrong-iss": check_id_token_iss,
    "refresh-public-allowed": check_public_refresh,
    "service-refresh-token": check_service_refresh,
    "refresh-no-rotation": check_no_rotation,
    "long-access-tokens": check_lifetime,
    "revocation-noop": check_revocation_noop,
    "redirect-unknown-client": check_unknown_client_redirect,
    "token-redirect-uri-ignored": check_token_redirect_mismatch,
    "pkce-not-required": check_pkce_required,
    "pkce-plain-accepted": check_pkce_plain,
    "pkce-verifier-unchecked": check_pkce_wrong_verifier,
    "pkce-verifier-optional": check_pkce_verifier_omitted,
    "code-reusable": check_code_replay,
    "code-replay-keeps-tokens": check_replay_keeps_tokens,
    "state-lost-at-consent": check_state,
    "iss-disabled": lambda issuer: all_of(check_iss_success(issuer), check_iss_error(issuer)),
    "iss-success-only": check_iss_error,
    "client-disabled-ignored": check_disabled_client,
    "unknown-client-fallback": check_unknown_client,
    "code-not-client-bound": lambda issuer: check_stolen_code(issuer, "confidential"),
    "code-not-client-bound-own-redirect": lambda issuer: check_stolen_code(issuer, "confidential_b"),
    "refresh-not-client-bound": check_stolen_refresh,
    "token-reused": check_token_reused,
    "revoke-cross-client": check_revoke_cross_client,
    "par-request-uri-reusable": check_request_uri_reused,
    "par-request-uri-any-client": check_request_uri_other_client,
    "par-required-not-enforced": check_par_not_enforced,
    "par-required": check_par_not_enforced,
    "dpop-bound-token-accepts-bearer": check_dpop_bearer,
    "dpop-proof-replay-accepted": check_dpop_replay,
    "dpop-htu-unchecked": lambda issuer: check_dpop_bent(issuer, "GET", f"{issuer.base}/api/other"),
    "dpop-htm-unchecked": lambda issuer: check_dpop_bent(issuer, "POST", f"{issuer.base}/api/me"),
    "frame-protection-off": check_framing,
    "referrer-policy-unsafe": check_referrer_policy,
    "referrer-policy-absent": check_referrer_policy,
    "login-answers-307": check_sign_in_307,
    "cors-authorize": check_cors_authorize,
    "session-cookie-no-httponly": lambda issuer: check_session_cookie(issuer, "httponly"),
    "session-cookie-no-samesite": lambda issuer: check_session_cookie(issuer, "samesite"),
    "session-cookie-not-secure": lambda issuer: check_session_cookie(issuer, "secure"),
    "tokens-in-query": check_tokens_in_query,
    "pkce-verifier-format-unchecked": check_verifier_form,
    "code-lifetime-long": check_code_lifetime,
    "metadata-issuer-mismatch": check_metadata_issuer,
    "id-token-extra-aud-no-azp": check_id_token_azp,
    "hybrid-hashes-correct": check_hashes,
    "hybrid-c-hash-wrong": lambda issuer: check_hash_broken(issuer, "c_hash"),
    "hybrid-at-hash-missing": lambda issuer: check_hash_broken(issuer, "at_hash"),
    "introspection-open": check_introspection_open,
    "revocation-unauthenticated": check_revocation_unauthenticated,
    "resource-accepts-id-token": lambda issuer: check_id_token_taken(issuer, "resource"),
    "userinfo-accepts-id-token": lambda issuer: check_id_token_taken(issuer, "userinfo"),
    "resource-b-any-audience": lambda issuer: check_api_scope(issuer, "openid read", "api/other"),
    "resource-any-audience": lambda issuer: check_api_scope(issuer, "other", "api/me"),
    "refusal-200-empty": check_refusal_200,
    "refusal-with-token": check_refusal_with_token,
    "login-other-origin": check_login_elsewhere,
    "error-page-links-back": check_links_back,
    "waf-blocks-attacks": check_waf,
    "resource-open": check_resource_open,
}


# --- quirks (quirks.json): each shown on the wire on its issuer, and not on the issuer without it ------

QUIRKS = json.loads((HERE / "quirks.json").read_text())
ERROR_CASES = {  # authorization requests DOT does not redirect to the client, from a signed-in browser
    "unregistered redirect_uri": {"redirect_uri": "https://attacker.example/cb"},
    "unknown client_id": {"client_id": "oauthprobe-unknown-client"},
    "disabled client": {"role": "disabled"},
}


def error_outcomes(issuer):
    signed_in(issuer)
    return {label: issuer.authorize(**request) for label, request in ERROR_CASES.items()}


def describe(outcome):
    return " -> ".join(f"{answer.status_code}" for answer in outcome["answers"]) + (f" -> {outcome['location'][:60]}" if outcome["location"] else "")


def check_error_page_200(issuer):
    outcomes = error_outcomes(issuer)
    shown = all(len(o["answers"]) == 1 and o["location"] is None and last_page(o)[0] == 200 and last_page(o)[1].startswith("text/html")
                for o in outcomes.values())
    return shown, "; ".join(f"{label}: {describe(o)}" for label, o in outcomes.items())


def check_error_page_redirect(issuer):
    outcomes = error_outcomes(issuer)

    def to_error_page(o):
        first = o["answers"][0]
        return (len(o["answers"]) == 2 and first.status_code == 302 and o["location"] is None
                and urlsplit(first.headers["Location"]).path == f"/m/{issuer.name}/home/error"
                and "errorId" in dict(parse_qsl(urlsplit(first.headers["Location"]).query)) and last_page(o)[0] == 200)

    return all(map(to_error_page, outcomes.values())), "; ".join(f"{label}: {describe(o)}" for label, o in outcomes.items())


def check_error_page_other_origin(issuer):
    outcomes = error_outcomes(issuer)
    page = f"https://localhost:8404/m/{issuer.name}/oauth-error?"

    def elsewhere(o):
        params = o["params"]
        return ((o["location"] or "").startswith(page) and params.get("error") == "invalid_request"
                and not {"code", "state"} & params.keys())

    sent = all(map(elsewhere, outcomes.values()))
    served = sent and issuer._send("GET", outcomes["unknown client_id"]["location"]).status_code == 200
    return sent and served, "; ".join(f"{label}: {describe(o)}" for label, o in outcomes.items()) + f"; the page answers: {served}"


def check_identity_scopes_client_credentials(issuer):
    """On client-credentials-public: the public client's client_credentials with and without openid."""
    with_openid, without = issuer.client_credentials("public", scope="openid read"), issuer.client_credentials("public", scope="read")
    error = with_openid.json().get("error")
    return with_openid.status_code == 400 and error == "invalid_scope" and issued(without), (
        f"client_credentials 'openid read': {with_openid.status_code} {error}; 'read': {without.status_code}")


def check_identity_scopes_implicit(issuer):
    """On implicit-enabled: response_type=token with and without openid."""
    with_openid = issuer.authorize(response_type="token", scope="openid read")["params"]
    without = front_channel_token(issuer, "token", "read")
    return with_openid.get("error") == "invalid_scope" and without[0], f"token + openid: {with_openid.get('error') or sorted(with_openid)}; {without[1]}"


def check_offline_access(issuer):
    documents = (f"{issuer.issuer}/.well-known/openid-configuration", f"{issuer.base}/.well-known/oauth-authorization-server/o")
    listed = all("offline_access" in issuer._send("GET", url).json().get("scopes_supported", []) for url in documents)
    found = {}
    for label, scope, extra in (("openid read", "openid read", None), ("+offline_access", "openid read offline_access", None),
                                ("+offline_access, prompt=consent", "openid read offline_access", {"prompt": "consent"})):
        outcome = issuer.authorize("confidential", scope=scope, extra=extra)
        body = issuer.redeem("confidential", outcome).json() if "code" in outcome["params"] else {"error": outcome["params"].get("error")}
        found[label] = body
    consented = found["+offline_access, prompt=consent"].get("refresh_token")
    refreshed = issued(issuer.refresh("confidential", consented)) if consented else False
    worked = (listed and "refresh_token" not in found["openid read"] and "refresh_token" not in found["+offline_access"]
              and refreshed)
    return worked, (f"scopes_supported lists offline_access: {listed}; refresh token for "
                    + ", ".join(f"{label}: {'refresh_token' in body if 'error' not in body else body['error']}" for label, body in found.items())
                    + f"; it refreshes: {refreshed}")


def check_password_mfa(issuer):
    """On password-grant-enabled: right credentials 403 mfa_required, wrong ones 400 invalid_grant."""
    answers = {label: issuer.token("confidential", {"grant_type": "password", "username": "probe-user", "password": password, "scope": "read"})
               for label, password in (("right", _secret("user-password")), ("wrong", "not-the-password"))}
    errors = {label: (r.status_code, r.json().get("error")) for label, r in answers.items()}
    return errors == {"right": (403, "mfa_required"), "wrong": (400, "invalid_grant")}, f"password grant: {errors}"


def check_password_mfa_clean(issuer):
    """On clean--password-mfa-required: the grant stays refused as on clean (worked = it is refused otherwise)."""
    response = issuer.token("confidential", {"grant_type": "password", "username": "probe-user", "password": _secret("user-password"), "scope": "read"})
    return response.json().get("error") == "unauthorized_client", f"password grant: {response.status_code} {response.json().get('error')}"


def retyped(token, typ):
    header = {**jwt_header(token), "typ": typ}
    return f"{b64url(json.dumps(header).encode())}.{token.split('.', 1)[1]}"


def check_resource_kid(issuer):
    """On resource-jwt-unverified: the token, tampered (kid kept), without kid, typed JWT."""
    token = issuer.tokens()["access_token"]
    found = {label: issuer.resource(forged).status_code for label, forged in
             (("real", token), ("tampered", tamper(token)), ("alg none", alg_none(token)),
              ("no kid", without_kid(token)), ("typ JWT", retyped(token, "JWT")))}
    worked = found["real"] == found["tampered"] == found["alg none"] == 200 and found["no kid"] == found["typ JWT"] == 401
    return worked, f"resource: {found}"


def check_script_session_cookie(issuer):
    browser = Issuer(issuer.name)
    first = browser.authorize()
    sign_in = next(a for a in first["answers"] if a.request.method == "POST" and "/accounts/login/" in a.request.url)
    header = next((h for h in sign_in.raw.headers.getlist("Set-Cookie") if h.startswith("probe_session_state=")), None)
    if header is None:
        return False, "no probe_session_state cookie"
    attributes = {key.strip().lower(): value.strip() for key, _, value in (a.partition("=") for a in header.split(";")[1:])}
    flags = ("secure" in attributes and "httponly" not in attributes and attributes.get("samesite", "").lower() == "none"
             and attributes.get("path") == f"/m/{issuer.name}/")
    jar = browser.browser.cookies
    for cookie in [c for c in jar if c.name == "probe_session_state"]:
        jar.clear(cookie.domain, cookie.path, cookie.name)
    without_state = browser.authorize()
    still_signed_in = "code" in without_state["params"] and not any("/accounts/login/" in a.url for a in without_state["answers"])
    for cookie in [c for c in jar if c.name == SESSION_COOKIE]:
        jar.clear(cookie.domain, cookie.path, cookie.name)
    without_session = browser.authorize()
    signed_out = any("/accounts/login/" in a.url for a in without_session["answers"])
    return flags and still_signed_in and signed_out, (
        f"{header.split('=', 1)[0]} {sorted(attributes)} SameSite={attributes.get('samesite')}; without it still signed in: "
        f"{still_signed_in}; without the session cookie signed out: {signed_out}")


def consent_shown(outcome):
    return any('id="authorizationForm"' in answer.text for answer in outcome["answers"])


def check_consent_remembered(issuer):
    browser = Issuer(issuer.name)
    browser.authorize()  # consent given now, or before
    again, prompted = browser.authorize(), browser.authorize(extra={"prompt": "consent"})
    worked = not consent_shown(again) and "code" in again["params"] and consent_shown(prompted) and "code" in prompted["params"]
    return worked, f"consent page again: {consent_shown(again)} (code: {'code' in again['params']}); with prompt=consent: {consent_shown(prompted)}"


def check_csp_frame_ancestors(issuer):
    pages, _ = signed_out_browser(issuer)
    found = {page_name(page): (page.headers.get("Content-Security-Policy"), page.headers.get("X-Frame-Options")) for page in pages}
    wanted = ("frame-ancestors 'self' https://portal.example.test", None)
    return bool(found) and all(value == wanted for value in found.values()), f"CSP, X-Frame-Options: {found}"


def check_login_307_same_origin(issuer):
    outcome = Issuer(issuer.name).authorize()
    sign_in = next(a for a in outcome["answers"] if a.request.method == "POST" and "/accounts/login/" in a.request.url)
    location = urljoin(sign_in.url, sign_in.headers.get("Location", ""))
    same_origin = location.startswith(f"{issuer.base}/accounts/login/done?next=")
    reposted = issuer._send("POST", location, data={"username": "probe-user", "password": "whatever"}) if same_origin else None
    onward = reposted is not None and reposted.status_code == 302 and reposted.headers["Location"] == dict(parse_qsl(urlsplit(location).query))["next"]
    worked = sign_in.status_code == 307 and same_origin and onward and "code" in outcome["params"]
    return worked, f"sign-in {sign_in.status_code} to {location[len(issuer.origin):][:50]}; a re-POST there: {reposted.status_code if reposted is not None else '-'}; code: {'code' in outcome['params']}"


def check_rate_limited(issuer):
    query = urlencode({"response_type": "code", "client_id": "probe-public", "redirect_uri": PUBLIC_CB, "state": "rate",
                       "code_challenge": b64url(sha256(b"rate").digest()), "code_challenge_method": "S256"})
    found = {}
    for label, send in (("token", lambda: issuer.client_credentials()),
                        ("authorize", lambda: issuer._send("GET", f"{issuer.issuer}/authorize/?{query}"))):
        answers = [send() for _ in range(8)]
        limited = [i for i, answer in enumerate(answers) if answer.status_code == 429]
        proper = all(answers[i].headers.get("Retry-After") == "1" and answers[i].headers.get("Content-Type", "").startswith("text/html") for i in limited)
        found[label] = (limited, proper)
    worked = all(len(limited) == 2 and limited[1] - limited[0] == 4 and proper for limited, proper in found.values())
    return worked, "429 at " + ", ".join(f"{label} requests {limited} (Retry-After: 1, HTML: {proper})" for label, (limited, proper) in found.items())


def check_cold_start(issuer):
    client_id = f"oauthprobe-cold-{secrets.token_hex(4)}"  # a client_id this server has not seen since it started
    answers = [issuer._send("POST", f"{issuer.issuer}/token/", data={"grant_type": "client_credentials", "client_id": client_id,
                                                                     "client_secret": "not-a-secret"}) for _ in range(2)]
    first, second = answers
    worked = (first.status_code == 503 and "Retry-After" not in first.headers and first.headers.get("Content-Type", "").startswith("text/html")
              and second.status_code == 401)
    return worked, f"a new client_id: {first.status_code} (Retry-After {first.headers.get('Retry-After')}), then {second.status_code}"


def check_session_forgotten(issuer):
    """Within 14 signed-in authorization requests (the 12th GET since the server started), exactly one
    sign-in page with status 401; the browser was signed in before it."""
    browser = Issuer(issuer.name)
    pages = []
    for _ in range(14):
        outcome = browser.authorize()
        pages.append([a.status_code for a in outcome["answers"] if a.request.method == "GET" and "/accounts/login/" in a.url])
    unauthorized = [i for i, statuses in enumerate(pages) if 401 in statuses]
    worked = len(unauthorized) == 1 and not any(pages[i] for i in range(1, unauthorized[0])) if unauthorized else False
    return worked, (f"sign-in pages per request {pages}" if worked or not unauthorized else f"sign-in pages {pages}") + (
        "" if unauthorized or issuer.name == "clean" else " (none: counted past 12 since the server started? restart it)")


def check_json_nulls(issuer):
    token = issuer.client_credentials().json()
    introspection = issuer._client_request("introspect/", "confidential", {"token": "not-a-token"}).json()
    nulls = [name for name in ("refresh_token", "id_token") if name in token and token[name] is None]
    nulls_introspection = [name for name, value in introspection.items() if value is None]
    worked = nulls == ["refresh_token", "id_token"] and "scope" in nulls_introspection and introspection.get("active") is False
    return worked, f"token answer nulls {nulls}; inactive introspection nulls {nulls_introspection}"


def check_jwks_no_kid(issuer):
    keys = issuer._send("GET", f"{issuer.issuer}/.well-known/jwks.json").json()["keys"]
    id_token = issuer.tokens()["id_token"]
    header = jwt_header(id_token)
    signed = jws.JWS()
    signed.deserialize(id_token)
    try:
        signed.verify(jwk.JWK(**keys[0]))
        verified = True
    except Exception:  # noqa: BLE001 (jwcrypto raises several kinds)
        verified = False
    worked = len(keys) == 1 and "kid" not in keys[0] and "kid" not in header and verified
    return worked, f"JWKS keys {len(keys)}, kid {keys[0].get('kid', 'none')!r}; ID token header {sorted(header)}, verifies with the key: {verified}"


def check_dpop_jti_not_tracked(issuer):
    replayed, evidence = check_dpop_replay(issuer)
    policy = re.search(r"opt_in: \[([^\]]*)\]", (STATE / "targets" / f"{issuer.name}.yaml").read_text())
    opted_in = "dpop_replay" in [entry.strip() for entry in policy[1].split(",")]
    return replayed and not opted_in, f"{evidence}; target opts in to dpop_replay: {opted_in}"


def check_revocation_cascades(issuer):
    """Two code flows of probe-web (and one of probe-web-b) per cascade: revoking the first access
    token takes the second flow's tokens with it; so does replaying the first code. probe-web-b's
    tokens stay."""
    def alive(tokens):
        return issuer.resource(tokens["access_token"]).status_code == 200, issued(issuer.refresh("confidential", tokens["refresh_token"]))

    found = {}
    first, second, other = issuer.tokens(), issuer.tokens(), issuer.tokens("confidential_b")
    revoked = issuer.revoke("confidential", first["access_token"])
    found["revocation"] = (revoked.status_code, alive(second), issuer.resource(other["access_token"]).status_code == 200)
    outcome = issuer.authorize_for_refresh("confidential")
    replayed_first = issuer.redeem("confidential", outcome).json()
    later = issuer.tokens()
    replay = issuer.redeem("confidential", outcome)
    found["code replay"] = (replay.status_code, alive(later), issuer.resource(replayed_first["access_token"]).status_code == 200)
    cascaded = (found["revocation"][0] == 200 and found["revocation"][1] == (False, False) and found["revocation"][2]
                and found["code replay"][0] == 400 and found["code replay"][1] == (False, False) and not found["code replay"][2])
    return cascaded, ("after revoking probe-web's first access token: " f"revoke {found['revocation'][0]}, its second flow's "
                      f"(access token, refresh) usable {found['revocation'][1]}, probe-web-b's access token usable {found['revocation'][2]}; "
                      f"after replaying a code: replay {found['code replay'][0]}, a later flow's usable {found['code replay'][1]}, "
                      f"the code's own access token usable {found['code replay'][2]}")


# quirk -> [(check, the issuer it is shown against: the quirk's issuer is BASE--QUIRK)]: the check must
# work on BASE--QUIRK and not on BASE.
QUIRK_CHECKS = {
    "error-page-200": [(check_error_page_200, "clean")],
    "error-page-redirect": [(check_error_page_redirect, "clean")],
    "error-page-other-origin": [(check_error_page_other_origin, "clean")],
    "identity-scopes-refused": [(check_identity_scopes_client_credentials, "client-credentials-public"),
                                (check_identity_scopes_implicit, "implicit-enabled")],
    "refresh-needs-offline-access": [(check_offline_access, "clean")],
    "password-mfa-required": [(check_password_mfa, "password-grant-enabled")],
    "resource-requires-kid": [(check_resource_kid, "resource-jwt-unverified")],
    "script-session-cookie": [(check_script_session_cookie, "clean")],
    "consent-remembered": [(check_consent_remembered, "clean")],
    "csp-frame-ancestors": [(check_csp_frame_ancestors, "clean")],
    "login-307-same-origin": [(check_login_307_same_origin, "clean")],
    "rate-limited": [(check_rate_limited, "clean")],
    "cold-start-503": [(check_cold_start, "clean")],
    "session-forgotten-401": [(check_session_forgotten, "clean")],
    "json-nulls": [(check_json_nulls, "clean")],
    "jwks-no-kid": [(check_jwks_no_kid, "clean")],
    "dpop-jti-not-tracked": [(check_dpop_jti_not_tracked, "clean")],
    "revocation-cascades": [(check_revocation_cascades, "clean")],
}


def check_quirk(entry):
    """(ok, report line) for one quirk: each of its checks on BASE--QUIRK (must work) and BASE (must not);
    password-mfa-required also leaves clean's refusal of the password grant alone."""
    name, lines, ok = entry["name"], [], True
    started = time.monotonic()
    pairs = list(QUIRK_CHECKS[name])
    for run, base in pairs:
        quirked = f"{base}--{name}"
        worked, evidence = run(Issuer(quirked))
        base_worked, base_evidence = run(Issuer(base))
        ok &= worked and not base_worked
        lines.append(f"{evidence}  |  {base}: {base_evidence}")
    if name == "password-mfa-required":
        refused, evidence = check_password_mfa_clean(Issuer(f"clean--{name}"))
        ok &= refused
        lines.append(f"clean--{name}: {evidence}")
    line = f"{'ok ' if ok else 'BAD'} {name:36} {' // '.join(lines)}  ({time.monotonic() - started:.1f} s)"
    return ok, line


def all_of(*results):
    return all(worked for worked, _ in results), "; ".join(evidence for _, evidence in results)


def check(entry):
    """(ok, report line) for one manifest entry: the check on the mutant, and on the clean issuer."""
    name = entry["name"]
    if name.startswith("redirect-") and name != "redirect-unknown-client":
        run = lambda issuer: check_redirect(issuer, entry["aims"] if issuer.name == name else [])  # noqa: E731
    else:
        run = CHECKS[name]
    started = time.monotonic()
    worked, evidence = run(Issuer(name))
    clean_worked, clean_evidence = run(Issuer("clean"))
    must_work = entry["expect"] == "fail" or "judgement" in entry
    ok = worked == must_work and not clean_worked
    line = f"{'ok ' if ok else 'BAD'} {name:36} {evidence}  |  clean: {clean_evidence}  ({time.monotonic() - started:.1f} s)"
    return ok, line


def check_combined(issuer_name):
    """(ok, report line) for MUTATION--QUIRK: the mutation's check on it (must work, as on the mutation)
    and on clean--QUIRK (must not), with a client that waits out 429s and sends a 503'd request again."""
    mutation, quirk = issuer_name.split("--", 1)
    entry = next(e for e in MANIFEST if e["name"] == mutation)
    if mutation.startswith("redirect-") and mutation != "redirect-unknown-client":
        run = lambda issuer: check_redirect(issuer, entry["aims"] if issuer.name == issuer_name else [])  # noqa: E731
    else:
        run = CHECKS[mutation]
    started = time.monotonic()
    try:
        worked, evidence = run(Issuer(issuer_name, patient=True))
        clean_worked, clean_evidence = run(Issuer(f"clean--{quirk}", patient=True))
    except Exception as error:  # noqa: BLE001 (a check that cannot run is a failure to report)
        return False, f"BAD {issuer_name:60} the check broke: {type(error).__name__}: {error}"
    ok = worked and not clean_worked
    line = f"{'ok ' if ok else 'BAD'} {issuer_name:60} {evidence}  |  clean--{quirk}: {clean_evidence}  ({time.monotonic() - started:.1f} s)"
    return ok, line


SERIAL_QUIRKS = {"revocation-cascades"}


def combined_issuers():
    listing = (STATE / "targets" / "issuers.txt").read_text().split()
    return [name.removesuffix(".yaml") for name in listing if "--" in name and not name.startswith("clean--")]


def main(names):
    if names[:1] == ["--combined"]:
        issuers = [name for name in combined_issuers() if not names[1:] or any(part in names[1:] for part in name.split("--"))]
        failures = 0
        # A cascading revocation on clean--QUIRK takes the tokens of another check running there at the
        # same time: those quirks' issuers are checked one at a time, after the others.
        serial = [name for name in issuers if name.split("--", 1)[1] in SERIAL_QUIRKS]
        with ThreadPoolExecutor(4) as pool:
            for ok, line in pool.map(check_combined, [name for name in issuers if name not in serial]):
                failures += not ok
                print(line, flush=True)
        for ok, line in map(check_combined, serial):
            failures += not ok
            print(line, flush=True)
        print(f"{len(issuers) - failures} of {len(issuers)} combined issuers keep their mutation")
        return 1 if failures else 0
    """Every mutation and quirk (or those named), four at a time."""
    entries = [entry for entry in MANIFEST if entry["name"] != "clean" and (not names or entry["name"] in names)]
    quirks = [entry for entry in QUIRKS if not names or entry["name"] in names]
    unknown = set(names) - {entry["name"] for entry in [*MANIFEST, *QUIRKS]}
    if unknown:
        sys.exit(f"unknown mutation(s) or quirk(s): {sorted(unknown)}")
    failures = 0
    with ThreadPoolExecutor(4) as pool:
        for ok, line in pool.map(check, entries):
            failures += not ok
            print(line, flush=True)
        quirk_failures = 0
        for ok, line in pool.map(check_quirk, quirks):
            quirk_failures += not ok
            print(line, flush=True)
    if entries:
        print(f"{len(entries) - failures} of {len(entries)} mutations hold")
    if quirks:
        print(f"{len(quirks) - quirk_failures} of {len(quirks)} quirks show")
    return 1 if failures or quirk_failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
