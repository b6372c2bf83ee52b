/// What one step observed, in terms expectations can judge.
struct StepOutcome: Sendable {
    var status: Int?
    var headers: [HTTPHeader] = []
    /// Parameters of the redirect (authorize) or top-level fields of the JSON body, plus what
    /// the step itself sent that later steps reuse (`redirect_uri`, `code_verifier`).
    var fields: [String: String] = [:]
    /// The response body, when it was JSON.
    var json: JSONValue?
    /// Authorize only: where the server sent the browser when it left the identity server.
    var redirect: String?
    /// Authorize only: the client's registered redirect URI and the state that was sent.
    var registeredRedirectURI: String?
    var sentState: String?
    /// One line saying what happened, for messages (may hold secrets: redact before showing).
    var summary: String

    /// The server failed rather than decided (a 5xx, or `server_error` / `temporarily_unavailable`,
    /// RFC 6749 §4.1.2.1): a refusal and a crash look alike from outside, so no verdict rests on it.
    var serverFailure: String? {
        if let status, status >= 500 { return "the server failed with status \(status)" }
        if let error = fields["error"], ["server_error", "temporarily_unavailable"].contains(error) {
            return "the server answered error=\(error)"
        }
        return nil
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// An access token came back with a success status: the server granted access.
    var tokensIssued: Bool {
        guard let status, (200..<300).contains(status) else { return false }
        return !(fields["access_token"] ?? "").isEmpty
    }

    /// The browser was sent somewhere other than the registered redirect URI. Compared as
    /// written, before the query: `https://client/cb/`, `https://CLIENT/cb` and
    /// `https://client@evil/cb` are all somewhere else.
    var redirectedOutsideRegistered: Bool {
        guard let redirect else { return false }
        guard let registered = registeredRedirectURI.flatMap(URLParts.init), let sent = URLParts(redirect) else { return true }
        guard sent.base == registered.base else { return true }
        // A registered query must be kept as registered (RFC 6749 §3.1.2).
        if let registeredQuery = registered.query, !(sent.query ?? "").hasPrefix(registeredQuery) { return true }
        return false
    }
}
