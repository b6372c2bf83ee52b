"""How a redirect_uri is compared with a registered one: the clean issuer's rule and the bent ones.

Each function answers "does the requested URI match this registered URI?". The clean issuer uses
exact(): RFC 9700 §2.1 and OIDC Core §3.1.2.1 ask for simple string comparison. Every other
function is one way real servers have compared too loosely; a redirect-* mutation swaps it in
(mutants/registry.py).
"""

import posixpath
import re
from urllib.parse import unquote, urlsplit

from oauth2_provider.models import redirect_to_uri_allowed


def exact(uri, registered):
    return uri == registered


def _without(uri, part):
    """The URI as a tuple of its raw components, with `part` left out (None)."""
    parsed = urlsplit(uri)
    components = {
        "scheme": parsed.scheme,
        "netloc": parsed.netloc,
        "path": parsed.path,
        "query": (parsed.query, "?" in uri),
        "fragment": (parsed.fragment, "#" in uri),
    }
    components[part] = None
    return tuple(components.values())


def _host_and_port(netloc):
    host, colon, port = netloc.rpartition(":")
    return (host, port) if colon and port.isdigit() else (netloc, "")


def any_host(uri, registered):
    """Compares everything but the host (a path-only check): any host gets the code."""
    if urlsplit(uri).port != urlsplit(registered).port:
        return False
    return _without(uri, "netloc") == _without(registered, "netloc")


_DNS_LABELS = re.compile(r"(?:[A-Za-z0-9-]+\.)+")


def subdomain(uri, registered):
    """Accepts the registered host or any host name below it (a suffix match on DNS labels)."""
    host, port = _host_and_port(urlsplit(uri).netloc)
    registered_host, registered_port = _host_and_port(urlsplit(registered).netloc)
    below = host.endswith("." + registered_host) and _DNS_LABELS.fullmatch(host[: -len(registered_host)])
    return bool(host == registered_host or below) and port == registered_port and (
        _without(uri, "netloc") == _without(registered, "netloc")
    )


def userinfo_as_host(uri, registered):
    """Reads the host as the text before '@' (a hand-written authority parser), so
    https://registered.host@attacker.example/cb looks like the registered host; the browser goes
    to attacker.example."""
    parsed = urlsplit(uri)
    naive_host = parsed.netloc.split("@", 1)[0]
    return parsed._replace(netloc=naive_host).geturl() == registered


def any_port(uri, registered):
    """Compares the host without its port."""
    host = _host_and_port(urlsplit(uri).netloc)[0]
    registered_host = _host_and_port(urlsplit(registered).netloc)[0]
    return host == registered_host and _without(uri, "netloc") == _without(registered, "netloc")


def any_scheme(uri, registered):
    """Compares everything after the scheme, so http:// passes for a registered https:// URI."""
    return uri.partition(":")[2] == registered.partition(":")[2]


def path_prefix(uri, registered):
    """Accepts the registered path and anything below it (/cb, /cb/, /cb/anything)."""
    path = urlsplit(uri).path
    registered_path = urlsplit(registered).path
    below = path == registered_path or path.startswith(registered_path.rstrip("/") + "/")
    return below and _without(uri, "path") == _without(registered, "path")


def trailing_slash(uri, registered):
    """Treats /cb and /cb/ as the same path."""
    path = urlsplit(uri).path.rstrip("/")
    return path == urlsplit(registered).path.rstrip("/") and _without(uri, "path") == _without(registered, "path")


def _remove_dot_segments(path):
    """RFC 3986 §5.2.4, keeping a trailing slash (unlike posixpath.normpath)."""
    trailing = path.endswith(("/", "/.", "/.."))
    normal = posixpath.normpath(path)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    return normal + "/" if trailing and normal != "/" else normal


def dot_segments(uri, registered):
    """Resolves '.' and '..' in the path before comparing: /attacker/../cb counts as /cb."""
    path = _remove_dot_segments(urlsplit(uri).path)
    return path == urlsplit(registered).path and _without(uri, "path") == _without(registered, "path")


def percent_decoded(uri, registered):
    """Percent-decodes the path before comparing: /%63%62 counts as /cb."""
    path = unquote(urlsplit(uri).path)
    return path == urlsplit(registered).path and _without(uri, "path") == _without(registered, "path")


def path_case(uri, registered):
    """Compares the path case-insensitively: /CB counts as /cb."""
    path = urlsplit(uri).path.lower()
    return path == urlsplit(registered).path.lower() and _without(uri, "path") == _without(registered, "path")


def dot_stock(uri, registered):
    """django-oauth-toolkit's own check: components compared one by one, the host through
    urlsplit().hostname, which is lower-cased (PUBLIC.CLIENT.TEST passes)."""
    return redirect_to_uri_allowed(uri, [registered])


def any_query(uri, registered):
    """Ignores the query: parameters the client never registered ride along into the callback."""
    return _without(uri, "query") == _without(registered, "query")


def any_fragment(uri, registered):
    """Cuts a fragment off before comparing."""
    return uri.split("#", 1)[0] == registered


def wildcard_label(uri, registered):
    """Honours '*' in a registered host as any one DNS label (https://*.example/cb)."""
    if "*" not in registered:
        return exact(uri, registered)
    pattern = re.escape(registered).replace(r"\*", r"[^./:@]+")
    return re.fullmatch(pattern, uri) is not None
