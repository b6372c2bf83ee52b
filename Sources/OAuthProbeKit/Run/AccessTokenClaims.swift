import Foundation

/// What a JWT access token says of itself (RFC 9068 §2.2: `exp`, `scope`) decides over what the
/// token answer says of it (`expires_in`, `scope`, RFC 6749 §5.1): the resource honours the token,
/// not the answer. A difference between the two is noted in the outcome's summary.
enum AccessTokenClaims {
    /// Seconds by which `expires_in` may differ from the token's own lifetime before the
    /// difference is noted: the time between minting and answering.
    static let lifetimeTolerance = 5

    static func adopt(_ claims: JSONValue, into outcome: inout StepOutcome, now: Date) {
        if let lifetime = lifetime(in: claims, now: now) {
            switch outcome.fields["expires_in"].flatMap(Int.init) {
            case nil:
                outcome.summary += " (no expires_in; the JWT's exp gives \(lifetime) s)"
            case let said? where abs(said - lifetime) > lifetimeTolerance:
                outcome.summary += " (the answer says expires_in \(said), the JWT's exp gives \(lifetime) s: the token's exp decides)"
            default: break
            }
            outcome.fields["expires_in"] = String(lifetime)
        }
        if let claimed = scope(in: claims) {
            switch outcome.fields["scope"] {
            case nil:
                outcome.summary += " (no scope in the answer; the token's scope claim: \(claimed))"
            case let said? where Set(Evaluation.words(said)) != Set(Evaluation.words(claimed)):
                outcome.summary += " (the answer says scope '\(said)', the token's scope claim '\(claimed)': the token's claim decides)"
            default: break
            }
            outcome.fields["scope"] = claimed
        }
    }

    /// The token's lifetime: `exp - iat` when it says when it was issued (no clock of ours in
    /// it), else what is left of it by our clock.
    static func lifetime(in claims: JSONValue, now: Date) -> Int? {
        guard case .number(let expiry)? = claims["exp"] else { return nil }
        if case .number(let issued)? = claims["iat"] { return Int((expiry - issued).rounded()) }
        return Int((expiry - now.timeIntervalSince1970).rounded())
    }

    /// `scope` as RFC 9068 §2.2.3 writes it, or `scp` as Okta and Entra ID do (a string or a list).
    static func scope(in claims: JSONValue) -> String? {
        claims["scope"]?.stringValue ?? claims["scp"].flatMap { $0.arrayOfStrings?.joined(separator: " ") ?? $0.stringValue }
    }
}
