import Foundation
import Testing
@testable import OAuthProbeKit

@Suite("Redaction")
struct RedactorTests {
    @Test("known secrets are replaced in every form they travel in")
    func replacesSecrets() {
        let redactor = Redactor(secrets: [Secret("p@ss word/1", origin: "${env:P}")])
        redactor.remember("eyJhbGciOi.token-value")
        let text = "password=p%40ss%20word%2F1&x=p@ss word/1 Bearer eyJhbGciOi.token-value"
        let redacted = redactor.redact(text)
        #expect(!redacted.contains("p@ss"))
        #expect(!redacted.contains("p%40ss"))
        #expect(!redacted.contains("token-value"))
        #expect(redacted.contains(Fingerprint.of("p@ss word/1")))
    }

    @Test("credentials and cookies in headers are fingerprinted", arguments: [
        ("Authorization", "Basic YXBwOnNlY3JldA==", "YXBwOnNlY3JldA=="),
        ("Cookie", "sessionid=abcdef123456; csrftoken=zzzzzz999", "abcdef123456"),
        ("Set-Cookie", "sessionid=abcdef123456; HttpOnly; Path=/", "abcdef123456"),
    ])
    func headers(name: String, value: String, secret: String) {
        let redactor = Redactor()
        let line = redactor.redactHeader(name: name, value: value)
        #expect(!line.contains(secret))
        #expect(line.hasPrefix("\(name): "))
        #expect(!redactor.redact("later: \(secret)").contains(secret), "a header secret is remembered for the rest of the probe")
    }

    @Test("short values are not treated as secrets")
    func shortValues() {
        let redactor = Redactor()
        redactor.remember("ok")
        #expect(redactor.redact("ok") == "ok")
    }
}

@Suite("Evidence of cookies")
struct EvidenceCookieTests {
    @Test("the Cookie header the jar added is recorded, unless the request set its own")
    func jarCookies() {
        let sent = [HTTPHeader("Host", "idp"), HTTPHeader("Cookie", "sid=abc123")]
        #expect(ProbeSession.jarCookies(sent: sent, given: []) == [HTTPHeader("Cookie", "sid=abc123")])
        #expect(ProbeSession.jarCookies(sent: sent, given: [HTTPHeader("cookie", "x=1")]).isEmpty)
        let redactor = Redactor()
        #expect(redactor.redactHeader(name: "Cookie", value: "sid=abc123; theme=darker") == "Cookie: sid=\(Fingerprint.of("abc123")); theme=\(Fingerprint.of("darker"))")
    }
}
