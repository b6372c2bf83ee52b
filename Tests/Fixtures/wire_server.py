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
Discovery documents, for `oauthprobe init` (the issuer is this server's origin plus the prefix):
  /_/oidc/.well-known/openid-configuration        OpenID Connect Discovery, issuer .../_/oidc
  /.well-known/oauth-authorization-server/_/as    RFC 8414 only, issuer .../_/as
  any other path with /.well-known/               404
"""
import argparse
import base64
import json
import os
import signal
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


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
        if path == "/_/oidc/.well-known/openid-configuration":
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
        else:
            self.echo(body)


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
