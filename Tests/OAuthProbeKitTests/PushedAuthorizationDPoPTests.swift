import Crypto
import Foundation
import Testing
@testable import OAuthProbeKit

@Suite("DPoP proofs and pushed authorization requests")
struct PushedAuthorizationDPoPTests {
    /// A fixed P-256 key: the private scalar 0x0102…20. Its JWK and thumbprint were computed
    /// independently with jwcrypto 1.6.1 (`JWK.from_pyca(...).thumbprint()`).
    static let fixedKey = try! P256.Signing.PrivateKey(rawRepresentation: Data((1...32).map { UInt8($0) }))

    static func parts(_ jwt: String) throws -> (header: JSONValue, claims: JSONValue, input: String, signature: Data) {
        let pieces = jwt.split(separator: ".", omittingEmptySubsequences: false)
        try #require(pieces.count == 3)
        let header = try #require(Base64URL.decode(pieces[0]).flatMap(JSONValue.parse))
        let claims = try #require(Base64URL.decode(pieces[1]).flatMap(JSONValue.parse))
        return (header, claims, "\(pieces[0]).\(pieces[1])", try #require(Base64URL.decode(pieces[2])))
    }

    @Test("a proof carries typ, alg and the public jwk, the request's htm and htu, a fresh jti, iat and ath, and verifies with that jwk")
    func proofVerifies() throws {
        let issued = Date(timeIntervalSince1970: 1_764_590_400)
        let proof = try DPoPProof.make(.init(method: "GET", url: "https://rs.example/api/me", accessToken: "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU",
                                             issuedAt: issued, jti: "the-jti"), key: Self.fixedKey)
        let (header, claims, input, signature) = try Self.parts(proof)
        #expect(header["typ"] == .string("dpop+jwt"))
        #expect(header["alg"] == .string("ES256"))
        #expect(header["jwk"]?["kty"] == .string("EC"))
        #expect(header["jwk"]?["crv"] == .string("P-256"))
        #expect(header["jwk"]?["x"] == .string("UVw9brnjlrkE0_7Kf1T9zQzB6Ze_N13KUVrQpsO0A18"))
        #expect(header["jwk"]?["y"] == .string("RTa-OlDzGPv5pUdZAqIhUCvvDVfgjFOyzApW8X2fk1Q"))
        #expect(header["jwk"]?["d"] == nil, "the private key never travels")
        #expect(claims["htm"] == .string("GET"))
        #expect(claims["htu"] == .string("https://rs.example/api/me"))
        #expect(claims["jti"] == .string("the-jti"))
        #expect(claims["iat"] == .number(1_764_590_400))
        // RFC 9449 §7.1's example: this access token hashes to this ath.
        #expect(claims["ath"] == .string("fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"))

        // Verified from the header's jwk alone, as a server does.
        let x = try #require(header["jwk"]?["x"]?.stringValue.flatMap(Base64URL.decode))
        let y = try #require(header["jwk"]?["y"]?.stringValue.flatMap(Base64URL.decode))
        let publicKey = try P256.Signing.PublicKey(rawRepresentation: x + y)
        let ecdsa = try P256.Signing.ECDSASignature(rawRepresentation: signature)
        #expect(signature.count == 64, "JWS ES256 is r and s, 32 bytes each (RFC 7518 §3.4)")
        #expect(publicKey.isValidSignature(ecdsa, for: Data(input.utf8)))
        #expect(!publicKey.isValidSignature(ecdsa, for: Data((input + "x").utf8)))
    }

    @Test("a token-endpoint proof has no ath, and each proof a new jti")
    func freshProofs() throws {
        let key = DPoPKey()
        let first = try Self.parts(key.proof(method: "POST", htu: "https://as.example/token", accessToken: nil, sentTo: "https://as.example/token")).claims
        let second = try Self.parts(key.proof(method: "POST", htu: "https://as.example/token", accessToken: nil, sentTo: "https://as.example/token")).claims
        #expect(first["ath"] == nil)
        #expect(first["nonce"] == nil)
        #expect(first["jti"] != second["jti"])
        let iat = try #require(first["iat"].flatMap { if case .number(let n) = $0 { n } else { nil } })
        #expect(abs(iat - Date().timeIntervalSince1970) < 5)
    }

    @Test("the JWK thumbprint is RFC 7638's, as jwcrypto computes it")
    func thumbprint() {
        #expect(DPoPProof.thumbprint(of: Self.fixedKey.publicKey) == "6UoWwDCkLjV0J-pQG8c0THxbVhBcpR0AZDift1Yl5DM")
    }

    @Test("htu is the URL without query and fragment, as written", arguments: [
        ("https://rs.example/api/me?x=1#f", "https://rs.example/api/me"),
        ("https://RS.example:8443/a/b", "https://RS.example:8443/a/b"),
        ("https://rs.example", "https://rs.example"),
    ])
    func htu(_ url: String, _ expected: String) {
        #expect(DPoPProof.htu(of: url) == expected)
    }

    @Test("a use_dpop_nonce refusal is worth one more try, with the nonce in the next proof")
    func nonce() throws {
        let key = DPoPKey()
        let url = "https://as.example/token"
        let refusal = HTTPResponse(status: 400, headers: [HTTPHeader("DPoP-Nonce", "eyJ7S_zG.eyJH0-Z.HX4w-7v")],
                                   body: Data(#"{"error":"use_dpop_nonce"}"#.utf8), duration: .zero)
        #expect(key.learnNonce(from: refusal, sentTo: url))
        let proof = try Self.parts(key.proof(method: "POST", htu: url, accessToken: nil, sentTo: url)).claims
        #expect(proof["nonce"] == .string("eyJ7S_zG.eyJH0-Z.HX4w-7v"))
        // The same nonce refused again: no loop.
        #expect(!key.learnNonce(from: refusal, sentTo: url))
        // A resource asks in its challenge (RFC 9449 §9); a new nonce in a 200 is kept, not retried.
        let challenge = HTTPResponse(status: 401, headers: [HTTPHeader("WWW-Authenticate", #"DPoP error="use_dpop_nonce""#),
                                                            HTTPHeader("DPoP-Nonce", "n-2")], body: Data(), duration: .zero)
        #expect(key.learnNonce(from: challenge, sentTo: "https://rs.example/api"))
        let fine = HTTPResponse(status: 200, headers: [HTTPHeader("DPoP-Nonce", "n-3")], body: Data(), duration: .zero)
        #expect(!key.learnNonce(from: fine, sentTo: url))
        #expect(try Self.parts(key.proof(method: "POST", htu: url, accessToken: nil, sentTo: url)).claims["nonce"] == .string("n-3"))
        // Nonces are per server: the resource's is not sent to the token endpoint of another origin.
        let other = try Self.parts(key.proof(method: "GET", htu: "https://elsewhere.example/x", accessToken: nil, sentTo: "https://elsewhere.example/x")).claims
        #expect(other["nonce"] == nil)
    }

    static let authorization: [(String, String)] = [("response_type", "code"), ("client_id", "web"), ("redirect_uri", "https://web.example/cb"),
                                                    ("scope", "openid read"), ("state", "s1"), ("code_challenge", "c"), ("code_challenge_method", "S256")]

    static func form(_ request: HTTPRequest) -> [String: [String]] {
        Dictionary(grouping: FormEncoding.decode(String(decoding: request.body ?? Data(), as: UTF8.self)), by: \.name).mapValues { $0.map(\.value) }
    }

    @Test("the push is a form of the authorization parameters, client_id once, the client authenticated as at the token endpoint",
          arguments: [ClientAuthMethod.clientSecretBasic, .clientSecretPost, .none])
    func pushForm(_ method: ClientAuthMethod) {
        let client = Client(clientID: "web", secret: method == .none ? nil : Secret("s3cret-value", origin: nil),
                            redirectURI: "https://web.example/cb", scope: "openid read", authMethod: method)
        let request = PushedAuthorization.request(to: "https://as.example/par", parameters: Self.authorization, as: client, authentication: .registered)
        let form = Self.form(request)
        #expect(request.method == "POST")
        #expect(request.url == "https://as.example/par")
        #expect(request.headers.contains(HTTPHeader("Content-Type", "application/x-www-form-urlencoded")))
        #expect(form["client_id"] == ["web"])
        for (name, value) in Self.authorization where name != "client_id" { #expect(form[name] == [value]) }
        let basic = request.headers.first { $0.name == "Authorization" }?.value
        switch method {
        case .clientSecretBasic:
            #expect(basic == ClientRequests.basicCredentials("web", "s3cret-value"))
            #expect(form["client_secret"] == nil)
        case .clientSecretPost:
            #expect(basic == nil)
            #expect(form["client_secret"] == ["s3cret-value"])
        case .none:
            #expect(basic == nil)
            #expect(form["client_secret"] == nil)
        }
    }

    @Test("the browser then carries client_id and the request_uri alone")
    func browserRequest() {
        let url = ClientRequests.authorizationURL(endpoint: "https://as.example/authorize",
                                                  parameters: PushedAuthorization.browserParameters(clientID: "web", requestURI: "urn:ietf:params:oauth:request_uri:abc"))
        #expect(url == "https://as.example/authorize?client_id=web&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc")
    }

    @Test("the push's answer: a request_uri, a refusal, or neither (no verdict)")
    func pushAnswer() {
        let sent = PushedAuthorization.Sent(state: "s1", nonce: "n1", codeVerifier: "v1", redirectURI: "https://web.example/cb", scope: "openid")
        let created = PushedAuthorization.outcome(of: HTTPResponse(status: 201, headers: [], body: Data(#"{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60}"#.utf8), duration: .zero), sent: sent)
        #expect(created.undecided == nil)
        #expect(created.fields["request_uri"] == "urn:ietf:params:oauth:request_uri:abc")
        #expect(created.sentState == "s1")
        #expect(created.fields["code_verifier"] == "v1")
        let refused = PushedAuthorization.outcome(of: HTTPResponse(status: 400, headers: [], body: Data(#"{"error":"invalid_request"}"#.utf8), duration: .zero), sent: sent)
        #expect(refused.undecided == nil)
        #expect(refused.fields["request_uri"] == nil)
        let neither = PushedAuthorization.outcome(of: HTTPResponse(status: 404, headers: [], body: Data("<html>".utf8), duration: .zero), sent: sent)
        #expect(neither.undecided != nil)
    }

    @Test("metadata that requires PAR makes authorize steps push unless they say otherwise")
    func required() {
        let requiring = Metadata(url: "https://as.example/.well-known/openid-configuration",
                                 document: .object(["require_pushed_authorization_requests": .bool(true)]))
        let allowing = Metadata(url: requiring.url, document: .object(["require_pushed_authorization_requests": .bool(false)]))
        #expect(PushedAuthorization.required(by: requiring))
        #expect(!PushedAuthorization.required(by: allowing))
        #expect(!PushedAuthorization.required(by: nil))
    }

    @Test("the new keys load: par, request_uri, push_authorization, dpop, scheme and proof options")
    func loads() throws {
        let path = try TestSupport.write("""
            practice: Avoid Token Reuse
            probes:
              - id: par.sample
                title: sample
                refs: ["RFC 9126 §4"]
                severity: low
                roles: [confidential, service]
                steps:
                  - name: pushed
                    push_authorization: { client: confidential, client_auth: none }
                    require: { request_uri: present, status: 201 }
                  - name: first
                    authorize: { client: confidential, request_uri: "{{pushed.request_uri}}" }
                  - name: own
                    authorize: { client: confidential, par: true, client_auth: wrong_secret }
                  - name: plain
                    authorize: { client: confidential, par: false }
                  - name: tokens
                    client_credentials: { client: service, dpop: true }
                  - name: a
                    resource: { token: "{{tokens.access_token}}", scheme: DPoP }
                  - name: b
                    resource: { token: "{{tokens.access_token}}", scheme: DPoP, dpop: { htu: "{{endpoints.token}}", htm: POST } }
                  - name: c
                    resource: { token: "{{tokens.access_token}}", scheme: DPoP, dpop: { replay: a } }
                  - name: d
                    resource: { token: "{{tokens.access_token}}", scheme: DPoP, dpop: false }
                  - name: e
                    resource: { token: "{{tokens.access_token}}", dpop: true }
                    expect: { status: { not: 2xx } }
            """)
        let (suite, diagnostics) = SuiteLoader().load(file: path)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let probe = try #require(suite?.probes.first)
        #expect(probe.endpoints.contains(.pushedAuthorizationRequest))
        let steps = Dictionary(uniqueKeysWithValues: probe.steps.map { ($0.name, $0.action) })
        guard case .pushAuthorization(let push)? = steps["pushed"], case .authorize(let first)? = steps["first"],
              case .authorize(let own)? = steps["own"], case .authorize(let plain)? = steps["plain"],
              case .clientCredentials(let grant)? = steps["tokens"], case .resource(let a)? = steps["a"],
              case .resource(let b)? = steps["b"], case .resource(let c)? = steps["c"], case .resource(let d)? = steps["d"],
              case .resource(let e)? = steps["e"] else {
            Issue.record("actions: \(probe.steps.map(\.action.keyword))")
            return
        }
        #expect(push.clientAuth == .none)
        #expect(first.requestURI != nil && first.par == nil)
        #expect(own.par == true && own.clientAuth == .wrongSecret)
        #expect(plain.par == false)
        #expect(grant.dpop)
        #expect(a.scheme == .dpop && a.dpop != nil && a.dpop?.htu == nil && a.dpop?.replay == nil)
        #expect(b.dpop?.htu != nil && b.dpop?.htm != nil)
        #expect(c.dpop?.replay == "a")
        #expect(d.scheme == .dpop && d.dpop == nil)
        #expect(e.scheme == .bearer && e.dpop != nil)
    }

    @Test("mistakes with the new keys are reported with file:line:col")
    func mistakes() throws {
        let path = try TestSupport.write("""
            practice: Avoid Token Reuse
            probes:
              - id: par.sample
                title: sample
                refs: ["RFC 9126 §4"]
                severity: low
                roles: [confidential, service]
                steps:
                  - name: both
                    authorize: { client: confidential, par: true, request_uri: "urn:x" }
                  - name: unsent
                    authorize: { client: confidential, request_uri: "urn:x", scope: openid }
                  - name: auth
                    authorize: { client: confidential, client_auth: none }
                  - name: tokens
                    client_credentials: { client: service, dpop: maybe }
                  - name: replayed
                    resource: { token: "{{tokens.access_token}}", scheme: DPoP, dpop: { replay: tokens, htm: GET } }
                  - name: odd
                    resource: { token: "{{tokens.access_token}}", scheme: MAC, dpop: { ath: x } }
                  - name: pushed
                    push_authorization: { client: confidential, browser: signed-out }
            """)
        let (suite, diagnostics) = SuiteLoader().load(file: path)
        #expect(suite == nil)
        #expect(TestSupport.positions(diagnostics) == [
            "10:68: error: authorize: give 'par: true' (push this request) or 'request_uri' (one pushed before), not both",
            "12:57: error: authorize.request_uri: the browser sends client_id and request_uri only, so scope would not be sent",
            "14:57: error: authorize.client_auth: only with 'par: true', where it says how the push authenticates",
            "16:54: error: client_credentials.dpop must be true or false, not 'maybe'",
            "18:85: error: resource.dpop.replay 'tokens' must name an earlier resource step (whose proof is sent again)",
            "18:85: error: resource.dpop.replay sends the earlier proof byte for byte: no htu or htm beside it",
            "20:63: error: resource.scheme 'MAC' is not one of: Bearer, DPoP",
            "20:76: error: resource.dpop: unknown key 'ath'; did you mean 'htu'?",
            "22:53: error: push_authorization: unknown key 'browser'",
        ])
    }

    @Test("a DPoP-bound token and a request_uri belong to one probe: neither can be a shared step")
    func notShared() throws {
        let path = try TestSupport.write("""
            practice: Avoid Token Reuse
            probes:
              - id: par.sample
                title: sample
                refs: ["RFC 9126 §4"]
                severity: low
                roles: [confidential, service]
                steps:
                  - name: tokens
                    shared: true
                    client_credentials: { client: service, dpop: true }
                  - name: pushed
                    shared: true
                    authorize: { client: confidential, par: true }
                  - name: again
                    authorize: { client: confidential, request_uri: "{{pushed.request_uri}}" }
                  - name: presented
                    shared: true
                    authorize: { client: confidential, request_uri: "urn:x" }
            """)
        let (_, diagnostics) = SuiteLoader().load(file: path)
        #expect(TestSupport.positions(diagnostics) == [
            "10:17: error: shared: a DPoP-bound token is bound to its probe's own key, which no other probe holds",
            "15:9: error: step 'again' presents the request_uri of shared step 'pushed', which its first presentation uses up",
            "18:17: error: shared: a request_uri is presented once, by one probe",
        ])
    }
}
