#!/usr/bin/env python3
"""Signs in on the mfa deployment (https://127.0.0.1:8409) through its three pages, independently of
oauthprobe, and shows what its second factor does:

- the authorization endpoint sends a signed-out browser to /accounts/login/ (username only);
- any username, unknown ones too, leads to /accounts/login/password/; a wrong password is the same
  page again (200, an error); a right one leads to /accounts/login/otp/;
- a wrong code is the same page again (200, an error), and nobody is signed in;
- the code page cannot be reached without the password step;
- a right code (computed here from state/secrets/user-totp: RFC 6238, SHA-1, 30 s, 6 digits) signs
  in and goes back to the authorization request; its consent gives a code that redeems;
- the same code a second time (a new sign-in, password right) is refused: django-otp keeps the last
  accepted time step (last_t) and takes only later ones.

    Tests/Servers/dot/.venv/bin/python Tests/Servers/dot/check_mfa.py

Needs the servers running (setup.sh, start.sh). Exits 1 when anything does not hold. Uses one
time step of the device (and waits for the next one when the current one was already used, e.g.
by a test run a moment ago): about 5 s, at most 35 s.
"""

import base64
import hashlib
import hmac
import html
import secrets
import struct
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests


HERE = Path(__file__).resolve().parent
STATE = HERE / "state"
CA = str(STATE / "tls" / "ca.pem")  # per request: REQUESTS_CA_BUNDLE would override Session.verify
ORIGIN = "https://127.0.0.1:8409"
ISSUER = f"{ORIGIN}/o"
CLIENT_ID, REDIRECT_URI = "probe-public", "https://public.client.test/cb"
USERNAME = "probe-user"
PASSWORD = (STATE / "secrets" / "user-password").read_text()
TOTP_SECRET = (STATE / "secrets" / "user-totp").read_text()
STEP = 30

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)
    return ok


def totp(t):
    """RFC 6238 / RFC 4226: HMAC-SHA-1 of the step counter, dynamic truncation, 6 digits."""
    key = base64.b32decode(TOTP_SECRET + "=" * (-len(TOTP_SECRET) % 8))
    digest = hmac.new(key, struct.pack(">Q", t), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


class Page(HTMLParser):
    """The forms' inputs (attributes), the labels' for= targets, the error paragraphs."""

    def __init__(self, text):
        super().__init__()
        self.inputs, self.labels, self.errors, self.forms = [], set(), [], []
        self._in_error = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(a)
        elif tag == "input":
            self.inputs.append(a)
        elif tag == "label" and a.get("for"):
            self.labels.add(a["for"])
        elif tag == "p" and "error" in (a.get("class") or "").split():
            self._in_error = True
            self.errors.append("")

    def handle_endtag(self, tag):
        if tag == "p":
            self._in_error = False

    def handle_data(self, data):
        if self._in_error:
            self.errors[-1] += data

    def field(self, name):
        return next((i for i in self.inputs if i.get("name") == name), None)

    def visible(self):
        return sorted(i.get("name") for i in self.inputs if i.get("type") not in ("hidden", "submit"))

    def hidden(self):
        return {i["name"]: i.get("value", "") for i in self.inputs if i.get("type") == "hidden" and "name" in i}


class Browser:
    def __init__(self):
        self.s = requests.Session()

    def get(self, url):
        return self.s.get(urljoin(ORIGIN, url), verify=CA, allow_redirects=False, timeout=10)

    def post(self, url, data):
        # Origin like a browser: Django's CSRF check on https wants it (or a Referer).
        return self.s.post(urljoin(ORIGIN, url), data=data, headers={"Origin": ORIGIN},
                           verify=CA, allow_redirects=False, timeout=10)

    def submit(self, response, **fields):
        """POSTs the page's form with its hidden inputs and ``fields``."""
        page = Page(response.text)
        action = page.forms[0].get("action") or response.url
        return self.post(urljoin(response.url, action), {**page.hidden(), **fields})


def location(r):
    return urljoin(r.url, r.headers.get("Location", ""))


def path_of(r):
    return urlsplit(location(r)).path if r.status_code in (301, 302, 303, 307, 308) else None


def authorize_url(state, challenge):
    return f"{ISSUER}/authorize/?" + urlencode({
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI,
        "scope": "openid read", "state": state, "code_challenge": challenge, "code_challenge_method": "S256",
    })


def to_code_page(browser, next_url, password=PASSWORD):
    """Username and password pages: returns the code page's response (or the last answer)."""
    r = browser.get(f"/accounts/login/?{urlencode({'next': next_url})}")
    r = browser.submit(r, username=USERNAME)
    if path_of(r) != "/accounts/login/password/":
        return r
    r = browser.submit(browser.get(location(r)), password=password)
    if path_of(r) != "/accounts/login/otp/":
        return r
    return browser.get(location(r))


def main():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(12)
    auth = authorize_url(state, challenge)
    b = Browser()

    # --- page 1: username only ---------------------------------------------------------------
    r = b.get(auth)
    check(path_of(r) == "/accounts/login/", f"authorize, signed out: {r.status_code} to {path_of(r)}")
    next_url = parse_qs(urlsplit(location(r)).query).get("next", [""])[0]
    r1 = b.get(location(r))
    p = Page(r1.text)
    u = p.field("username") or {}
    check(r1.status_code == 200 and p.visible() == ["username"],
          f"/accounts/login/: {r1.status_code}, visible fields {p.visible()}")
    check(u.get("autocomplete") == "username" and u.get("id") in p.labels,
          f"username: autocomplete={u.get('autocomplete')!r}, labelled={u.get('id') in p.labels}")
    check(html.unescape(p.hidden().get("next", "")) == next_url and "csrfmiddlewaretoken" in p.hidden(),
          "hidden next (the authorization request) and csrfmiddlewaretoken")
    r = b.post("/accounts/login/", {"username": USERNAME, "next": next_url})
    check(r.status_code == 403, f"username POST without csrfmiddlewaretoken: {r.status_code}")

    # unknown users get the same answer
    stranger = Browser()
    rs = stranger.submit(stranger.get("/accounts/login/"), username="nobody-" + secrets.token_hex(4))
    check(path_of(rs) == "/accounts/login/password/", f"unknown username POST: {rs.status_code} to {path_of(rs)}")
    rs = stranger.submit(stranger.get(location(rs)), password=PASSWORD)
    check(rs.status_code == 200 and Page(rs.text).errors, f"unknown user, a password: {rs.status_code}, "
          f"error {Page(rs.text).errors}")

    r = b.submit(r1, username=USERNAME)
    check(path_of(r) == "/accounts/login/password/", f"username POST: {r.status_code} to {path_of(r)}")

    # --- page 2: password ----------------------------------------------------------------------
    r2 = b.get(location(r))
    p = Page(r2.text)
    pw = p.field("password") or {}
    check(r2.status_code == 200 and p.visible() == ["password"] and USERNAME in r2.text,
          f"/accounts/login/password/: {r2.status_code}, visible fields {p.visible()}, shows the username")
    check(pw.get("type") == "password" and pw.get("autocomplete") == "current-password" and pw.get("id") in p.labels,
          f"password: type={pw.get('type')!r}, autocomplete={pw.get('autocomplete')!r}")
    r = b.submit(r2, password=PASSWORD + "x")
    check(r.status_code == 200 and Page(r.text).errors, f"wrong password: {r.status_code}, error {Page(r.text).errors}")
    r = b.get("/accounts/login/otp/")
    check(path_of(r) == "/accounts/login/", f"code page before a right password: {r.status_code} to {path_of(r)}")
    r = b.submit(r2, password=PASSWORD)
    check(path_of(r) == "/accounts/login/otp/", f"right password: {r.status_code} to {path_of(r)}")

    # --- page 3: the code ----------------------------------------------------------------------
    r3 = b.get(location(r))
    p = Page(r3.text)
    f = p.field("otp_token") or {}
    check(r3.status_code == 200 and p.visible() == ["otp_token"],
          f"/accounts/login/otp/: {r3.status_code}, visible fields {p.visible()}")
    check(f.get("autocomplete") == "one-time-code" and f.get("inputmode") == "numeric" and f.get("id") in p.labels,
          f"otp_token: autocomplete={f.get('autocomplete')!r}, inputmode={f.get('inputmode')!r}, "
          f"labelled={f.get('id') in p.labels}")
    r = b.get(auth)
    check(path_of(r) == "/accounts/login/", f"authorize after the password alone: {r.status_code} to {path_of(r)}")

    t = int(time.time()) // STEP
    wrong = next(c for c in ("000000", "111111", "222222") if c not in (totp(t - 1), totp(t), totp(t + 1)))
    r = b.submit(r3, otp_token=wrong)
    check(r.status_code == 200 and Page(r.text).errors, f"wrong code: {r.status_code}, error {Page(r.text).errors}")
    time.sleep(1.2)  # django-otp's throttling: 1 s after one failure (2, 4, ... after more)

    code = totp(t)
    r = b.submit(r3, otp_token=code)
    if r.status_code == 200:
        # This time step was used already (a sign-in moments ago): the next one is fresh.
        print(f"     code of step {t} refused ({Page(r.text).errors}); waiting for the next step")
        time.sleep(STEP - time.time() % STEP + 2.5)  # +2 s: the throttle after two failures
        t = int(time.time()) // STEP
        code = totp(t)
        r = b.submit(r3, otp_token=code)
    check(r.status_code == 302 and location(r).startswith(f"{ISSUER}/authorize/?"),
          f"right code: {r.status_code} to {location(r)[:60]}")
    cookies = r.headers.get("Set-Cookie", "")
    check("dot_mfa_sessionid=" in cookies and "Secure" in cookies and "HttpOnly" in cookies,
          "sign-in sets dot_mfa_sessionid (Secure, HttpOnly)")

    # consent and the code
    rc = b.get(location(r))
    consent = Page(rc.text)
    check(rc.status_code == 200 and any(fm.get("id") == "authorizationForm" for fm in consent.forms),
          f"authorize after the code: {rc.status_code}, consent form")
    r = b.post(rc.url, {**consent.hidden(), "allow": "Authorize"})
    q = parse_qs(urlsplit(location(r)).query)
    check(r.status_code == 302 and location(r).startswith(REDIRECT_URI) and q.get("state") == [state]
          and q.get("iss") == [ISSUER] and "code" in q, f"consent: {r.status_code}, code issued, iss and state")
    if "code" in q:
        rt = requests.post(f"{ISSUER}/token/", data={
            "grant_type": "authorization_code", "code": q["code"][0], "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID, "code_verifier": verifier}, verify=CA, timeout=10)
        check(rt.status_code == 200 and "access_token" in rt.json(), f"code redeemed: {rt.status_code}")

    # --- the same code again -------------------------------------------------------------------
    again = Browser()
    r = to_code_page(again, auth)
    check(r.status_code == 200 and Page(r.text).field("otp_token"), f"second sign-in reaches the code page: {r.status_code}")
    r = again.submit(r, otp_token=code)
    check(r.status_code == 200 and Page(r.text).errors,
          f"the same code again (step {t}, within the window): {r.status_code}, error {Page(r.text).errors}")
    r = again.get(auth)
    check(path_of(r) == "/accounts/login/", f"authorize after the refused code: {r.status_code} to {path_of(r)}")

    print("mfa: " + ("all hold" if not failures else f"{len(failures)} failed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
