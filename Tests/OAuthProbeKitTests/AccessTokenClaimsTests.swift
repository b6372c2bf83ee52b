import Foundation
import Testing
@testable import OAuthProbeKit

/// A JWT access token's own `exp` and scope decide over what its answer says: a server may write
/// `expires_in: 3600` for a token that lives a day, or a `scope` its token does not carry.
@Suite("The token's own claims decide")
struct AccessTokenClaimsTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    struct Case: Sendable, CustomTestStringConvertible {
        var answer: [String: String]
        var claims: String
        var expiresIn: String?
        var scope: String?
        /// Whether the summary notes that answer and token disagree.
        var noted: Bool
        var testDescription: String { "\(answer) with \(claims)" }
    }

    static let cases: [Case] = [
        // The answer understates the lifetime: the token's exp - iat decides.
        Case(answer: ["expires_in": "3600"], claims: #"{"iat": 1700000000, "exp": 1700086400}"#, expiresIn: "86400", scope: nil, noted: true),
        // No iat: what is left of it by our clock.
        Case(answer: ["expires_in": "300"], claims: #"{"exp": 1700007200}"#, expiresIn: "7200", scope: nil, noted: true),
        // Agreeing within the time it took to answer: no note.
        Case(answer: ["expires_in": "3599"], claims: #"{"iat": 1700000000, "exp": 1700003600}"#, expiresIn: "3600", scope: nil, noted: false),
        Case(answer: [:], claims: #"{"iat": 1700000000, "exp": 1700000600}"#, expiresIn: "600", scope: nil, noted: true),
        // The answer names a narrower scope than the token carries: the token's scope decides.
        Case(answer: ["scope": "openid read"], claims: #"{"scope": "openid read write"}"#, expiresIn: nil, scope: "openid read write", noted: true),
        Case(answer: ["scope": "read openid"], claims: #"{"scp": ["openid", "read"]}"#, expiresIn: nil, scope: "openid read", noted: false),
        Case(answer: [:], claims: #"{"scp": "read"}"#, expiresIn: nil, scope: "read", noted: true),
        // A token that says nothing of itself leaves the answer as it is.
        Case(answer: ["expires_in": "3600", "scope": "read"], claims: #"{"sub": "u"}"#, expiresIn: "3600", scope: "read", noted: false),
    ]

    @Test("exp and scope from the token decide, and a difference is noted", arguments: cases)
    func adopt(_ check: Case) throws {
        var outcome = StepOutcome(fields: check.answer, summary: "answered")
        let claims = try #require(JSONValue.parse(Data(check.claims.utf8)))
        AccessTokenClaims.adopt(claims, into: &outcome, now: Self.now)
        #expect(outcome.fields["expires_in"] == check.expiresIn)
        #expect(outcome.fields["scope"] == check.scope)
        #expect((outcome.summary != "answered") == check.noted)
    }
}
