import Foundation

/// An HTML page the identity server served the browser during an authorization request (a login,
/// consent or error page), with what its headers say about being framed and about the Referer it
/// lets the browser send on. Pages that take a password or carry a code must not be framed
/// (RFC 9700 §4.16) and must not leak their URL in a Referer (RFC 9700 §4.2.4).
struct SeenPage: Sendable {
    enum Kind: String, Sendable {
        case login, consent, page
    }

    var url: String
    var status: Int
    var kind: Kind
    var frameOptions: String?
    var contentSecurityPolicies: [String]
    var referrerPolicyHeader: String?
    var metaReferrer: String?

    init(url: String, response: HTTPResponse, kind: Kind, metaReferrer: String?) {
        self.url = url
        status = response.status
        self.kind = kind
        frameOptions = response.header("X-Frame-Options")
        contentSecurityPolicies = response.headers(named: "Content-Security-Policy")
        referrerPolicyHeader = response.header("Referrer-Policy")
        self.metaReferrer = metaReferrer
    }

    /// The sources of CSP `frame-ancestors`, if a policy names the directive.
    var frameAncestors: [String]? {
        for policy in contentSecurityPolicies {
            for directive in policy.split(separator: ";") {
                let words = directive.split(whereSeparator: \.isWhitespace).map(String.init)
                if words.first?.lowercased() == "frame-ancestors" { return Array(words.dropFirst()) }
            }
        }
        return nil
    }

    /// Framing is forbidden by CSP `frame-ancestors` (which browsers obey over X-Frame-Options)
    /// when it names no wildcard and no bare scheme, or else by X-Frame-Options DENY or SAMEORIGIN.
    var forbidsFraming: Bool {
        if let sources = frameAncestors {
            return !sources.isEmpty && !sources.contains { $0.contains("*") || $0.hasSuffix(":") }
        }
        let option = frameOptions?.trimmingCharacters(in: .whitespaces).lowercased()
        return option == "deny" || option == "sameorigin"
    }

    /// Policies that never send a page's path and query to another origin.
    static let limitingPolicies: Set<String> = ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin",
                                                "origin", "origin-when-cross-origin"]

    /// The policy in force: a `<meta name="referrer">` overrides the header; of several tokens the
    /// last one the browser knows wins (W3C Referrer Policy §4.1, §11.1).
    var referrerPolicy: String? {
        let known = Self.limitingPolicies.union(["unsafe-url", "no-referrer-when-downgrade"])
        for source in [metaReferrer, referrerPolicyHeader] {
            let tokens = (source ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if let policy = tokens.last(where: known.contains) { return policy }
        }
        return nil
    }

    var limitsReferrer: Bool { referrerPolicy.map(Self.limitingPolicies.contains) ?? false }

    /// What the page shows of both defences, for a message.
    var defences: String {
        let framing = frameAncestors.map { "frame-ancestors \($0.joined(separator: " "))" } ?? frameOptions.map { "X-Frame-Options \($0)" }
        return "\(kind == .page ? "page" : "\(kind.rawValue) page") \(URLParts(url)?.base ?? url) (\(status)): \(framing ?? "no framing rule"), "
            + "Referrer-Policy \(referrerPolicy ?? "none")"
    }
}

extension Array where Element == SeenPage {
    /// Outcome fields for the pages an authorization request showed: `pages` lists their kinds;
    /// `framing` is `forbidden` when every page forbids it; `referrer_policy` is `limited` when
    /// every page limits the Referer. No page, no fields: there was nothing to judge.
    func fields() -> [String: String] {
        guard !isEmpty else { return [:] }
        return ["pages": map(\.kind.rawValue).joined(separator: " "),
                "framing": allSatisfy(\.forbidsFraming) ? "forbidden" : "allowed",
                "referrer_policy": allSatisfy(\.limitsReferrer) ? "limited" : "unlimited"]
    }
}
