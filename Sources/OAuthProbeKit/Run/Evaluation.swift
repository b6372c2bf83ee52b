import Foundation

/// Judges expectations against outcomes. Each check looks at what the server did (a token in
/// the response, the browser's destination, the headers it sent), never at its wording.
enum Evaluation {
    /// What an expectation comes to on an outcome.
    enum Judgement: Equatable {
        case holds
        /// It does not hold; what was seen instead.
        case fails(String)
        /// The answer cannot settle it either way: no verdict may rest on it.
        case undecided(String)
    }

    static func judge(_ expectation: Expectation, in outcome: StepOutcome, target: Target) -> Judgement {
        if let reason = undecided(expectation.subject, expectation.matcher, outcome) { return .undecided(reason) }
        return holds(expectation.matcher, expectation.subject, outcome, target: target)
            ? .holds : .fails(actual(expectation.subject, outcome, target: target))
    }

    /// Why the outcome cannot settle this subject, if it cannot: a token answer that is neither
    /// tokens nor a refusal, a scope nobody reported, a number the server never gave.
    private static func undecided(_ subject: Subject, _ matcher: Matcher, _ outcome: StepOutcome) -> String? {
        switch subject {
        case .tokens:
            if case .neither(let reason) = outcome.tokenAnswer { return reason }
        case .field("scope"):
            return outcome.tokensIssued ? outcome.scopeUnseen : nil
        case .field(let name):
            if let reason = outcome.unseen[name] { return reason }
            if matcher.comparesNumbers, outcome.fields[name] == nil { return "the server gave no \(name) to compare" }
        default: break
        }
        return nil
    }

    private static func holds(_ matcher: Matcher, _ subject: Subject, _ outcome: StepOutcome, target: Target) -> Bool {
        switch matcher {
        case .oneOf(let matchers): return matchers.contains { holds($0, subject, outcome, target: target) }
        case .allOf(let matchers): return matchers.allSatisfy { holds($0, subject, outcome, target: target) }
        case .not(let inner): return !holds(inner, subject, outcome, target: target)
        default: break
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
            return matcher == .equals("issued") ? outcome.tokenAnswer == .issued : outcome.tokenAnswer == .refused
        case .redirect:
            switch matcher {
            case .equals("none"), .absent: return outcome.redirect == nil
            case .equals("registered-only"): return !outcome.redirectedOutsideRegistered
            case .present: return outcome.redirect != nil
            default: return false
            }
        case .endpointURLs:
            return insecureEndpoints(outcome, target: target).isEmpty
        case .header(let name):
            let value = headerValue(name, in: outcome)
            return compare(matcher, value, words: value.map(words))
        case .field("state") where matcher == .equals("echoed"):
            return outcome.sentState != nil && outcome.fields["state"] == outcome.sentState
        case .field("iss") where matcher == .equals("issuer"):
            return outcome.fields["iss"] == target.issuer
        case .field(let name):
            let items = outcome.json?[name]?.arrayOfStrings ?? outcome.fields[name].map(words)
            return compare(matcher, outcome.fields[name], words: items)
        }
    }

    /// `words`: the value as a set, for `contains`, `lacks` and `within` (array items, or the
    /// words of a scope or header value).
    private static func compare(_ matcher: Matcher, _ value: String?, words: [String]?) -> Bool {
        let folded = Set((words ?? []).map(normalised))
        switch matcher {
        case .present: return value.map { !$0.isEmpty } ?? false
        case .absent: return value.map(\.isEmpty) ?? true
        case .equals(let expected): return value == expected
        case .contains(let word): return folded.contains(normalised(word))
        case .lacks(let word): return !folded.contains(normalised(word))
        case .within(let allowed): return folded.isSubset(of: Set(Self.words(allowed).map { $0.lowercased() }))
        case .atMost(let limit): return number(value).map { $0 <= (Double(limit) ?? -.infinity) } ?? false
        case .atLeast(let limit): return number(value).map { $0 >= (Double(limit) ?? .infinity) } ?? false
        case .differsFrom(let other): return value != other
        case .jwt: return value.flatMap(CompactJWT.init) != nil
        case .statusClass, .oneOf, .allOf, .not: return false
        }
    }

    private static func number(_ value: String?) -> Double? { value.flatMap { Double($0) } }

    /// A header's value, or with `NAME.DIRECTIVE` one directive's (`Strict-Transport-Security.max-age`:
    /// directives split by `;`, a quoted value unquoted, RFC 6797 §6.1).
    static func headerValue(_ name: String, in outcome: StepOutcome) -> String? {
        guard let dot = name.firstIndex(of: ".") else { return outcome.header(name) }
        let directive = name[name.index(after: dot)...].lowercased()
        for part in (outcome.header(String(name[..<dot])) ?? "").split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.first?.lowercased() == directive else { continue }
            return pair.count > 1 ? pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) : ""
        }
        return nil
    }

    /// An item compared as a set of words, case aside: `"token id_token"` is `"id_token token"`
    /// (a response type is a set, OAuth 2.0 Multiple Response Types §3).
    private static func normalised(_ item: String) -> String {
        words(item).map { $0.lowercased() }.sorted().joined(separator: " ")
    }

    static func words(_ text: String) -> [String] {
        text.split { $0 == " " || $0 == "," || $0 == "\t" }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Metadata endpoints that are not https. Plain http on a loopback host is exempt only when
    /// the target allows insecure http (a local development server).
    static func insecureEndpoints(_ outcome: StepOutcome, target: Target) -> [String] {
        guard case .object(let document)? = outcome.json else { return [] }
        var urls = document.filter { $0.key.hasSuffix("_endpoint") || $0.key == "jwks_uri" }.compactMap { $0.value.stringValue }
        if case .object(let aliases)? = document["mtls_endpoint_aliases"] { urls += aliases.values.compactMap(\.stringValue) }
        return urls.filter { url in
            guard let parts = URLParts(url) else { return true }
            switch parts.scheme.lowercased() {
            case "https": return false
            case "http": return !(parts.isLoopback && target.allowInsecureHTTP)
            default: return true
            }
        }.sorted()
    }

    /// The observed value of a subject, in words.
    static func actual(_ subject: Subject, _ outcome: StepOutcome, target: Target) -> String {
        switch subject {
        case .status: outcome.status.map { "status \($0)" } ?? "no response"
        case .tokens:
            switch outcome.tokenAnswer {
            case .issued: (outcome.status.map { (200..<300).contains($0) } ?? true) ? "tokens issued" : "tokens issued in a \(outcome.status!) answer"
            case .refused: "a refusal"
            case .neither(let reason): reason
            }
        case .redirect:
            outcome.redirect.map { outcome.redirectedOutsideRegistered ? "the browser was sent to \($0)" : "the browser was sent to the registered URI: \($0)" }
                ?? "the browser stayed on the identity server"
        case .endpointURLs:
            "endpoints not over https: \(insecureEndpoints(outcome, target: target).joined(separator: ", "))"
        case .header(let name): headerValue(name, in: outcome).map { "\(name): \($0)" } ?? "no \(name)"
        case .field(let name): outcome.fields[name].map { "\(name) = \($0)" } ?? "no \(name)"
        }
    }
}
