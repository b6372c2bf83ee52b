import Foundation
import JWTKit
import Testing
@testable import OAuthProbeKit

/// Judgements that must hold on any server (issue 9): each case is an answer a real server gives,
/// and the verdict it must lead to. The old judgement got every one of them wrong.
@Suite("Judgements that hold on every server")
struct JudgementTests {
    static let target = Target(name: "t", issuer: "https://idp.example.com", allowInsecureHTTP: true, file: "t.yaml")
    static let here = SourceLocation(file: "s", line: 1, column: 1)

    static func answer(_ status: Int, _ body: String) -> StepOutcome {
        var outcome = ProbeExecution.outcome(of: HTTPResponse(status: status, headers: [], body: Data(body.utf8), duration: .zero))
        outcome.summary = "\(status) \(body)"
        return outcome
    }

    static func judge(_ subject: Subject, _ matcher: Matcher, _ outcome: StepOutcome) -> Evaluation.Judgement {
        Evaluation.judge(Expectation(subject: subject, matcher: matcher, location: here), in: outcome, target: target)
    }

    // Item 8: refused means refused.
    struct TokenCase: Sendable, CustomTestStringConvertible {
        var status: Int
        var body: String
        var answer: String
        var testDescription: String { "\(status) \(body) → \(answer)" }
    }

    @Test("tokens: none holds only for an RFC 6749 §5.2 refusal; tokens in an error answer are tokens", arguments: [
        TokenCase(status: 400, body: #"{"error": "invalid_grant"}"#, answer: "refused"),
        TokenCase(status: 401, body: #"{"error": "invalid_client"}"#, answer: "refused"),
        TokenCase(status: 403, body: "", answer: "refused"),
        TokenCase(status: 200, body: "{}", answer: "neither"),
        TokenCase(status: 200, body: "<html>sign in</html>", answer: "neither"),
        TokenCase(status: 302, body: "", answer: "neither"),
        TokenCase(status: 404, body: #"{"error": "not_found"}"#, answer: "neither"),
        TokenCase(status: 405, body: "", answer: "neither"),
        TokenCase(status: 429, body: #"{"error": "slow_down"}"#, answer: "neither"),
        TokenCase(status: 400, body: "<html>Bad Request</html>", answer: "neither"),
        TokenCase(status: 400, body: #"{"error": "invalid_grant", "access_token": "leaked"}"#, answer: "issued"),
    ])
    func refusal(_ check: TokenCase) {
        let outcome = Self.answer(check.status, check.body)
        let judgement = Self.judge(.tokens, .equals("none"), outcome)
        switch check.answer {
        case "refused": #expect(judgement == .holds)
        case "issued": #expect(judgement == .fails("tokens issued in a 400 answer"))
        default:
            guard case .undecided = judgement else { Issue.record("\(judgement)"); return }
        }
    }

    // Item 1: scope from the token, not from an omitted field.
    @Test("an omitted scope nobody can see is no verdict; a seen one is judged")
    func unseenScope() {
        var outcome = Self.answer(200, #"{"access_token": "opaque"}"#)
        outcome.scopeUnseen = "cannot be seen"
        guard case .undecided = Self.judge(.field("scope"), .lacks("write"), outcome) else { Issue.record("must be undecided"); return }
        outcome.scopeUnseen = nil
        outcome.fields["scope"] = "read write"
        #expect(Self.judge(.field("scope"), .lacks("write"), outcome) == .fails("scope = read write"))
        // A refusal carries no scope and needs none.
        #expect(Self.judge(.field("scope"), .lacks("write"), Self.answer(400, #"{"error": "invalid_scope"}"#)) == .holds)
    }

    @Test("unallowed_scope must be one scope token", arguments: ["write", "write admin", "\"write\""])
    func unallowedScope(scope: String) throws {
        let file = try TestSupport.write("""
            name: t
            issuer: https://idp.example.com
            unallowed_scope: '\(scope)'
            """)
        let (_, diagnostics) = TargetLoader(environment: [:]).load(file: file)
        #expect(diagnostics.contains { $0.message.hasPrefix("unallowed_scope: give one scope token") } == (scope != "write"))
    }

    // Item 3: a reuse grace window is waited out, within reason.
    @Test("a declared refresh reuse grace window and code lifetime are read, and bounded by the longest wait",
          arguments: [("refresh_reuse_grace_seconds", 5, true), ("refresh_reuse_grace_seconds", Step.longestWait + 1, false),
                      ("max_code_lifetime", 600, true), ("max_code_lifetime", 0, false), ("max_code_lifetime", Step.longestWait + 1, false)])
    func waitBounds(key: String, seconds: Int, valid: Bool) throws {
        let file = try TestSupport.write("""
            name: t
            issuer: https://idp.example.com
            clients: { service: { client_id: svc, secret: "${env:SVC}" } }
            policy: { \(key): \(seconds) }
            """)
        let (target, diagnostics) = TargetLoader(environment: ["SVC": "s"]).load(file: file)
        #expect(diagnostics.filter { $0.severity == .error }.isEmpty == valid, "\(diagnostics)")
        if valid { #expect(target?.policy.values[key] == String(seconds)) }
    }

    // Item 7: what the RFCs require of lifetimes and of distinct tokens.
    @Test("a missing number is no verdict")
    func missingLifetime() {
        guard case .undecided = Self.judge(.field("expires_in"), .atMost("3600"), Self.answer(200, #"{"access_token": "a"}"#)) else {
            Issue.record("an absent expires_in cannot be compared"); return
        }
    }

    static func jwt(_ claims: String) -> String {
        Base64URL.encode(Data(#"{"alg":"RS256"}"#.utf8)) + "." + Base64URL.encode(Data(claims.utf8)) + ".c2ln"
    }

    @Test("the same token handed out twice is reuse, however recently it was minted and whatever it lacks")
    func identicalTokensAreReuse() {
        let now = Int(Date().timeIntervalSince1970)
        for token in [Self.jwt(#"{"sub":"u","iat":\#(now)}"#), Self.jwt(#"{"sub":"u","iat":\#(now - 600)}"#),
                      Self.jwt(#"{"sub":"u","iat":\#(now),"jti":"1"}"#), "opaque-token"] {
            var outcome = Self.answer(200, "{}")
            outcome.fields["access_token"] = token
            #expect(Self.judge(.field("access_token"), .differsFrom(token), outcome) != .holds)
            #expect(Self.judge(.field("access_token"), .differsFrom(token + "x"), outcome) == .holds)
        }
    }

    // Item 13: metadata read as RFC 8414 and OAuth 2.0 Multiple Response Types define it.
    @Test("response types compare as sets of words")
    func responseTypeSets() {
        let outcome = Self.answer(200, #"{"response_types_supported": ["code", "token id_token"]}"#)
        #expect(Self.judge(.field("response_types_supported"), .lacks("id_token token"), outcome) != .holds)
        #expect(Self.judge(.field("response_types_supported"), .lacks("token"), outcome) == .holds)
    }

    /// Issue 17: HSTS with max-age=0 makes the browser forget the host (RFC 6797 §6.1.1).
    @Test("a header's directive is judged on its own", arguments: [
        ("max-age=31536000; includeSubDomains", "31536000", true),
        (#"includeSubDomains; MAX-AGE="600""#, "600", true),
        ("max-age=0", "0", false),
        ("includeSubDomains", nil, false),
    ])
    func headerDirective(header: String, value: String?, holds: Bool) {
        let outcome = StepOutcome(status: 200, headers: [HTTPHeader(name: "Strict-Transport-Security", value: header)], summary: "")
        #expect(Evaluation.headerValue("Strict-Transport-Security.max-age", in: outcome) == value)
        #expect((Self.judge(.header("Strict-Transport-Security.max-age"), .atLeast("1"), outcome) == .holds) == holds)
    }

    @Test("a fragment that holds a query gives its parameters")
    func fragmentQuery() {
        let parameters = URLParts("https://client.example/cb#attacker?code=abc&state=s")!.parameters
        #expect(parameters.contains { $0.name == "code" && $0.value == "abc" })
    }

    // Item 9: where the browser went decides, or nothing does.
    @Test("only the client receives an authorization response; other places are named for what they are", arguments: [
        ("https://login.other.example/sso?x=1", Destination.unknown),
        ("https://client.example/cb?error=access_denied", .client),
        ("https://attacker.example/cb?code=c", .client),
        ("https://client.example/cb/", .client),
        ("https://client.example/elsewhere?error=invalid_request", .client),
        ("https://elsewhere.example/cb?state=ours", .client),
        // Federated sign-in: the upstream's own state and client_id are no response.
        ("https://upstream.example/authorize?client_id=broker&response_type=code&state=theirs", .upstreamSignIn),
        ("https://upstream.example/saml?SAMLRequest=abc", .upstreamSignIn),
        ("https://elsewhere.example/cb?state=theirs", .unknown),
        // Ory Hydra's urls.error: the operator's page, not the client's.
        ("https://errors.example/oauth?error=invalid_request&error_description=bad", .operatorErrorPage),
    ])
    func destination(url: String, expected: Destination) {
        let parameters = URLParts(url)?.parameters ?? []
        let destination = Destination(url, parameters: parameters, sent: "https://client.example/cb/", registered: "https://client.example/cb",
                                      sentState: "ours")
        #expect(destination == expected)
    }

    @Test("a form_post page delivers the response off the server")
    func formPost() {
        let page = #"<html><body onload="document.forms[0].submit()"><form method="post" action="https://client.example/cb"><input type="hidden" name="code" value="c"><input type="hidden" name="state" value="s"></form></body></html>"#
        let forms = HTMLFormParser.parse(Data(page.utf8)).forms
        guard case .posted(let action, let fields)? = BrowserFlow.responsePost(in: forms, page: "https://idp.example.com/authorize", server: URLParts("https://idp.example.com")!) else {
            Issue.record("not recognised as a delivery"); return
        }
        #expect(action == "https://client.example/cb")
        #expect(fields.map(\.name) == ["code", "state"])
    }

    // Item 10: response_type=token asks for no OpenID scope.
    @Test("response_type=token drops openid from the client's scope, or does not apply")
    func tokenScope() throws {
        let client = Client(clientID: "spa", secret: nil, redirectURI: "https://spa.example/cb", scope: "openid read", authMethod: .none)
        #expect(try ProbeExecution.defaultScope(of: client, role: .public, responseTypes: ["token"]) == "read")
        #expect(try ProbeExecution.defaultScope(of: client, role: .public, responseTypes: ["id_token", "token"]) == "openid read")
        let openidOnly = Client(clientID: "spa", secret: nil, redirectURI: "https://spa.example/cb", scope: "openid", authMethod: .none)
        #expect(throws: ProbeSkip.self) { try ProbeExecution.defaultScope(of: openidOnly, role: .public, responseTypes: ["token"]) }
    }

    // Item 6: variants that bend nothing.
    @Test("a variant identical to the registered URI, or a loopback port, does not apply", arguments: [
        (SkipCondition.Comparison.equal, ["https://10.0.0.1/cb", "https://10.0.0.1/cb"], true),
        (.equal, ["https://a.example/cb/", "https://a.example/cb"], false),
        (.loopbackPortOnly, ["http://127.0.0.1:8443/cb", "http://127.0.0.1:7000/cb"], true),
        (.loopbackPortOnly, ["http://[::1]:8443/cb", "http://[::1]/cb"], true),
        (.loopbackPortOnly, ["https://app.example:8443/cb", "https://app.example/cb"], false),
        (.loopbackPortOnly, ["http://127.0.0.1:8443/other", "http://127.0.0.1:7000/cb"], false),
    ])
    func skipConditions(comparison: SkipCondition.Comparison, values: [String], holds: Bool) {
        #expect(comparison.holds(values) == holds)
    }

    // Item 5: a JWKS read key by key.
    @Test("keys the checker cannot use do not hide the one that signed")
    func mixedKeySet() async throws {
        let key = ES256PrivateKey()
        let keys = await JWTKeyCollection().add(ecdsa: key, kid: "sig")
        let token = try await keys.sign(IDTokenCheckTests.Claims(iss: "https://idp.example.com", aud: ["spa"], exp: IDTokenCheckTests.future, nonce: "n-123"),
                                        kid: "sig")
        let (x, y) = try #require(key.publicKey.parameters)
        let jwks = """
            {"keys": [
              {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
              {"kty": "OKP", "crv": "X25519", "kid": "agree", "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"},
              {"kty": "RSA", "use": "enc", "kid": "wrap", "n": "AQAB", "e": "AQAB"},
              {"kty": "EC", "crv": "P-256", "x": "\(x)", "y": "\(y)"},
              {"kty": "EC", "crv": "P-256", "alg": "ES256", "kid": "sig", "x": "\(x)", "y": "\(y)"}
            ]}
            """
        #expect(await IDTokenCheckTests.check.check(token, jwks: Data(jwks.utf8))["signature"] == "valid")
        // The EC key written without kid counts too (RFC 7517 §4.5: kid is optional).
        #expect(IDTokenCheck.signingKeys(in: Data(jwks.utf8)).count == 2)
    }
}

/// Items 15 and 16: a failing server gets more attempts, alone, and a refusal in the wrong words
/// is recognised when it repeats. On the local fault server.
@Suite("Server failures get another attempt")
struct RetryTests {
    static func run(suite: String, on server: FixtureServer) async throws -> ProbeResult {
        let target = try TestSupport.write("""
            name: fault
            issuer: \(server.http)/issuer
            allow_insecure_http: true
            clients:
              service: { client_id: svc, secret: "${env:SVC}", auth_method: client_secret_basic }
            """, named: "target.yaml")
        let suiteFile = try TestSupport.write(suite, named: "faults.yaml")
        let inputs = Inputs.load(targets: [target], suites: [suiteFile], environment: ["SVC": "not-a-real-secret"])
        try #require(!inputs.hasErrors, "\(inputs.diagnostics)")
        let record = await Runner(options: RunOptions(concurrency: 2, timeout: .seconds(5)))
            .run(Planner.plan(targets: inputs.targets, suites: inputs.suites))
        return try #require(record.results.first)
    }

    @Test("a server failure under load is tried again alone, and the attempts are recorded")
    func flaky() async throws {
        try await withFixtureServer { server in
            let key = UUID().uuidString
            let result = try await Self.run(suite: """
                practice: Always Use HTTPS
                probes:
                  - id: fault.flaky
                    title: answers on the second attempt
                    refs: ["RFC 6749 §5.2"]
                    severity: low
                    steps:
                      - name: call
                        http: { url: "\(server.http)/_/flaky?key=\(key)&fail=1" }
                        expect: { status: 200 }
                """, on: server)
            #expect(result.verdict == .pass, "\(result.message)")
            #expect(result.attempts == 2)
            let junit = String(decoding: JUnitReport.render(RunRecord(targets: [], results: [result], started: Date(), finished: Date())), as: UTF8.self)
            #expect(junit.contains("ran 2 times"))
        }
    }

    /// A probe whose control succeeds and whose second step asks `path` of the fault server.
    static func controlThenRefused(_ server: FixtureServer, path: String, expect: String) -> String {
        """
        practice: Always Use HTTPS
        probes:
          - id: fault.refused
            title: a control, then a step that should be refused
            refs: ["RFC 6749 §5.2"]
            severity: low
            steps:
              - name: control
                http: { url: "\(server.http)/_/answer?code=200" }
                require: { status: 200 }
              - name: refused
                http: { url: "\(server.http)\(path)" }
                expect: \(expect)
        """
    }

    @Test("server_error repeated alone after a control succeeded is a refusal in the wrong words")
    func repeatedServerError() async throws {
        try await withFixtureServer { server in
            let result = try await Self.run(suite: Self.controlThenRefused(server, path: "/_/flaky?key=\(UUID().uuidString)&fail=9",
                                                                    expect: "{ tokens: none }"), on: server)
            #expect(result.verdict == .pass, "\(result.message)")
            #expect(result.attempts == 2)
            #expect(result.message.contains("a refusal in the wrong words"))
        }
    }

    /// Issue 17: an outage is no refusal. Only a real `error=server_error`, where a refusal is
    /// expected, after a control of the same attempt: a 503 page, or a server_error where the
    /// step expects something else, stays an error however often it repeats.
    @Test("a repeated 5xx that is not error=server_error, or not where a refusal is expected, stays an error", arguments: [
        ("/_/answer?code=503&type=text/html&body=%3Cp%3Ebusy%3C/p%3E", "{ tokens: none }"),
        ("/_/flaky?key=KEY&fail=9", "{ status: 4xx }"),
    ])
    func outageIsNoRefusal(path: String, expect: String) async throws {
        try await withFixtureServer { server in
            let result = try await Self.run(suite: Self.controlThenRefused(server, path: path.replacingOccurrences(of: "KEY", with: UUID().uuidString),
                                                                    expect: expect), on: server)
            #expect(result.verdict == .error, "\(result.message)")
            #expect(!result.message.contains("a refusal in the wrong words"))
        }
    }
}

/// Issue 17: a code presented again after it may have expired proves nothing by its refusal.
@Suite("Codes presented again after their lifetime")
struct ExpiredReplayTests {
    static func replay(waiting seconds: Int, on server: FixtureServer) async throws -> ProbeResult {
        let target = try HostileTarget.write(server: server, scenario: "single-use-codes")
        let suite = try TestSupport.write("""
            practice: Secure Redirect URIs
            probes:
              - id: code.replay-late
                title: a code redeemed, then presented again
                refs: ["RFC 6749 §4.1.2"]
                severity: low
                roles: [confidential]
                steps:
                  - name: authorize
                    authorize: { client: confidential }
                    require: { code: present }
                  - name: first
                    token: { client: confidential, from: authorize }
                    require: { tokens: issued }
                  - name: replay
                    wait: \(seconds)
                    token: { client: confidential, from: authorize }
                    expect: { tokens: none }
            """, named: "replay.yaml")
        let inputs = Inputs.load(targets: [target], suites: [suite], environment: HostileTarget.environment)
        try #require(!inputs.hasErrors, "\(inputs.diagnostics)")
        let record = await Runner(options: RunOptions(concurrency: 1, timeout: .seconds(10)))
            .run(Planner.plan(targets: inputs.targets, suites: inputs.suites))
        return try #require(record.results.first)
    }

    @Test("a replay refused within the window is a refusal; one refused after it is no verdict", arguments: [
        (0, Verdict.pass), (ProbeExecution.replayWindow + 1, .error),
    ])
    func window(seconds: Int, verdict: Verdict) async throws {
        try await withFixtureServer { server in
            let result = try await Self.replay(waiting: seconds, on: server)
            #expect(result.verdict == verdict, "\(result.message)")
            if verdict == .error { #expect(result.message.contains("presented again"), "\(result.message)") }
        }
    }
}
