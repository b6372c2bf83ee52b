"""Pushed authorization requests (RFC 9126) for every issuer.

The PAR endpoint (push, o/par/) authenticates the client as the token endpoint does, validates the
parameters as an authorization request (DOT's oauthlib server, without a user), keeps them and
answers 201 with a request_uri that lives 60 s (section 2). The authorization endpoint
(authorization_view, around DOT's) takes client_id and that request_uri (section 4): the request_uri
must be this issuer's, pushed by that client, unexpired and unused; it is used up when presented,
and the pushed parameters are then the request's. A signed-out browser is sent to sign in first,
and presents the request_uri when it comes back.

Both metadata documents advertise the endpoint (section 5). The clean issuer does not require PAR;
an issuer whose `django` settings say PAR_REQUIRED answers any authorization request without a
request_uri with an error page, and takes a consent form only once for a request it resolved from a
request_uri (its client_id, redirect_uri and state).

The mutations (mutants/registry.py) each skip one check: PAR_REQUEST_URI_REUSABLE,
PAR_REQUEST_URI_ANY_CLIENT, PAR_REQUIRED_NOT_ENFORCED.
"""

import functools
import html
import json
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from .records import PushedAuthorizationRequest
from .registry import Break, current, on


REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
LIFETIME = 60
# Client authentication travels in these form fields; they are not part of the authorization request.
_CLIENT_AUTHENTICATION = {"client_secret", "client_assertion", "client_assertion_type"}


def required():
    """Whether the issuer takes authorization requests through PAR only (section 5)."""
    return bool(current().django.get("PAR_REQUIRED", False))


def _error(status, error, description):
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _error_page(error, description):
    """The authorization endpoint's answer when it cannot trust the request enough to redirect."""
    text = html.escape(f"{error}: {description}")
    response = HttpResponse(f"<!doctype html><title>Error: {html.escape(error)}</title><h1>{text}</h1>", status=400)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
def push(request):
    """The pushed authorization request endpoint (section 2)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    core = get_oauthlib_core()
    uri, method, body, headers = core._extract_params(request)
    oauth_request = OAuthlibRequest(uri, method, body, headers)
    validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
    # As at the token endpoint: a confidential client authenticates, a public one names itself.
    if validator.client_authentication_required(oauth_request):
        authenticated = validator.authenticate_client(oauth_request)
    else:
        authenticated = validator.authenticate_client_id(oauth_request.client_id, oauth_request)
    client = getattr(oauth_request, "client", None)
    if not authenticated or client is None:
        return _error(401, "invalid_client", "Client authentication failed.")
    named = request.POST.get("client_id")
    if named is not None and named != client.client_id:
        return _error(400, "invalid_request", "The client_id is not the authenticated client's.")
    if "request_uri" in request.POST:
        return _error(400, "invalid_request", "A pushed authorization request cannot itself carry a request_uri.")
    parameters = [(name, value) for name, value in request.POST.items() if name not in _CLIENT_AUTHENTICATION]
    if named is None:
        parameters.insert(0, ("client_id", client.client_id))
    # Section 2.1: validated as the authorization endpoint would validate it.
    authorize_uri = request.build_absolute_uri(reverse("oauth2_provider:authorize")) + "?" + urlencode(parameters)
    try:
        core.server.validate_authorization_request(authorize_uri, http_method="GET", body=None, headers=None)
    except OAuth2Error as error:
        return _error(400, error.error, error.description or "The authorization request is invalid.")
    reference = secrets.token_urlsafe(32)
    PushedAuthorizationRequest.objects.create(
        reference=reference,
        issuer=current().name,
        client_id=client.client_id,
        parameters=json.dumps(parameters),
        expires=timezone.now() + timedelta(seconds=LIFETIME),
    )
    response = JsonResponse({"request_uri": REQUEST_URI_PREFIX + reference, "expires_in": LIFETIME}, status=201)
    response["Cache-Control"] = "no-store"
    return response


def _take(request_uri, client_id):
    """(the pushed request, None) for a request_uri this client may present now, which is then used
    up; (None, why not) otherwise."""
    if not request_uri.startswith(REQUEST_URI_PREFIX):
        return None, "the request_uri is not one this server issued"
    pushed = PushedAuthorizationRequest.objects.filter(
        reference=request_uri[len(REQUEST_URI_PREFIX):], issuer=current().name
    ).first()
    if pushed is None:
        return None, "the request_uri is not one this server issued"
    if pushed.client_id != client_id and not on(Break.PAR_REQUEST_URI_ANY_CLIENT):
        return None, "the request_uri was pushed by another client"
    if pushed.expires <= timezone.now():
        return None, "the request_uri has expired"
    # Used up in one conditional update, so two presentations at once cannot both win.
    taken = PushedAuthorizationRequest.objects.filter(pk=pushed.pk, used=False).update(used=True)
    if not taken and not on(Break.PAR_REQUEST_URI_REUSABLE):
        return None, "the request_uri was used already"
    return pushed, None


def _present(request, pushed):
    """Makes the pushed parameters the request's, as if the browser had sent them."""
    query = QueryDict(mutable=True)
    for name, value in json.loads(pushed.parameters):
        query.appendlist(name, value)
    request.GET = query
    request.META["QUERY_STRING"] = query.urlencode()


def _answers_pushed(request):
    """Whether a consent form answers a request resolved from a request_uri, and has not before:
    its client_id, redirect_uri and state are the pushed ones (PAR required)."""
    posted = {name: request.POST.get(name) for name in ("client_id", "redirect_uri", "state")}
    resolved = PushedAuthorizationRequest.objects.filter(
        issuer=current().name, client_id=posted["client_id"], used=True, consented=False,
        expires__gt=timezone.now() - timedelta(minutes=10),
    )
    for pushed in resolved:
        parameters = dict(json.loads(pushed.parameters))
        if all(parameters.get(name) == value for name, value in posted.items()):
            return PushedAuthorizationRequest.objects.filter(pk=pushed.pk, consented=False).update(consented=True) == 1
    return False


def authorization_view(view):
    """DOT's authorization endpoint, taking pushed requests (section 4) and, where required, only those."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "GET" and "request_uri" in request.GET:
            if not request.user.is_authenticated:
                return view(request, *args, **kwargs)  # the sign-in first; the browser comes back here
            pushed, problem = _take(request.GET["request_uri"], request.GET.get("client_id"))
            if problem:
                return _error_page("invalid_request_uri", problem)
            _present(request, pushed)
        elif required() and not on(Break.PAR_REQUIRED_NOT_ENFORCED):
            if request.method == "GET":
                return _error_page("invalid_request", "this server takes authorization requests only as pushed authorization requests (RFC 9126): send client_id and a request_uri")
            if request.method == "POST" and not _answers_pushed(request):
                return _error_page("invalid_request", "this consent answers no pushed authorization request")
        return view(request, *args, **kwargs)

    return wrapped


def metadata(request):
    """What the metadata documents say of pushed authorization requests (section 5)."""
    return {
        "pushed_authorization_request_endpoint": request.build_absolute_uri(reverse("pushed-authorization-request")),
        "require_pushed_authorization_requests": required(),
    }
