"""Identifier-first sign-in with a TOTP second factor (OAUTHPROBE_DOT_MODE=mfa).

Three pages, each a plain HTML form (templates/mfa/), the way a Django operator adds them
in front of DOT with django-otp:

  GET/POST /accounts/login/           username only; any username is taken (302 to the
                                      password page), so the page does not tell who exists
  GET/POST /accounts/login/password/  the password of the username kept in the session;
                                      right: 302 to the code page; wrong: 200, an error
  GET/POST /accounts/login/otp/       a code of the user's confirmed TOTPDevice; right:
                                      login() + django_otp.login(), 302 to ``next``;
                                      wrong, replayed or throttled: 200, an error

Nothing is signed in before the code step: the password step only leaves the user's id in
the session (with the time it was checked), and the code step signs in from there. ``next``
travels in the query string and a hidden input, as with Django's LoginView, and is used only
when ``url_has_allowed_host_and_scheme`` accepts it. The authorization endpoint
(MfaAuthorizationView) sends a signed-in user whose session has no verified device back to
the first page.
"""

import time
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.utils.decorators import method_decorator
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from oauth2_provider.views import AuthorizationView


# Session keys of the sign-in in progress.
USERNAME_KEY = "mfa_username"          # after the first page (any username)
USER_ID_KEY = "mfa_user_id"            # after a right password
BACKEND_KEY = "mfa_backend"
PASSWORD_AT_KEY = "mfa_password_at"    # time.time() of the right password
PENDING_KEYS = (USERNAME_KEY, USER_ID_KEY, BACKEND_KEY, PASSWORD_AT_KEY)

REDIRECT_FIELD = "next"


def _safe_next(request, value):
    """``value`` when it is a URL on this host (https only on https), else ""."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def _next_from(request):
    return _safe_next(request, request.POST.get(REDIRECT_FIELD) or request.GET.get(REDIRECT_FIELD, ""))


def _to(name, next_url):
    url = reverse(name)
    return HttpResponseRedirect(f"{url}?{urlencode({REDIRECT_FIELD: next_url})}" if next_url else url)


def _clear_pending(session):
    for key in PENDING_KEYS:
        session.pop(key, None)


class UsernameForm(forms.Form):
    username = forms.CharField(max_length=150, strip=True)


class PasswordForm(forms.Form):
    password = forms.CharField(strip=False)


class OtpForm(forms.Form):
    otp_token = forms.CharField(max_length=16, strip=True)


_protected = [sensitive_post_parameters(), csrf_protect, never_cache]


@method_decorator(_protected, name="dispatch")
class UsernameView(View):
    """Page 1: the username only. Starting here forgets any sign-in in progress."""

    template_name = "mfa/login_username.html"

    def get(self, request):
        return self._page(request, UsernameForm(), _next_from(request))

    def post(self, request):
        next_url = _next_from(request)
        form = UsernameForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, next_url, error="Enter your username.")
        _clear_pending(request.session)
        # Kept as typed, known or not: the password page is the same for everyone.
        request.session[USERNAME_KEY] = form.cleaned_data["username"]
        return _to("login-password", next_url)

    def _page(self, request, form, next_url, error=None):
        return render(request, self.template_name, {"form": form, "next": next_url, "error": error})


@method_decorator(_protected, name="dispatch")
class PasswordView(View):
    """Page 2: the password of the username in the session."""

    template_name = "mfa/login_password.html"

    def dispatch(self, request, *args, **kwargs):
        self.username = request.session.get(USERNAME_KEY)
        if not self.username:
            return _to("login", _next_from(request))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self._page(request, _next_from(request))

    def post(self, request):
        next_url = _next_from(request)
        form = PasswordForm(request.POST)
        user = None
        if form.is_valid():
            # ModelBackend hashes the password for unknown users too (the same time either way).
            user = authenticate(request, username=self.username, password=form.cleaned_data["password"])
        if user is None:
            return self._page(request, next_url, error="The username or password is not right.")
        # The password is right: a new session key (no fixation), the user's id for the code
        # step. Nobody is signed in yet.
        request.session.cycle_key()
        request.session[USER_ID_KEY] = str(user.pk)
        request.session[BACKEND_KEY] = user.backend
        request.session[PASSWORD_AT_KEY] = time.time()
        return _to("login-otp", next_url)

    def _page(self, request, next_url, error=None):
        return render(
            request, self.template_name, {"username": self.username, "next": next_url, "error": error}
        )


@method_decorator(_protected, name="dispatch")
class OtpView(View):
    """Page 3: a code of the user's TOTP device; signs in when it is right."""

    template_name = "mfa/login_otp.html"

    def dispatch(self, request, *args, **kwargs):
        session = request.session
        user_id, at = session.get(USER_ID_KEY), session.get(PASSWORD_AT_KEY)
        self.user = None
        if user_id and at and time.time() - at <= settings.MFA_PASSWORD_STEP_SECONDS:
            self.user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if self.user is None:
            # Back to the start; the username stays (the password page still shows it).
            for key in (USER_ID_KEY, BACKEND_KEY, PASSWORD_AT_KEY):
                session.pop(key, None)
            return _to("login", _next_from(request))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self._page(request, _next_from(request))

    def post(self, request):
        next_url = _next_from(request)
        form = OtpForm(request.POST)
        device = TOTPDevice.objects.devices_for_user(self.user, confirmed=True).first()
        if device is None:
            return self._page(request, next_url, error="No authenticator app is set up for this account.")
        allowed, info = device.verify_is_allowed()
        if not allowed:
            count = (info or {}).get("failure_count", 0)
            return self._page(
                request, next_url,
                error=f"Verification is paused after {count} wrong codes: try again in a few seconds.",
            )
        # django_otp.verify_token: device.verify_token in a transaction with the device row
        # locked; a code of a time step at or before the last accepted one (last_t) is refused.
        verified = form.is_valid() and verify_token(self.user, device.persistent_id, form.cleaned_data["otp_token"])
        if not verified:
            return self._page(request, next_url, error="That code is not right (or was already used).")
        backend = request.session.get(BACKEND_KEY)
        _clear_pending(request.session)
        login(request, self.user, backend=backend)  # a new session key, a new CSRF token
        otp_login(request, verified)
        return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))

    def _page(self, request, next_url, error=None):
        return render(
            request, self.template_name,
            {"username": self.user.get_username(), "next": next_url, "error": error},
        )


class MfaAuthorizationView(AuthorizationView):
    """DOT's authorization endpoint, for users whose session has a verified OTP device.

    A signed-in but unverified user (a session from before the second factor, or one whose
    device was removed) is signed out and sent to the first page, with the request as
    ``next``. Signed-out users get DOT's own handling (login redirect, prompt=none).
    """

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if settings.OTP_REQUIRED and user.is_authenticated and not user.is_verified():
            logout(request)
            return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL), REDIRECT_FIELD)
        return super().dispatch(request, *args, **kwargs)
