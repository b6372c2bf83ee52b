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

    @Test("the leak scanner finds every planted value, at the start, middle and end, and nothing else")
    func leakScanner() {
        let values: Set<String> = ["tokenAAAABBBBCCCC", "secret-0123456789", "short"]
        let texts = ["tokenAAAABBBBCCCC at the start", "in the middle secret-0123456789 here", "ends with short",
                     "tokenAAAABBBBCCC (one byte less)", "no values here at all"]
        let found = TestSupport.occurrences(of: values, in: texts).map { "\($0.value)@\($0.text)" }
        #expect(Set(found) == ["tokenAAAABBBBCCCC@0", "secret-0123456789@1", "short@2"])
    }

    static let seeds = ["p@ss wörd/<&>\"'+=%1", HostileTarget.password, "plain-alnum-token-value-0123456789"]

    @Test("a secret is recognised in every encoding servers and templates give it", arguments: seeds)
    func encodings(secret: String) {
        let redactor = Redactor(secrets: [Secret(secret, origin: nil)])
        for encoding in SecretEncodings.all(secret) {
            let text = "before \(encoding.text) after"
            #expect(redactor.containsSecret(text), "\(encoding.name) not recognised")
            let redacted = redactor.redact(text)
            #expect(!redacted.contains(encoding.text), "\(encoding.name): \(redacted)")
            #expect(redacted.hasPrefix("before ‹sha256:") && redacted.hasSuffix("› after"), "\(encoding.name): \(redacted)")
        }
    }

    @Test("a secret escaped character by character, each its own way, is replaced where it stands and nothing else is", arguments: [
        ("password-1", #"wrong password: p&#97;&#X73;s\u0077%6Frd&#x0000000000002d;1 for alice &amp; bob %20 \n"#),
        ("emoji-😀-key", #"{"error_description": "bad secret: emoji-\uD83D\uDE00-key", "x": "\u00e9"}"#),
        ("emoji-😀-key", "echo: &#101&#109&#x6F;ji-&#128512;-key."),
    ])
    func escapedCharacters(secret: String, text: String) throws {
        let redactor = Redactor(secrets: [Secret(secret, origin: nil)])
        #expect(redactor.containsSecret(text))
        let redacted = redactor.redact(text)
        let fingerprint = try #require(redacted.firstRange(of: "‹sha256:"), "\(redacted)")
        let end = try #require(redacted[fingerprint.upperBound...].firstIndex(of: "›"))
        let (before, after) = (redacted[..<fingerprint.lowerBound], redacted[redacted.index(after: end)...])
        // What surrounds the secret is as it was: only the secret's own escapes are gone.
        #expect(text.hasPrefix(before) && text.hasSuffix(after), "\(redacted)")
        #expect(redacted.count < text.count + 20, "one fingerprint for one secret: \(redacted)")
    }

    @Test("a secret escaped character by character and cut at the evidence limit leaves none of its first characters", arguments: [
        "decimal", "hex padded past the window", "JSON",
    ])
    func escapedAcrossTheCut(rendering: String) {
        let secret = "s3cr3t-value-0123456789"
        let redactor = Redactor(secrets: [Secret(secret, origin: nil)])
        let escaped: [String] = secret.unicodeScalars.map { scalar in
            switch rendering {
            case "decimal": "&#\(scalar.value);"
            case "JSON": String(format: "\\u%04x", Int(scalar.value))
            default: "&#x" + String(repeating: "0", count: 40) + String(scalar.value, radix: 16) + ";"
            }
        }
        let padding = String(repeating: "x", count: 100)
        let text = padding + escaped.joined() + " and more"
        // The cut falls inside the fourth character's escape.
        let limit = padding.count + escaped.prefix(3).joined().count + escaped[3].count / 2
        let (kept, cut) = redactor.redact(text, keepingAtMost: limit)
        #expect(cut)
        #expect(kept.hasPrefix(padding))
        let rest = kept.dropFirst(padding.count)
        #expect(rest.isEmpty || rest.hasPrefix("‹sha256:"), "\(rendering): \(rest)")
    }

    @Test("a secret inside a longer base64 text (Basic credentials) is recognised at any alignment", arguments: ["a", "ab", "abc"])
    func insideBase64(clientID: String) {
        let secret = "p@ss wörd/<&>\"'+=%1"
        let redactor = Redactor(secrets: [Secret(secret, origin: nil)])
        let basic = Data("\(clientID):\(secret)".utf8).base64EncodedString()
        #expect(redactor.containsSecret("echo: \(basic)"))
        let redacted = redactor.redact("echo: \(basic)")
        // Past the characters the client id shares, the rest is the secret's alone.
        #expect(!redacted.contains(String(basic.dropFirst(6).prefix(8))), "\(redacted) still holds the secret's base64")
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
