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
        var azp: String? = nil
        var c_hash: String? = nil
        var at_hash: String? = nil
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
                ["alg": "ES256", "signature": "valid", "issuer": "matches", "audience": "matches", "azp": "not-needed", "expiry": "future",
                 "nonce": "matches"])
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

    /// A JWKS of one key written without `kid` (RFC 7517 §4.5), and tokens with and without one.
    static func unnamedKey(tokenKid: String?) async throws -> (token: String, jwks: Data) {
        let key = ES256PrivateKey()
        let keys = await JWTKeyCollection().add(ecdsa: key, kid: tokenKid.map { JWKIdentifier(string: $0) })
        let claims = Claims(iss: "https://idp.example.com", aud: ["spa"], exp: Self.future, nonce: "n-123")
        let token = try await keys.sign(claims, kid: tokenKid.map { JWKIdentifier(string: $0) })
        let (x, y) = try #require(key.publicKey.parameters)
        let jwks = #"{"keys": [{"kty": "EC", "crv": "P-256", "x": "\#(x)", "y": "\#(y)"}, {"kty": "RSA", "kid": "rsa-1", "n": "AQAB", "e": "AQAB"}]}"#
        return (token, Data(jwks.utf8))
    }

    @Test("the one key of the token's type is used when the token or the key names no kid", arguments: [nil, "k1"] as [String?])
    func keyWithoutKid(tokenKid: String?) async throws {
        let (token, jwks) = try await Self.unnamedKey(tokenKid: tokenKid)
        #expect(CompactJWT(token)?.header["kid"]?.stringValue == tokenKid)
        #expect(await Self.check.check(token, jwks: jwks)["signature"] == "valid")
    }

    @Test("a key without kid still checks: another key's signature is invalid")
    func keyWithoutKidRefusesOthers() async throws {
        let (token, _) = try await Self.unnamedKey(tokenKid: nil)
        let (_, otherJWKS) = try await Self.unnamedKey(tokenKid: nil)
        #expect(await Self.check.check(token, jwks: otherJWKS)["signature"] == "invalid")
    }

    @Test("azp is owed when aud names several parties, and must then be the client",
          arguments: [(["spa"], nil, "not-needed"), (["spa", "api"], nil, "missing"), (["spa", "api"], "spa", "matches"),
                      (["spa", "api"], "api", "differs"), (["spa"], "spa", "matches")] as [([String], String?, String)])
    func authorizedParty(_ audience: [String], _ azp: String?, _ expected: String) async throws {
        let (token, jwks) = try await Self.signed(Claims(iss: "https://idp.example.com", aud: audience, exp: Self.future, nonce: "n-123", azp: azp))
        #expect(await Self.check.check(token, jwks: jwks)["azp"] == expected)
    }

    /// OIDC Core Appendix A.3 and A.4: a code and an access token with their c_hash and at_hash.
    static let specCode = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
    static let specAccessToken = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"

    @Test("c_hash and at_hash are the left half of the alg's SHA-2, as OIDC Core's examples have them")
    func halfHashes() {
        #expect(IDTokenCheck.halfHash(of: Self.specCode, alg: "RS256") == "LDktKdoQak3Pk0cnXxCltA")
        #expect(IDTokenCheck.halfHash(of: Self.specAccessToken, alg: "RS256") == "77QmUPtjPfzWtF2AnpK9RQ")
        #expect(IDTokenCheck.halfHash(of: Self.specCode, alg: "none") == nil)
    }

    @Test("c_hash and at_hash are judged present and right, wrong, or missing")
    func hashClaims() async throws {
        var check = Self.check
        check.code = Self.specCode
        check.accessToken = Self.specAccessToken
        let right = IDTokenCheckTests.Claims(iss: "https://idp.example.com", aud: ["spa"], exp: Self.future, nonce: "n-123",
                                             c_hash: IDTokenCheck.halfHash(of: Self.specCode, alg: "ES256"))
        let (token, jwks) = try await Self.signed(right)
        let fields = await check.check(token, jwks: jwks)
        #expect(fields["c_hash"] == "matches")
        #expect(fields["at_hash"] == "missing")
        var swapped = right
        swapped.c_hash = IDTokenCheck.halfHash(of: "another-code", alg: "ES256")
        let (other, otherJWKS) = try await Self.signed(swapped)
        #expect(await check.check(other, jwks: otherJWKS)["c_hash"] == "differs")
    }
}
