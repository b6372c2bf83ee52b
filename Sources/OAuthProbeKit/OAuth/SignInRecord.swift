import Foundation

/// What the run's sign-in showed of the server: how it answered the user's credentials, and the
/// cookies it set in that answer. Kept by the target's session, since a run signs in once.
struct SignInRecord: Sendable {
    /// Where the credentials went.
    var url: String
    /// The answer to the request that carried them (the login form's POST, or the last declared
    /// sign-in call).
    var status: Int
    var location: String?
    /// Cookies set by the answers to the credentials.
    var cookies: [SetCookie]

    /// The cookies that carry the signed-in session: the one the target names, or else those
    /// set with the credentials' answer but CSRF tokens (double-submit tokens that page scripts
    /// read by design, so HttpOnly is not asked of them).
    func sessionCookies(named name: String?) -> [SetCookie] {
        if let name { return cookies.filter { $0.name == name } }
        return cookies.filter { cookie in
            let lower = cookie.name.lowercased()
            return !lower.contains("csrf") && !lower.contains("xsrf")
        }
    }

    /// The fields `fields(sessionCookieName:)` gives.
    static let fieldNames = ["session_cookie", "session_cookie_secure", "session_cookie_httponly", "session_cookie_samesite"]

    /// Outcome fields for `pages.session-cookie-flags`: each flag as the weakest of the session
    /// cookies has it. `Secure` is not applicable to a session over plain http.
    func fields(sessionCookieName: String?) -> [String: String] {
        let session = sessionCookies(named: sessionCookieName)
        guard !session.isEmpty else { return [:] }
        let overHTTPS = URLParts(url)?.scheme.lowercased() == "https"
        let sameSite = session.map { $0.sameSite?.lowercased() ?? "absent" }
        let weakest = ["none", "absent"].first(where: sameSite.contains) ?? sameSite.first { $0 == "lax" } ?? sameSite[0]
        return [
            "session_cookie": session.map(\.name).joined(separator: " "),
            "session_cookie_secure": overHTTPS ? String(session.allSatisfy(\.secure)) : "not-applicable",
            "session_cookie_httponly": String(session.allSatisfy(\.httpOnly)),
            "session_cookie_samesite": weakest,
        ]
    }

    /// One line, with cookie names and attributes but never a value.
    var summary: String {
        let cookieText = cookies.isEmpty ? "no cookie" : cookies.map(\.description).joined(separator: "; ")
        return "the sign-in's credentials were answered \(status)\(location.map { " (Location \(URLParts($0)?.base ?? $0))" } ?? ""), setting \(cookieText)"
    }
}

/// A `Set-Cookie` header's name and attributes (RFC 6265 §5.2); the value is never kept.
struct SetCookie: Sendable, CustomStringConvertible {
    var name: String
    var secure = false
    var httpOnly = false
    var sameSite: String?

    init?(header: String) {
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { return nil }
        name = pair[..<equals].trimmingCharacters(in: .whitespaces)
        // A cookie set empty or expiring now is being deleted, not set.
        guard !name.isEmpty, !pair[pair.index(after: equals)...].trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        for attribute in parts.dropFirst() {
            let key = attribute.split(separator: "=", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            let value = attribute.split(separator: "=", maxSplits: 1).dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) }
            switch key {
            case "max-age" where (value.flatMap { Int($0) } ?? 1) <= 0: return nil
            case "secure": secure = true
            case "httponly": httpOnly = true
            case "samesite": sameSite = value
            default: break
            }
        }
    }

    var description: String {
        ([name] + (secure ? ["Secure"] : []) + (httpOnly ? ["HttpOnly"] : []) + (sameSite.map { ["SameSite=\($0)"] } ?? [])).joined(separator: " ")
    }
}
