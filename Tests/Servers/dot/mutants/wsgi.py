"""WSGI entry points of the mutant deployment: the path prefix /m/<name>/ selects the issuer.

application         behind the TLS gunicorn.
plain_application   behind the plain-http gunicorn: it serves an issuer only on the listener that
                    issuer's mutation opened (Mutation.plain_listener) and refuses every other
                    request with 400, as a TLS-only server answers plain http.

The prefix moves from PATH_INFO to SCRIPT_NAME, so Django builds every URL (discovery documents,
login redirects, resource metadata) under it, and cookies get that path, so that one issuer's
browser session is never sent to another (as nginx's proxy_cookie_path would do).
"""

import os
import re


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutants.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402


django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402

from . import registry  # noqa: E402


_PREFIX = re.compile(r"/m/(?P<name>[a-z0-9-]+)(?P<rest>/.*)?", re.DOTALL)
_ROOT_COOKIE_PATH = re.compile(r"(;\s*Path=)/(?=;|$)", re.IGNORECASE)


def _text(start_response, status, text):
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]


def _select(environ):
    match = _PREFIX.fullmatch(environ.get("PATH_INFO", ""))
    if match is None or match["name"] not in registry.REGISTRY:
        return None, None
    return registry.REGISTRY[match["name"]], match["rest"] or "/"


def _serve(environ, start_response, mutation, path_info):
    prefix = mutation.prefix
    environ["SCRIPT_NAME"] = prefix
    environ["PATH_INFO"] = path_info

    def start_issuer_response(status, headers, exc_info=None):
        headers = [
            (name, _ROOT_COOKIE_PATH.sub(rf"\g<1>{prefix}/", value) if name.lower() == "set-cookie" else value)
            for name, value in headers
        ]
        return start_response(status, headers, exc_info)

    token = registry.serving(mutation)
    try:
        return django_application(environ, start_issuer_response)
    finally:
        registry.reset(token)


def application(environ, start_response):
    mutation, path_info = _select(environ)
    if mutation is None:
        return _text(start_response, "404 Not Found", "No issuer here: they are at /m/<name>/ (see mutants.json).\n")
    return _serve(environ, start_response, mutation, path_info)


def plain_application(environ, start_response):
    listener = settings.MUTANTS_PLAIN_LISTENERS.get((environ.get("SERVER_NAME"), environ.get("SERVER_PORT")))
    mutation, path_info = _select(environ)
    if mutation is None or listener is None or mutation.plain_listener != listener:
        return _text(start_response, "400 Bad Request", "This issuer answers https only.\n")
    return _serve(environ, start_response, mutation, path_info)
