/// Judges expectations against outcomes. Each check looks at what the server did (a token in
/// the response, the browser's destination), never at its wording.
enum Evaluation {
    /// Nil when the expectation holds; otherwise what was seen instead.
    static func mismatch(_ expectation: Expectation, in outcome: StepOutcome, issuer: String) -> String? {
        holds(expectation.matcher, expectation.subject, outcome, issuer: issuer)
            ? nil : actual(expectation.subject, outcome)
    }

    private static func holds(_ matcher: Matcher, _ subject: Subject, _ outcome: StepOutcome, issuer: String) -> Bool {
        if case .oneOf(let matchers) = matcher {
            return matchers.contains { holds($0, subject, outcome, issuer: issuer) }
        }
        switch subject {
        case .status:
            guard let status = outcome.status else { return matcher == .absent }
            switch matcher {
            case .statusClass(let hundreds): return status / 100 == hundreds
            case .equals(let value): return Int(value) == status
            case .present: return true
            default: return false
            }
        case .tokens:
            return matcher == .equals("issued") ? outcome.tokensIssued : !outcome.tokensIssued
        case .redirect:
            switch matcher {
            case .equals("none"), .absent: return outcome.redirect == nil
            case .equals("registered-only"): return !outcome.redirectedOutsideRegistered
            case .present: return outcome.redirect != nil
            default: return false
            }
        case .header(let name):
            return compare(matcher, outcome.header(name))
        case .field("state") where matcher == .equals("echoed"):
            return outcome.sentState != nil && outcome.fields["state"] == outcome.sentState
        case .field("iss") where matcher == .equals("issuer"):
            return outcome.fields["iss"] == issuer
        case .field(let name):
            return compare(matcher, outcome.fields[name])
        }
    }

    private static func compare(_ matcher: Matcher, _ value: String?) -> Bool {
        switch matcher {
        case .present: value.map { !$0.isEmpty } ?? false
        case .absent: value.map(\.isEmpty) ?? true
        case .equals(let expected): value == expected
        case .statusClass, .oneOf: false
        }
    }

    /// The observed value of a subject, in words.
    static func actual(_ subject: Subject, _ outcome: StepOutcome) -> String {
        switch subject {
        case .status: outcome.status.map { "status \($0)" } ?? "no response"
        case .tokens: outcome.tokensIssued ? "tokens issued" : "no tokens"
        case .redirect:
            outcome.redirect.map { outcome.redirectedOutsideRegistered ? "the browser was sent to \($0)" : "the browser was sent to the registered URI: \($0)" }
                ?? "the browser stayed on the identity server"
        case .header(let name): outcome.header(name).map { "\(name): \($0)" } ?? "no \(name) header"
        case .field(let name): outcome.fields[name].map { "\(name) = \($0)" } ?? "no \(name)"
        }
    }
}
