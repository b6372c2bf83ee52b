import Foundation
import JWTKit
import Testing
@testable import OAuthProbeKit

/// The ID token checks against tokens signed here with a fresh key, so each check can be made
/// to fail on purpose.
@Suite("ID token checks")
struct IDTokenCheckTests {
    struct Claims: JWTPayload {
        var iss: String
        var aud: [String]
        var exp: Int
        var nonce: String?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func signed(_ claims: Claims, kid: String = "k1") async throws -> (token: String, jwks: Data) {
        let key = ES256PrivateKey()
        let keys = await JWTKeyCollection().add(ecdsa: key, kid: JWKIdentifier(string: kid))
        let token = try await keys.sign(claims, kid: JWKIdentifier(string: kid))
        let (x, y) = try #require(key.publicKey.parameters)
        let jwks = #"{"keys": [{"kty": "EC", "crv": "P-256", "alg": "ES256", "kid": "\#(kid)", "x": "\#(x)", "y": "\#(y)"}]}"#
        return (token, Data(jwks.utf8))
    }

    static let check = IDTokenCheck(issuer: "https://idp.example.com", clientID: "spa", nonce: "n-123")
    static let future = Int(Date().timeIntervalSince1970) + 300

    @Test("a token as the relying party expects passes every check")
    func valid() async throws {
        let (token, jwks) = try await Self.signed(Claims(iss: "https://idp.example.com", aud: ["spa"], exp: Self.future, nonce: "n-123"))
        #expect(await Self.check.check(token, jwks: jwks) ==
                ["alg": "ES256", "signature": "valid", "issuer": "matches", "audience": "matches", "expiry": "future", "nonce": "matches"])
    }

    @Test("each broken claim is reported on its own")
    func brokenClaims() async throws {
        let (token, jwks) = try await Self.signed(Claims(iss: "http://idp.example.com", aud: ["other"], exp: 1_000, nonce: "n-999"))
        let fields = await Self.check.check(token, jwks: jwks)
        #expect(fields["signature"] == "valid")
        #expect(fields["issuer"] == "differs")
        #expect(fields["audience"] == "differs")
        #expect(fields["expiry"] == "past")
        #expect(fields["nonce"] == "differs")
    }

    @Test("a signature from another key, or an unknown kid, does not verify")
    func foreignKey() async throws {
        let claims = Claims(iss: "https://idp.example.com", aud: ["spa"], exp: Self.future, nonce: "n-123")
        let (token, _) = try await Self.signed(claims)
        let (_, otherJWKS) = try await Self.signed(claims)
        #expect(await Self.check.check(token, jwks: otherJWKS)["signature"] == "invalid")
        let (_, otherKid) = try await Self.signed(claims, kid: "k2")
        #expect(await Self.check.check(token, jwks: otherKid)["signature"] == "no-key")
        let unsigned = try TemplateContext.apply("alg_none", to: token)
        #expect(await Self.check.check(unsigned, jwks: otherJWKS)["signature"] == "invalid")
    }
}
