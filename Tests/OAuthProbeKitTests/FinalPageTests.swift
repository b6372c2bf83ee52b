import Foundation
import Testing
@testable import OAuthProbeKit

/// Issue 17: a page the browser stays on is judged for what it is: one that leads on to the
/// attacker's URI, the login page of a lost session, a consent page, a WAF's or rate limiter's
/// page, or the server's refusal (a 4xx page, or a 200 page behind a control).
@Suite("The page an authorization request ends on")
struct FinalPageTests {
    static let sent = "https://attacker.example/cb"
    static let registered = "https://client.example/cb"
    static let pageURL = "https://idp.example/authorize?client_id=spa"

    static func classify(_ html: String, status: Int = 200, kind: SeenPage.Kind? = .page, sent: String = sent) -> FinalPage {
        FinalPage.classify(status: status, page: HTMLFormParser.parse(Data(html.utf8)), pageURL: pageURL, kind: kind,
                           sentRedirectURI: sent, registeredRedirectURI: registered)
    }

    @Test("a page that leads on to the redirect URI sent is as good as a redirect there", arguments: [
        (#"<p>Error. <a href="https://attacker.example/cb?error=invalid_request">Return to the application</a></p>"#, "a link"),
        (#"<form action="https://attacker.example/cb" method="get"><input type="hidden" name="error" value="x"><button>Back</button></form>"#, "a form's action"),
        (#"<head><meta http-equiv="Refresh" content="3; URL='https://attacker.example/cb?error=x'"></head>"#, "a meta refresh"),
        (#"<script>window.location = "https:\/\/attacker.example\/cb?error=x";</script>"#, "a script"),
        (#"<script>location.href='https://attacker.example/cb'</script>"#, "a script"),
    ])
    func leadsOn(html: String, means: String) {
        guard case .leadsOn(let destination, let found) = Self.classify(html, status: 400) else {
            Issue.record("not recognised: \(Self.classify(html, status: 400))"); return
        }
        #expect(found == means)
        #expect(destination.hasPrefix(Self.sent))
    }

    @Test("naming the URI as text, or linking to the registered one, leads nowhere")
    func textIsNoWayOn() {
        #expect(Self.classify("<p>The redirect_uri https://attacker.example/cb is not registered.</p>") == .otherPage)
        #expect(Self.classify(#"<a href="https://client.example/cb?error=x">back</a>"#, status: 400) == .errorPage)
        // When the registered URI is the one sent, a link back to it is no attack.
        #expect(Self.classify(#"<a href="https://client.example/cb?error=x">back</a>"#, sent: Self.registered) == .otherPage)
    }

    @Test("what a page is, by its form and its status", arguments: [
        (#"<form method="post"><input name="username"><input type="password" name="password"></form>"#, 401, SeenPage.Kind.login, FinalPage.signIn),
        ("<h1>Access denied</h1><p>Request blocked by the firewall</p>", 403, .page, .blocked(403)),
        ("<h1>Too many requests</h1>", 429, .page, .blocked(429)),
        ("<h1>Bad gateway</h1>", 502, .page, .blocked(502)),
        ("<h1>Invalid parameter: redirect_uri</h1>", 400, .page, .errorPage),
        ("<h1>Sorry, there was an error: unauthorized_client</h1>", 200, .page, .otherPage),
        (#"<form method="post" id="authorizationForm"><input type="hidden" name="client_id" value="spa"><input type="submit" name="allow" value="Authorize"></form>"#, 200, .page, .consent),
    ])
    func kinds(html: String, status: Int, kind: SeenPage.Kind, expected: FinalPage) {
        #expect(Self.classify(html, status: status, kind: kind) == expected)
    }

    @Test("a bare 401 or 403 with no page is the server's terse refusal (Glewlwyd); a page with it is a WAF's or a challenge", arguments: [401, 403])
    func bareRefusal(status: Int) {
        #expect(FinalPage.classify(status: status, page: nil, pageURL: Self.pageURL, kind: nil,
                                   sentRedirectURI: Self.sent, registeredRedirectURI: Self.registered) == .errorPage)
        #expect(Self.classify("<p>Request blocked</p>", status: status) == .blocked(status))
    }

    @Test("a meta refresh names its URL in any of its spellings", arguments: [
        ("0; url=https://a.example/x", "https://a.example/x"),
        ("5;URL='https://a.example/x'", "https://a.example/x"),
        (#"0, url = "https://a.example/x""#, "https://a.example/x"),
        ("30", nil),
    ])
    func refreshTarget(content: String, url: String?) {
        #expect(HTMLPage.refreshTarget(content) == url)
    }
}
