#!/usr/bin/env python3
"""Echo and fault server for the Wire tests (stdlib only).

Listens on 127.0.0.1 on an ephemeral port and prints `PORT <n>` on its first stdout line.
With --cert/--key it speaks TLS. It exits when its stdin closes (the test stopped or died).

Paths under /_/ do special things; every other request is echoed back as JSON:
  {"requestline_b64": ..., "method": ..., "target_b64": ..., "headers": [[name, value], ...],
   "body_b64": ...}
Special paths (query parameters control them):
  /_/redirect?to=URL        302 with Location: URL
  /_/setcookie?name=N&value=V[&path=P]   200 with Set-Cookie
  /_/slow?ms=N              waits N ms, then echoes
  /_/status?code=N          answers with that status and an empty body
  /_/multi                  two X-Multi headers and two Set-Cookie headers
  /_/bytes?n=N              a body of N bytes
  /_/log                    every request received so far (but these), as a JSON list of
                            {"host", "method", "target_b64", "headers", "body_b64"}; a streamed
                            answer adds "streamed" (bytes written) and "stream_done"
  /_/idp/SCENARIO/...       a small identity server, hostile or broken as SCENARIO says (see
                            `Idp` below); RFC 8414's /.well-known/oauth-authorization-server/_/idp/
                            SCENARIO goes there too
Discovery documents, for `oauthprobe init` (the issuer is this server's origin plus the prefix):
  /_/oidc/.well-known/openid-configuration        OpenID Connect Discovery, issuer .../_/oidc
  /.well-known/oauth-authorization-server/_/as    RFC 8414 only, issuer .../_/as
  any other path with /.well-known/               404
"""
import argparse
import base64
import html
import json
import os
import re
import secrets
import signal
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlencode

# Every request but /_/log, in arrival order, for tests that check where credentials went.
LOG = []


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def __getattr__(self, name):
        # Any method, in any case (`get`, `PATCH`, `BREW`), goes through one handler.
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)

    def send(self, status, body=b"", headers=()):
        self.send_response_only(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is not None:
            return self.rfile.read(int(length))
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def echo(self, body: bytes):
        raw_line = self.requestline.encode("latin-1")
        payload = {
            "requestline_b64": b64(raw_line),
            "method": self.command,
            "target_b64": b64(self.path.encode("latin-1")),
            "headers": [[k, v] for k, v in self.headers.items()],
            "body_b64": b64(body),
        }
        self.send(200, json.dumps(payload).encode(), [("Content-Type", "application/json")])

    def discovery(self, issuer, openid):
        doc = {
            "issuer": issuer,
            "authorization_endpoint": issuer + "/authorize",
            "token_endpoint": issuer + "/token",
            "jwks_uri": issuer + "/jwks",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }
        if openid:
            doc.update({"userinfo_endpoint": issuer + "/userinfo", "scopes_supported": ["openid", "offline_access", "read"],
                        "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"]})
        else:
            doc.update({"revocation_endpoint": issuer + "/revoke", "scopes_supported": ["read"]})
        self.send(200, json.dumps(doc).encode(), [("Content-Type", "application/json")])

    def handle_any(self):
        body = self.read_body()
        path, _, query = self.path.partition("?")
        q = {k: v[0] for k, v in parse_qs(query).items()}
        origin = ("https" if isinstance(self.connection, ssl.SSLSocket) else "http") + "://" + self.headers.get("Host", "")
        entry = None
        if path != "/_/log":
            entry = {"host": self.headers.get("Host", ""), "method": self.command, "target_b64": b64(self.path.encode("latin-1")),
                     # Header bytes arrive as latin-1 text: give back what was sent, UTF-8 included.
                     "headers": [[k, v.encode("latin-1").decode("utf-8", "replace")] for k, v in self.headers.items()],
                     "body_b64": b64(body)}
            LOG.append(entry)
        if path == "/_/log":
            self.send(200, json.dumps(LOG).encode(), [("Content-Type", "application/json")])
        elif path.startswith("/_/idp/") or path.startswith("/.well-known/oauth-authorization-server/_/idp/"):
            Idp(self, path, q, body, entry).answer()
        elif path == "/_/oidc/.well-known/openid-configuration":
            self.discovery(origin + "/_/oidc", openid=True)
        elif path == "/.well-known/oauth-authorization-server/_/as":
            self.discovery(origin + "/_/as", openid=False)
        elif "/.well-known/" in path:
            self.send(404)
        elif path == "/_/redirect":
            self.send(302, b"", [("Location", q.get("to", "/"))])
        elif path == "/_/setcookie":
            cookie = f"{q['name']}={q['value']}; Path={q.get('path', '/')}"
            self.send(200, b"set", [("Set-Cookie", cookie)])
        elif path == "/_/slow":
            time.sleep(int(q.get("ms", "1000")) / 1000)
            self.echo(body)
        elif path == "/_/status":
            self.send(int(q.get("code", "200")))
        elif path == "/_/multi":
            self.send(200, b"multi", [("X-Multi", "one"), ("x-multi", "two"),
                                      ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")])
        elif path == "/_/bytes":
            self.send(200, b"x" * int(q.get("n", "0")))
        elif path == "/_/answer":
            # A canned answer: status, body and content type from the query.
            self.send(int(q.get("code", "200")), q.get("body", "").encode(),
                      [("Content-Type", q.get("type", "application/json"))])
        elif path == "/_/flaky":
            # Fails with 500 server_error the first `fail` times a `key` is asked, then answers 200.
            with FLAKY_LOCK:
                seen = FLAKY.get(q["key"], 0)
                FLAKY[q["key"]] = seen + 1
            if seen < int(q.get("fail", "1")):
                self.send(500, b'{"error": "server_error"}', [("Content-Type", "application/json")])
            else:
                self.send(200, b'{"ok": true}', [("Content-Type", "application/json")])
        else:
            self.echo(body)


FLAKY = {}
FLAKY_LOCK = threading.Lock()
REDEEMED = set()  # codes the single-use-codes scenario has redeemed
REDEEMED_LOCK = threading.Lock()


class Idp:
    """Answers /_/idp/SCENARIO/... as a minimal identity server that signs anyone in, issues
    tokens to anyone, and is hostile or broken as its scenario says:
      plain           well-behaved enough: metadata, a login form, codes, tokens
      offsite-token   metadata names token, revocation and introspection endpoints on the other
                      origin (127.0.0.1 <-> localhost, same port)
      offsite-form    the login form posts to the other origin
      wrong-issuer    metadata's issuer is not the URL it was fetched from
      not-json        every metadata URL answers 200 with an HTML page
      json-array      every metadata URL answers 200 with a JSON array
      huge-metadata   a 50 MB metadata document
      endless-token   the token endpoint answers with a chunked body that never ends
      slow-token      the token endpoint answers one byte every 2 seconds, without end (slowloris)
      failing-token   the token endpoint answers 500 server_error, every time
      echo            the login and token endpoints echo the password and client secret back,
                      encoded every way servers encode (the password straddling byte 2048 of
                      the page); Django-style CSRF tokens on the login form
    """

    def __init__(self, handler, path, query, body, entry):
        self.h = handler
        self.query = query
        self.body = body
        self.entry = entry
        well_known = "/.well-known/oauth-authorization-server"
        self.rfc8414 = path.startswith(well_known + "/") or path.endswith(well_known)
        rest = path[len(well_known):] if path.startswith(well_known + "/") else path
        parts = rest.split("/", 4)  # "", "_", "idp", SCENARIO, endpoint
        self.scenario = parts[3]
        self.endpoint = parts[4] if len(parts) > 4 else ""
        host = handler.headers.get("Host", "")
        port = handler.server.server_address[1]
        self.origin = f"{handler.server.scheme}://{host}"
        other = "localhost" if host.startswith("127.0.0.1") else "127.0.0.1"
        self.other_origin = f"{handler.server.scheme}://{other}:{port}"
        self.base = f"/_/idp/{self.scenario}"

    def json(self, status, document, headers=()):
        self.h.send(status, json.dumps(document).encode(),
                    [("Content-Type", "application/json"), ("Cache-Control", "no-store")] + list(headers))

    def html(self, status, page, headers=()):
        self.h.send(status, page.encode(), [("Content-Type", "text/html; charset=utf-8")] + list(headers))

    def answer(self):
        if self.rfc8414 or self.endpoint == ".well-known/openid-configuration":
            return self.metadata()
        handler = {
            "authorize": self.authorize, "login": self.login, "token": self.token, "jwks": self.jwks,
            "revoke": self.ok, "introspect": self.ok, "userinfo": self.userinfo, "api/auth": self.api_sign_in,
        }.get(self.endpoint)
        if handler is None:
            return self.h.send(404)
        handler()

    def metadata(self):
        if self.scenario == "not-json":
            return self.html(200, "<!doctype html><html><head><title>Welcome</title></head><body>Our app</body></html>")
        if self.scenario == "json-array":
            return self.json(200, ["issuer", "token_endpoint"])
        if self.rfc8414:
            return self.h.send(404)
        if self.scenario == "huge-metadata":
            return self.stream(b'{"issuer": "' + b"x" * 65536, total=50 << 20, chunked=False)
        base = self.origin + self.base
        document = {
            "issuer": base,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/token",
            "revocation_endpoint": base + "/revoke",
            "introspection_endpoint": base + "/introspect",
            "userinfo_endpoint": base + "/userinfo",
            "jwks_uri": base + "/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
        }
        if self.scenario == "offsite-token":
            for key, name in [("token_endpoint", "token"), ("revocation_endpoint", "revoke"), ("introspection_endpoint", "introspect")]:
                document[key] = f"{self.other_origin}{self.base}/{name}"
        if self.scenario == "wrong-issuer":
            document["issuer"] = "https://issuer.example/elsewhere"
        self.json(200, document)

    def login_page(self, next_query, extra=""):
        action = (self.other_origin if self.scenario == "offsite-form" else "") + self.base + "/login"
        csrf = secrets.token_urlsafe(24)
        if self.scenario == "changed-login":
            # A redesigned sign-in: a PIN and a captcha, nothing a form strategy knows.
            return (self.PAGE_START + f'<form method="post" action="{html.escape(action)}">'
                    + '<input type="text" name="pin"><input type="text" name="captcha_answer">'
                    + '<button type="submit">Go</button></form></body></html>')
        return (self.PAGE_START + extra
                + f'<form method="post" action="{html.escape(action)}">'
                + f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
                + f'<input type="hidden" name="next" value="{html.escape(next_query)}">'
                + '<input type="text" name="username"><input type="password" name="password">'
                + '<button type="submit">Sign in</button></form></body></html>')

    def authorize(self):
        query = self.h.path.partition("?")[2]
        # A browser with a session (from /login, /api/auth or the user) is not asked to sign in again.
        if any(name in self.h.headers.get("Cookie", "") for name in ("session=", "sessionid=")):
            return self.send_code(query)
        self.html(200, self.login_page(query), [("Set-Cookie", f"csrftoken={secrets.token_hex(16)}; Path=/; SameSite=Lax")])

    def login(self):
        form = {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        password = form.get("password", "")
        if self.scenario == "echo":
            return self.html(200, self.echo_page(password, form.get("next", "")))
        self.send_code(form.get("next", ""), [("Set-Cookie", f"sessionid={secrets.token_urlsafe(24)}; Path=/; HttpOnly")])

    def send_code(self, authorize_query, headers=()):
        request = {k: v[0] for k, v in parse_qs(authorize_query).items()}
        redirect = request.get("redirect_uri", "https://nowhere.example/cb")
        location = redirect + ("&" if "?" in redirect else "?") + urlencode({"code": secrets.token_urlsafe(24), "state": request.get("state", "")})
        self.h.send(302, b"", [("Location", location)] + list(headers))

    PAGE_START = "<!doctype html><html><head><title>Sign in</title></head><body>"

    def echo_page(self, password, next_query):
        # The password encoded every way, then the raw password starting at byte 2040 of the
        # page, so that a cut at 2048 falls inside it.
        echoes = "<p>wrong password for probe-user: " + " | ".join(encodings(password)) + "</p><!--"
        padding = 2040 - len((self.PAGE_START + echoes).encode()) - 3
        return self.login_page(next_query, echoes + "x" * padding + "-->" + password)

    def token(self):
        if self.scenario == "endless-token":
            return self.stream(b'{"access_token": "' + b"a" * 65536, total=None, chunked=True)
        if self.scenario == "slow-token":
            return self.trickle()
        if self.scenario == "failing-token":
            return self.json(500, {"error": "server_error"})
        form = {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        secret = form.get("client_secret", "")
        authorization = self.h.headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            pair = base64.b64decode(authorization[6:]).decode("utf-8", "replace")
            secret = parse_qs("s=" + pair.partition(":")[2]).get("s", [""])[0]
        if self.scenario == "echo" and secret:
            # Written by hand so each encoding stands in the body as is (every one is JSON-safe).
            body = '{"error": "invalid_client", "error_description": "bad secret: %s"}' % " | ".join(encodings(secret))
            return self.h.send(401, body.encode(), [("Content-Type", "application/json"),
                                                    ("X-Secret-Echo", encodings(secret)[0]), ("X-Secret-Base64", encodings(secret)[3])])
        grant = form.get("grant_type")
        if self.scenario == "single-use-codes" and grant == "authorization_code":
            # A code redeems once; presented again it is refused as RFC 6749 §5.2 says.
            with REDEEMED_LOCK:
                seen = form.get("code", "") in REDEEMED
                REDEEMED.add(form.get("code", ""))
            if seen:
                return self.json(400, {"error": "invalid_grant"})
        if grant in ("authorization_code", "refresh_token", "client_credentials"):
            tokens = {"access_token": secrets.token_urlsafe(32), "token_type": "Bearer", "expires_in": 300}
            if grant != "client_credentials":
                tokens["refresh_token"] = secrets.token_urlsafe(32)
            return self.json(200, tokens)
        self.json(400, {"error": "unsupported_grant_type"})

    def jwks(self):
        self.json(200, {"keys": []})

    def ok(self):
        self.json(200, {})

    def userinfo(self):
        if self.h.headers.get("Authorization", "").startswith("Bearer "):
            return self.json(200, {"sub": "probe"})
        self.json(401, {"error": "invalid_token"})

    def api_sign_in(self):
        self.json(200, {}, [("Set-Cookie", f"session={secrets.token_urlsafe(24)}; Path=/")])

    def trickle(self):
        """Headers at once, then a byte of body every 2 seconds until the client hangs up."""
        h = self.h
        h.send_response_only(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(1 << 20))
        h.end_headers()
        sent = 0
        try:
            while True:
                h.wfile.write(b"{" if sent == 0 else b" ")
                h.wfile.flush()
                sent += 1
                self.entry["streamed"] = sent
                time.sleep(2)
        except OSError:
            pass  # the client gave up: what the test wants
        self.entry["stream_done"] = True
        h.close_connection = True

    def stream(self, first, total, chunked):
        """Writes `first`, then x's, until `total` bytes (None: forever) or the client hangs up."""
        h = self.h
        h.send_response_only(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked") if chunked else h.send_header("Content-Length", str(total))
        h.end_headers()
        filler = b"x" * 65536
        sent = 0
        try:
            while total is None or sent < total:
                piece = first if sent == 0 else filler
                if total is not None:
                    piece = piece[: total - sent]
                h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
                self.entry["streamed"] = sent
        except OSError:
            pass  # the client stopped reading: what the test wants
        self.entry["stream_done"] = True
        h.close_connection = True


def encodings(value):
    """The value the ways servers write it back: form and percent-encoding in both hex cases (and
    both at once), base64, JSON strings escaped as Python, .NET and Go do, and every character
    \\u-escaped in either hex case; HTML entities named and numeric, and every character a
    numeric reference (decimal; hex in mixed case, zero-padded, some without `;`)."""
    raw = value.encode("utf-8")
    utf16 = value.encode("utf-16-be")
    units = [int.from_bytes(utf16[i:i + 2], "big") for i in range(0, len(utf16), 2)]
    return [
        quote(value, safe=""),
        re.sub(r"%[0-9A-F]{2}", lambda hexadecimal: hexadecimal.group(0).lower(), quote(value, safe="")),
        quote(value, safe=" ").replace(" ", "+"),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"),
        "".join("\\u%04X" % ord(c) if c in "<>&'\"+`" or not c.isascii() else c for c in value),
        html.escape(value),
        "".join("&#%d;" % ord(c) if c in "<>&\"'" else c for c in value),
        "".join("&#x%x;" % ord(c) if c in "<>&\"'" else c for c in value),
        "".join("%%%02X" % b if i % 2 else "%%%02x" % b for i, b in enumerate(raw)),
        "".join("\\u%04x" % unit for unit in units),
        "".join("\\u%04X" % unit for unit in units),
        "".join("&#%d;" % ord(c) for c in value),
        "".join("&#X%06X;" % ord(c) if i % 2 else "&#x%x" % ord(c) for i, c in enumerate(value)),
    ]


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that time out or reject our certificate are expected


def exit_when_parent_goes():
    # The test holds our stdin open; EOF means it stopped us or died: never linger.
    sys.stdin.buffer.read()
    os._exit(0)


def main():
    # A child started from a libdispatch thread inherits its blocked signals: unblock them so
    # SIGTERM works.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    threading.Thread(target=exit_when_parent_goes, daemon=True).start()
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    server.scheme = "https" if args.cert else "http"
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    socketserver.TCPServer.allow_reuse_address = True
    main()
