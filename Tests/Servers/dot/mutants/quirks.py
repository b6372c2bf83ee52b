"""What the quirks (registry.Quirk, ../quirks.json) need beyond a line in the views, the validator
and the middleware: what they count and remember across the gunicorn workers, the pages they send
the browser to, and the scope backend of refresh-needs-offline-access.

Counting and remembering go through the database (records.QuirkRecord), the one thing the workers
share. What happens "once per server start" is counted under registry.BOOT, made by the gunicorn
master before it forks.
"""

import hashlib
import html
from urllib.parse import urlencode

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt

from dotserver.scopes import PerApplicationScopes

from .records import QuirkRecord
from .registry import BOOT, HTTPS_PORT, OFFLINE_ACCESS, current


def _key(*parts):
    return hashlib.sha256("\0".join((current().name, *map(str, parts))).encode()).hexdigest()


def count(*what, per_start=True):
    """Counts one more of `what` for the current issuer (since this server started, unless
    per_start is False) and returns the count, this one included."""
    key = _key(BOOT if per_start else "", *what)
    with transaction.atomic():
        if not QuirkRecord.objects.filter(key=key).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    QuirkRecord.objects.create(key=key, count=1)
            except IntegrityError:  # another worker created it in between
                QuirkRecord.objects.filter(key=key).update(count=F("count") + 1)
        return QuirkRecord.objects.get(key=key).count


def remember(*what):
    """Remembers `what` for the current issuer (for good: consents, codes)."""
    QuirkRecord.objects.get_or_create(key=_key(*what))


def remembered(*what):
    return QuirkRecord.objects.filter(key=_key(*what)).exists()


def checksum(value):
    return hashlib.sha256(value.encode()).hexdigest()


def html_page(title, body, status=200, **headers):
    response = HttpResponse(
        f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n",
        status=status,
        content_type="text/html; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


# --- refresh-needs-offline-access -------------------------------------------------------------


class OfflineAccessScopes(PerApplicationScopes):
    """The clean issuer's per-application scopes, and offline_access for every client."""

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        scopes = super().get_available_scopes(application, request, *args, **kwargs)
        return scopes if OFFLINE_ACCESS in scopes else [*scopes, OFFLINE_ACCESS]


# --- the error pages of error-page-redirect and error-page-other-origin ------------------------

_ERROR_SALT = "quirk-error-page"


def error_page_redirect(request, error, description, link=None):
    """Duende IdentityServer: the error travels in the errorId to the server's own error page
    (/home/error?errorId=...). Duende's default message store protects the message into the id
    itself (ProtectedDataMessageStore), so no worker or concurrent request can lose it."""
    error_id = signing.dumps([error, description, link], salt=_ERROR_SALT, compress=True)
    return HttpResponseRedirect(f"{reverse('quirk-error-page')}?{urlencode({'errorId': error_id})}")


def error_page_other_origin(error, description):
    """Ory Hydra's urls.error: the operator's error page, here on another origin (localhost)."""
    page = f"https://localhost:{HTTPS_PORT}{current().prefix}/oauth-error"
    return HttpResponseRedirect(f"{page}?{urlencode({'error': error, 'error_description': description})}")


def error_page_body(error, description, link=None):
    body = f"<p>The request could not be completed.</p><p><code>{html.escape(error)}</code>: {html.escape(description)}</p>"
    if link:
        body += f'<p><a href="{html.escape(link)}">Return to the application</a></p>'
    return body


def home_error(request):
    """/home/error?errorId=...: the error a redirect kept, 200 HTML (an unknown id: a generic one),
    with the link error-page-links-back puts on it."""
    try:
        error, description, link = signing.loads(request.GET.get("errorId", ""), salt=_ERROR_SALT)
    except signing.BadSignature:
        error, description, link = "unknown_error", "The error could not be found.", None
    return html_page("Error", error_page_body(error, description, link))


def oauth_error(request):
    """/oauth-error: the other-origin error page (the harness never fetches it)."""
    return html_page(
        "Error", error_page_body(request.GET.get("error", "error"), request.GET.get("error_description", ""))
    )


def links_back(redirect_uri):
    """error-page-links-back: the 'Return to the application' link, the redirect_uri as sent."""
    return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}error=invalid_request"


# --- login-307-same-origin --------------------------------------------------------------------


@csrf_exempt
def login_done(request):
    """/accounts/login/done?next=...: where the sign-in's 307 leads; takes whatever is re-posted,
    ignores it, and sends the browser on to next (302)."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("login")
    return HttpResponseRedirect(target)


# --- rate-limited, cold-start-503 (mutants/middleware.py) ------------------------------------

RATE_LIMIT_EVERY = 4


def too_many_requests():
    return html_page(
        "429 Too Many Requests",
        "<p>You have sent too many requests. Try again in a moment.</p>",
        status=429,
        Retry_After="1",
    )


def service_unavailable():
    return html_page("503 Service Unavailable", "<p>The service is starting. Please try again.</p>", status=503)


# --- session-forgotten-401 --------------------------------------------------------------------

SESSION_FORGOTTEN_AT = 12  # the authorization request (GET) that finds its session gone
SESSION_FORGOTTEN_FLAG = "quirk_session_forgotten"  # session key: the next sign-in page answers 401

# --- script-session-cookie --------------------------------------------------------------------

SESSION_STATE_COOKIE = "probe_session_state"

# --- revocation-cascades (mutants/validator.py) -----------------------------------------------
# The deployment's issuers share one database and the same clients and user: a cascade reaches only
# the tokens the current issuer issued, which it remembers as it issues them (validator._remember).

ISSUED_ACCESS_TOKEN = "issued-access-token"  # an AccessToken pk
ISSUED_FAMILY = "issued-token-family"  # a RefreshToken token_family


def remembered_among(what, values):
    """The values (as strings) among `values` remembered as `what` for the current issuer."""
    by_key = {_key(what, value): str(value) for value in values}
    keys, found = list(by_key), set()
    for start in range(0, len(keys), 500):
        found.update(QuirkRecord.objects.filter(key__in=keys[start:start + 500]).values_list("key", flat=True))
    return {by_key[key] for key in found}
