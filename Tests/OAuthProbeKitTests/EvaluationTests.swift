import Foundation
import Testing
@testable import OAuthProbeKit

@Suite("Judging outcomes")
struct EvaluationTests {
    static let target = Target(name: "t", issuer: "https://idp.example.com", allowInsecureHTTP: true, file: "t.yaml")

    static func outcome(_ json: String, headers: [HTTPHeader] = []) -> StepOutcome {
        var outcome = StepOutcome(status: 200, headers: headers, summary: "")
        outcome.json = JSONValue.parse(Data(json.utf8))
        if case .object(let object)? = outcome.json { for (key, value) in object { outcome.fields[key] = value.text } }
        return outcome
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var subject: Subject
        var matcher: Matcher
        var json: String
        var holds: Bool
        var testDescription: String { "\(subject.name): \(matcher) on \(json) → \(holds)" }
    }

    static let cases: [Case] = [
        Case(subject: .field("scope"), matcher: .lacks("write"), json: #"{"scope": "openid read"}"#, holds: true),
        Case(subject: .field("scope"), matcher: .lacks("write"), json: #"{"scope": "openid read write"}"#, holds: false),
        Case(subject: .field("scope"), matcher: .lacks("write"), json: #"{"error": "invalid_scope"}"#, holds: true),
        Case(subject: .field("scope"), matcher: .within("openid"), json: #"{"scope": "openid read"}"#, holds: false),
        Case(subject: .field("scope"), matcher: .within("openid read"), json: #"{"scope": "read openid"}"#, holds: true),
        Case(subject: .field("response_types_supported"), matcher: .lacks("id_token token"),
             json: #"{"response_types_supported": ["code", "id_token token"]}"#, holds: false),
        Case(subject: .field("response_types_supported"), matcher: .lacks("token"),
             json: #"{"response_types_supported": ["code", "id_token token"]}"#, holds: true),
        Case(subject: .field("code_challenge_methods_supported"), matcher: .allOf([.lacks("plain"), .contains("S256")]),
             json: #"{"code_challenge_methods_supported": ["S256"]}"#, holds: true),
        Case(subject: .field("code_challenge_methods_supported"), matcher: .allOf([.lacks("plain"), .contains("S256")]),
             json: #"{}"#, holds: false),
        Case(subject: .field("expires_in"), matcher: .atMost("3600"), json: #"{"expires_in": 300}"#, holds: true),
        Case(subject: .field("expires_in"), matcher: .atMost("3600"), json: #"{"expires_in": 36000}"#, holds: false),
        Case(subject: .field("expires_in"), matcher: .atMost("3600"), json: #"{}"#, holds: false),
        Case(subject: .field("answer"), matcher: .differsFrom("401 invalid_client"), json: #"{"answer": "401 invalid_client"}"#, holds: false),
        Case(subject: .field("answer"), matcher: .differsFrom("401 invalid_client"), json: #"{"answer": "no answer"}"#, holds: true),
        Case(subject: .status, matcher: .not(.statusClass(2)), json: "{}", holds: false),
        Case(subject: .endpointURLs, matcher: .equals("https"),
             json: #"{"token_endpoint": "https://idp/token", "jwks_uri": "http://127.0.0.1:8402/jwks"}"#, holds: true),
        Case(subject: .endpointURLs, matcher: .equals("https"),
             json: #"{"token_endpoint": "https://idp/token", "userinfo_endpoint": "http://idp.example.com/userinfo"}"#, holds: false),
        Case(subject: .field("access_token"), matcher: .jwt, json: #"{"access_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}"#, holds: true),
        Case(subject: .field("access_token"), matcher: .jwt, json: #"{"access_token": "opaque-token-value"}"#, holds: false),
    ]

    @Test("comparisons judge the value, never its wording", arguments: cases)
    func judge(_ check: Case) {
        let expectation = Expectation(subject: check.subject, matcher: check.matcher, location: SourceLocation(file: "s", line: 1, column: 1))
        #expect((Evaluation.judge(expectation, in: Self.outcome(check.json), target: Self.target) == .holds) == check.holds)
    }

    @Test("header words compare case-insensitively")
    func headerWords() {
        let outcome = Self.outcome("{}", headers: [HTTPHeader(name: "Cache-Control", value: "No-Store, no-cache")])
        let expectation = Expectation(subject: .header("cache-control"), matcher: .contains("no-store"), location: SourceLocation(file: "s", line: 1, column: 1))
        #expect(Evaluation.judge(expectation, in: outcome, target: Self.target) == .holds)
    }

    @Test("the server failing is no verdict", arguments: [
        (500, [String: String](), true), (200, ["error": "server_error"], true), (400, ["error": "invalid_grant"], false),
    ])
    func serverFailure(status: Int, fields: [String: String], failed: Bool) {
        #expect((StepOutcome(status: status, fields: fields, summary: "").serverFailure != nil) == failed)
    }
}

@Suite("Forged tokens")
struct ForgedTokenTests {
    static let jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJodHRwczovL2lkcCIsInN1YiI6InUifQ.c2lnbmF0dXJl"

    @Test("alg none keeps the claims and drops the signature")
    func algNone() throws {
        let forged = try TemplateContext.apply("alg_none", to: Self.jwt)
        let parsed = try #require(CompactJWT(forged))
        #expect(parsed.algorithm == "none")
        #expect(parsed.claims["iss"] == .string("https://idp"))
        #expect(forged.hasSuffix("."))
        #expect(throws: ProbeError.self) { try TemplateContext.apply("alg_none", to: "opaque") }
    }

    /// Headers as servers sign them: a resource that refuses a token without `kid` (or with the
    /// wrong `typ`) must still be shown a forgery that differs in its signature alone.
    static let headers: [String] = [
        #"{"alg":"RS256","kid":"2024-key","typ":"at+jwt"}"#,
        #"{"alg":"ES256","typ":"JWT","kid":"k1","x5t#S256":"dGh1bWI","jku":"https://idp/jwks"}"#,
    ]

    static func token(header: String) -> String {
        "\(Base64URL.encode(Data(header.utf8))).eyJpc3MiOiJodHRwczovL2lkcCIsInN1YiI6InUifQ.c2lnbmF0dXJl"
    }

    @Test("alg none changes alg alone: kid, typ and every other header member stay", arguments: headers)
    func algNoneKeepsHeader(header: String) throws {
        let original = try #require(JSONValue.parse(Data(header.utf8)))
        let forged = try #require(CompactJWT(try TemplateContext.apply("alg_none", to: Self.token(header: header))))
        guard case .object(var expected) = original else { Issue.record("not an object"); return }
        expected["alg"] = .string("none")
        #expect(forged.header == .object(expected))
    }

    @Test("tampering keeps the header as signed", arguments: headers)
    func tamperKeepsHeader(header: String) throws {
        let token = Self.token(header: header)
        let tampered = try #require(CompactJWT(try TemplateContext.apply("tamper", to: token)))
        #expect(tampered.header == CompactJWT(token)?.header)
        #expect(tampered.parts[0] == CompactJWT(token)?.parts[0])
    }

    @Test("tampering changes the signature only, or the last character of an opaque token", arguments: [jwt, "opaqueTokenValue"])
    func tamper(token: String) throws {
        let tampered = try TemplateContext.apply("tamper", to: token)
        #expect(tampered != token)
        #expect(tampered.count == token.count)
        if CompactJWT(token) != nil {
            #expect(tampered.split(separator: ".").prefix(2) == token.split(separator: ".").prefix(2))
        }
    }

    @Test("plain-http forms of an endpoint", arguments: [
        ("http_scheme", "https://idp.example.com:8443/o/token/", "http://idp.example.com:8443/o/token/"),
        ("default_port", "http://idp.example.com:8443/o/token/", "http://idp.example.com/o/token/"),
        ("default_port", "https://idp.example.com/o/token/", "https://idp.example.com/o/token/"),
    ])
    func plainForms(filter: String, value: String, expected: String) throws {
        #expect(try TemplateContext.apply(filter, to: value) == expected)
    }
}
