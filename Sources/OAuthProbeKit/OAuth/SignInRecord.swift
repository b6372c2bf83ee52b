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
    /// Cookies set by the answer to the credentials and by every hop after it in that flow,
    /// the latest of each name.
    var cookies: [SetCookie]
    /// The candidates whose absence was seen to sign the user out, when the run tested them
    /// (`SessionCookieTest`): the session cookies, as opposed to cookies set beside them for
    /// scripts (Keycloak's `KEYCLOAK_SESSION`, Duende's `idsrv.session`).
    var signingOut: [String]?

    mutating func add(_ set: [SetCookie]) {
        for cookie in set {
            cookies.removeAll { $0.name == cookie.name }
            cookies.append(cookie)
        }
    }

    /// Cookies that may carry the session: every one but CSRF tokens (double-submit tokens that
    /// page scripts read by design, so HttpOnly is not asked of them).
    var candidates: [SetCookie] {
        cookies.filter { cookie in
            let lower = cookie.name.lowercased()
            return !lower.contains("csrf") && !lower.contains("xsrf")
        }
    }

    /// The cookies that carry the signed-in session: the one the target names; else the
    /// candidates seen to sign the user out when missing; else every candidate.
    func sessionCookies(named name: String?) -> [SetCookie] {
        if let name { return cookies.filter { $0.name == name } }
        if let signingOut, !signingOut.isEmpty { return candidates.filter { signingOut.contains($0.name) } }
        return candidates
    }

    /// The session cookie's fields `fields(sessionCookieName:)` gives.
    static let fieldNames = ["session_cookie", "session_cookie_secure", "session_cookie_httponly", "session_cookie_samesite"]
    /// Every field a `sign_in` step gives.
    static let subjects = fieldNames + ["credentials_resent_to"]

    /// Where a browser would send the credentials again: 307 and 308 repeat the POST with its
    /// body (RFC 9110 §15.4.8). To the identity server's own origin that reveals nothing
    /// (RFC 9700 §4.12 is about the client's); anywhere else the password leaves the server.
    var credentialsResentTo: String {
        guard [307, 308].contains(status) else { return "nowhere" }
        let destination = location.map { URLReference.resolve($0, against: url) }
        return destination.flatMap(Origin.init) == Origin(url) ? "identity-server" : "elsewhere"
    }

    /// Outcome fields for `pages.session-cookie-flags`: each flag as the weakest of the session
    /// cookies has it. `Secure` is not applicable to a session over plain http.
    func fields(sessionCookieName: String?) -> [String: String] {
        let session = sessionCookies(named: sessionCookieName)
        guard !session.isEmpty else { return ["credentials_resent_to": credentialsResentTo] }
        let overHTTPS = URLParts(url)?.scheme.lowercased() == "https"
        let sameSite = session.map { $0.sameSite?.lowercased() ?? "absent" }
        let weakest = ["none", "absent"].first(where: sameSite.contains) ?? sameSite.first { $0 == "lax" } ?? sameSite[0]
        return [
            "session_cookie": session.map(\.name).joined(separator: " "),
            "session_cookie_secure": overHTTPS ? String(session.allSatisfy(\.secure)) : "not-applicable",
            "session_cookie_httponly": String(session.allSatisfy(\.httpOnly)),
            "session_cookie_samesite": weakest,
            "credentials_resent_to": credentialsResentTo,
        ]
    }

    /// One line, with cookie names and attributes but never a value.
    var summary: String {
        let cookieText = cookies.isEmpty ? "no cookie" : cookies.map(\.description).joined(separator: "; ")
        let tried = signingOut.map { "; without \($0.isEmpty ? "any one of them alone" : $0.joined(separator: ", ")) the user was signed out" } ?? ""
        return "the sign-in's credentials were answered \(status)\(location.map { " (Location \(URLParts($0)?.base ?? $0))" } ?? ""), setting \(cookieText)\(tried)"
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
