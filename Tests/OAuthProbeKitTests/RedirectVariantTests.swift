import Foundation
import Testing
@testable import OAuthProbeKit

/// The redirect URI variants of the shipped suite, rendered for one registered URI: each must
/// be the attack it is named after, and none may equal the registered URI.
@Suite("redirect-uri.unregistered variants")
struct RedirectVariantTests {
    static let registered = "https://app.example.com/cb"
    static let expected: [String: String] = [
        "other-host": "https://attacker.example/cb",
        "subdomain": "https://attacker.app.example.com/cb",
        "userinfo": "https://app.example.com@attacker.example/cb",
        "other-port": "https://app.example.com:8443/cb",
        "http-scheme": "http://app.example.com/cb",
        "path-suffix": "https://app.example.com/cb/attacker",
        "trailing-slash": "https://app.example.com/cb/",
        "dot-segments": "https://app.example.com/attacker/../cb",
        "encoded-path": "https://app.example.com/%63%62",
        "path-case": "https://app.example.com/CB",
        "host-case": "https://APP.EXAMPLE.COM/cb",
        "extra-query": "https://app.example.com/cb?next=https%3A%2F%2Fattacker.example",
        "fragment": "https://app.example.com/cb#attacker",
        "wildcard-host": "https://*.app.example.com/cb",
    ]

    static let probe: Probe = {
        let (suites, _) = SuiteLoader().load(paths: [TestSupport.suitesFolder])
        return suites.flatMap(\.probes).first { $0.id == "redirect-uri.unregistered" }!
    }()

    @Test("at least 12 variants, each one listed here")
    func variantList() {
        #expect(Self.probe.variants.count >= 12)
        #expect(Set(Self.probe.variants.map(\.name)) == Set(Self.expected.keys))
    }

    @Test("renders as the attack it names", arguments: probe.variants)
    func renders(variant: Variant) throws {
        let target = Target(name: "t", issuer: "https://idp.example.com",
                            clients: [.public: Client(clientID: "spa", secret: nil, redirectURI: Self.registered, scope: nil, authMethod: .none)],
                            file: "t.yaml")
        var context = TemplateContext(target: target, endpoints: EndpointMap(target: target, metadata: nil), variant: variant)
        for binding in Self.probe.bindings { context.bindings[binding.name] = try context.render(binding.value) }
        let rendered = try context.render(try #require(variant.values["redirect_uri"]))
        #expect(rendered == Self.expected[variant.name])
        #expect(rendered != Self.registered)
    }
}

@Suite("Where the browser was sent")
struct RedirectJudgementTests {
    @Test("only the registered URI, compared as written, counts as registered", arguments: [
        ("https://app.example.com/cb?code=x&state=y", false),
        ("https://app.example.com/cb?error=invalid_request", false),
        ("https://app.example.com/cb#code=x", false),
        ("https://APP.example.com/cb?code=x", true),
        ("https://app.example.com/cb/?code=x", true),
        ("https://app.example.com@attacker.example/cb?code=x", true),
        ("https://app.example.com:443/cb?code=x", true),
        ("http://app.example.com/cb?code=x", true),
        ("https://attacker.example/cb", true),
    ])
    func outsideRegistered(location: String, outside: Bool) {
        let outcome = StepOutcome(redirect: location, registeredRedirectURI: "https://app.example.com/cb", summary: "")
        #expect(outcome.redirectedOutsideRegistered == outside)
    }

    /// Issue 17: what the attacker added to the registered URI (a query parameter, a fragment)
    /// must not arrive, even with an error alone (RFC 6749 §4.1.2.1: never redirect to an invalid URI).
    @Test("a redirect that keeps what the bent URI added to the registered one went to the bent URI", arguments: [
        ("https://app.example.com/cb?next=https%3A%2F%2Fattacker.example", "https://app.example.com/cb?next=https%3A%2F%2Fattacker.example&error=invalid_request", true),
        ("https://app.example.com/cb?next=https%3A%2F%2Fattacker.example", "https://app.example.com/cb?error=invalid_request", false),
        ("https://app.example.com/cb#attacker", "https://app.example.com/cb#attacker?error=invalid_request", true),
        ("https://app.example.com/cb#attacker", "https://app.example.com/cb?error=invalid_request", false),
        ("https://app.example.com/cb", "https://app.example.com/cb?code=x&session_state=s", false),
    ])
    func bentParts(sent: String, location: String, outside: Bool) {
        let outcome = StepOutcome(redirect: location, registeredRedirectURI: "https://app.example.com/cb", sentRedirectURI: sent, summary: "")
        #expect(outcome.redirectedOutsideRegistered == outside)
    }

    @Test("tokens count as issued whenever an access token comes back, whatever the status", arguments: [
        (200, ["access_token": "abc"], true),
        (200, ["error": "invalid_grant"], false),
        (400, ["access_token": "abc"], true),
        (200, ["access_token": ""], false),
    ])
    func tokensIssued(status: Int, fields: [String: String], issued: Bool) {
        #expect(StepOutcome(status: status, fields: fields, summary: "").tokensIssued == issued)
    }
}
