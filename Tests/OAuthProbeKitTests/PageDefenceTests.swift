import Foundation
import Testing
@testable import OAuthProbeKit

/// How the pages an authorization request shows are judged (framing, Referer), and what the
/// sign-in's cookies say: headers as servers send them, judged without a server.
@Suite("Page defences and the session cookie")
struct PageDefenceTests {
    static func page(_ headers: [(String, String)], meta: String? = nil) -> SeenPage {
        let response = HTTPResponse(status: 200, headers: headers.map { HTTPHeader(name: $0.0, value: $0.1) }, body: Data("<html>".utf8),
                                    duration: .zero)
        return SeenPage(url: "https://idp.example.com/login", response: response, kind: .login, metaReferrer: meta)
    }

    @Test("framing is forbidden by X-Frame-Options DENY or SAMEORIGIN, or a frame-ancestors without wildcards, which wins",
          arguments: [
              ([("X-Frame-Options", "DENY")], true),
              ([("X-Frame-Options", "sameorigin")], true),
              ([("X-Frame-Options", "ALLOW-FROM https://a.example")], false),
              ([("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")], true),
              ([("Content-Security-Policy", "frame-ancestors 'self' https://app.example")], true),
              ([("Content-Security-Policy", "frame-ancestors *"), ("X-Frame-Options", "DENY")], false),
              ([("Content-Security-Policy", "frame-ancestors https:")], false),
              ([("Content-Security-Policy", "default-src 'self'")], false),
              ([], false),
          ] as [([(String, String)], Bool)])
    func framing(_ headers: [(String, String)], _ forbidden: Bool) {
        #expect(Self.page(headers).forbidsFraming == forbidden)
    }

    @Test("the Referer is limited by a policy that never sends the path across origins; a meta tag overrides the header",
          arguments: [
              ([("Referrer-Policy", "no-referrer")], nil, true),
              ([("Referrer-Policy", "strict-origin-when-cross-origin")], nil, true),
              ([("Referrer-Policy", "no-referrer, unsafe-url")], nil, false),
              ([("Referrer-Policy", "unsafe-url, made-up-policy")], nil, false),
              ([("Referrer-Policy", "no-referrer-when-downgrade")], nil, false),
              ([("Referrer-Policy", "unsafe-url")], "same-origin", true),
              ([], "origin", true),
              ([], nil, false),
          ] as [([(String, String)], String?, Bool)])
    func referrer(_ headers: [(String, String)], _ meta: String?, _ limited: Bool) {
        #expect(Self.page(headers, meta: meta).limitsReferrer == limited)
    }

    @Test("the pages' fields say whether every page defends itself; no page, no fields")
    func pageFields() {
        let good = Self.page([("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer")])
        let bare = Self.page([])
        #expect([good].fields() == ["pages": "login", "framing": "forbidden", "referrer_policy": "limited"])
        #expect([good, bare].fields()["framing"] == "allowed")
        #expect([good, bare].fields()["referrer_policy"] == "unlimited")
        #expect([SeenPage]().fields().isEmpty)
    }

    @Test("a <meta name=\"referrer\"> is read from the page, the last one winning")
    func metaReferrer() {
        let html = #"<html><head><meta name="Referrer" content="unsafe-url"><meta name="referrer" content="no-referrer"></head><body></body></html>"#
        #expect(HTMLFormParser.parse(Data(html.utf8)).referrer == "no-referrer")
        #expect(HTMLFormParser.parse(Data("<html><body>x</body></html>".utf8)).referrer == nil)
    }

    @Test("Set-Cookie attributes are read without the value; deleted cookies are not cookies set")
    func setCookie() throws {
        let cookie = try #require(SetCookie(header: "sid=abc123; Path=/; Secure; HttpOnly; SameSite=Lax"))
        #expect(cookie.name == "sid" && cookie.secure && cookie.httpOnly && cookie.sameSite == "Lax")
        #expect(!cookie.description.contains("abc123"))
        #expect(SetCookie(header: "sid=; Max-Age=0") == nil)
        #expect(SetCookie(header: "sid=gone; Max-Age=0; Path=/") == nil)
        #expect(SetCookie(header: "no-equals-sign") == nil)
    }

    static func record(_ cookies: [String], url: String = "https://idp.example.com/login") -> SignInRecord {
        SignInRecord(url: url, status: 302, location: "/authorize", cookies: cookies.compactMap(SetCookie.init(header:)))
    }

    @Test("the session cookie is the named one, else every cookie set at sign-in but CSRF tokens; each flag is the weakest")
    func sessionCookie() {
        let record = Self.record(["csrftoken=t; Secure; SameSite=Lax", "sessionid=s; Secure; HttpOnly; SameSite=Strict"])
        #expect(record.fields(sessionCookieName: nil) == ["session_cookie": "sessionid", "session_cookie_secure": "true",
                                                          "session_cookie_httponly": "true", "session_cookie_samesite": "Strict".lowercased(),
                                                          "credentials_resent_to": "nowhere"])
        #expect(record.fields(sessionCookieName: "csrftoken")["session_cookie_httponly"] == "false")
        let two = Self.record(["a=1; Secure; HttpOnly; SameSite=Lax", "b=2; HttpOnly"])
        #expect(two.fields(sessionCookieName: nil)["session_cookie_secure"] == "false")
        #expect(two.fields(sessionCookieName: nil)["session_cookie_samesite"] == "absent")
        let plain = Self.record(["sid=1; HttpOnly; SameSite=None"], url: "http://127.0.0.1:4601/api/auth/")
        #expect(plain.fields(sessionCookieName: nil)["session_cookie_secure"] == "not-applicable")
        #expect(plain.fields(sessionCookieName: nil)["session_cookie_samesite"] == "none")
        #expect(Self.record(["csrftoken=t"]).fields(sessionCookieName: nil)["session_cookie"] == nil)
    }

    /// Issue 17: Keycloak's KEYCLOAK_SESSION and Duende's idsrv.session are set beside the
    /// session cookie for scripts; the trial shows which cookie signs the user out.
    @Test("a cookie whose absence leaves the user signed in is not the session cookie; a later hop's cookie counts")
    func signingOut() {
        var record = Self.record(["idsrv=s; Secure; HttpOnly; SameSite=Lax"])
        record.add(["idsrv.session=h; Secure; SameSite=None", "idsrv=s2; Secure; HttpOnly; SameSite=Lax"].compactMap(SetCookie.init(header:)))
        #expect(record.cookies.map(\.name) == ["idsrv.session", "idsrv"])
        #expect(record.fields(sessionCookieName: nil)["session_cookie_httponly"] == "false")
        record.signingOut = ["idsrv"]
        #expect(record.fields(sessionCookieName: nil)["session_cookie"] == "idsrv")
        #expect(record.fields(sessionCookieName: nil)["session_cookie_httponly"] == "true")
        // When no single cookie signs the user out, every candidate is judged.
        record.signingOut = []
        #expect(record.fields(sessionCookieName: nil)["session_cookie"] == "idsrv.session idsrv")
    }

    @Test("credentials posted on by 307 or 308 go somewhere only when Location leaves the origin", arguments: [
        (302, "https://idp.example.com/authorize", "nowhere"),
        (307, "/authorize?x=1", "identity-server"),
        (308, "https://idp.example.com:443/done", "identity-server"),
        (307, "https://client.example/cb?code=c", "elsewhere"),
    ])
    func resentTo(status: Int, location: String, expected: String) {
        let record = SignInRecord(url: "https://idp.example.com/login", status: status, location: location, cookies: [])
        #expect(record.credentialsResentTo == expected)
    }
}
