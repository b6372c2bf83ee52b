import Foundation

/// What one step observed, in terms expectations can judge.
struct StepOutcome: Sendable {
    var status: Int?
    var headers: [HTTPHeader] = []
    /// Parameters of the redirect (authorize) or top-level fields of the JSON body, plus what
    /// the step itself sent that later steps reuse (`redirect_uri`, `code_verifier`).
    var fields: [String: String] = [:]
    /// The response body, when it was JSON.
    var json: JSONValue?
    /// Bytes in the response body: an empty refusal differs from a page.
    var bodyLength = 0
    /// Authorize only: where the server sent the browser when it left the identity server.
    var redirect: String?
    /// Authorize only: the client's registered redirect URI, the one sent, and the state that was sent.
    var registeredRedirectURI: String?
    var sentRedirectURI: String?
    var sentState: String?
    /// One line saying what happened, for messages (may hold secrets: redact before showing).
    var summary: String
    /// Why no verdict can rest on this answer: it is neither what the practice asks for nor a
    /// refusal (a 200 without tokens, a page that is neither an error nor a redirect, a sign-in
    /// page on another origin). The probe ends with `error`.
    var undecided: String?
    /// Authorize only: the browser stayed on a page that is a refusal only if a control of the
    /// same probe succeeded before it (a 200 error page); why, for when none did.
    var refusalNeedsControl: String?
    /// Why the granted scope cannot be judged: the response omits `scope` and neither the token
    /// nor introspection shows it. Only expectations on `scope` are then undecided.
    var scopeUnseen: String?
    /// Fields the step could not observe at all, with why: expectations on them are undecided.
    var unseen: [String: String] = [:]
    /// The step answered `server_error` exactly as on the attempt before, alone and after a
    /// control succeeded: a refusal in the wrong words, judged as a refusal.
    var serverErrorTakenAsRefusal = false
    /// The DPoP proof the step sent (RFC 9449 §4), so a later step can replay it. A credential.
    var dpopProof: String?

    /// The server failed rather than decided (a 5xx, or `server_error` / `temporarily_unavailable`,
    /// RFC 6749 §4.1.2.1): a refusal and a crash look alike from outside, so no verdict rests on it.
    var serverFailure: String? {
        guard !serverErrorTakenAsRefusal else { return nil }
        if let status, status >= 500 { return "the server failed with status \(status)" }
        // A rate limit that outlasted the resends Retry-After asked for: a later attempt, alone, may pass it.
        if status == 429 { return "the server kept answering 429 Too Many Requests" }
        if let error = fields["error"], ["server_error", "temporarily_unavailable"].contains(error) {
            return "the server answered error=\(error)"
        }
        return nil
    }

    /// Status and OAuth error together (`400 invalid_grant`): what identifies an answer when
    /// two attempts must be compared.
    var answer: String { "\(status.map(String.init) ?? "no response") \(fields["error"] ?? "-")" }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The answer carries an access token, whatever its status: a token in a 400 is still a token.
    var tokensIssued: Bool { !(fields["access_token"] ?? "").isEmpty }

    /// How a token request was answered.
    enum TokenAnswer: Equatable {
        case issued
        /// An error answer as RFC 6749 §5.2 defines it: a 4xx with a JSON `error` (or, as some
        /// servers answer, a bare 400, 401 or 403 with no body at all).
        case refused
        /// Neither: no verdict may rest on it.
        case neither(String)
    }

    /// Statuses that say nothing about the request's content: the endpoint is elsewhere, the
    /// method or media type is wrong, or the server asks the client to slow down.
    static let inconclusiveStatuses: Set<Int> = [404, 405, 406, 407, 408, 411, 413, 414, 415, 429, 431]

    var tokenAnswer: TokenAnswer {
        if tokensIssued { return .issued }
        if serverErrorTakenAsRefusal { return .refused }
        guard let status else { return .neither("nothing answered") }
        guard (400..<500).contains(status), !Self.inconclusiveStatuses.contains(status) else {
            return .neither("the server answered \(status) without an access token and without refusing (RFC 6749 §5.2 refuses with a 4xx error)")
        }
        if fields["error"] != nil, case .object? = json { return .refused }
        if bodyLength == 0, [400, 401, 403].contains(status) { return .refused }
        return .neither("the server answered \(status) without the JSON error of RFC 6749 §5.2, so it is no clear refusal")
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
        return carriesWhatWasAdded(to: registered, arriving: sent)
    }

    /// The redirect URI sent bent the registered one by adding a query parameter or a fragment,
    /// and the place the browser was sent keeps it: it went to the bent URI, not the registered.
    private func carriesWhatWasAdded(to registered: URLParts, arriving destination: URLParts) -> Bool {
        guard let bent = sentRedirectURI.flatMap(URLParts.init), bent.base == registered.base else { return false }
        let names = { (query: String?) in Set(FormEncoding.decode(query ?? "").map(\.name)) }
        let added = names(bent.query).subtracting(names(registered.query))
        if !added.isDisjoint(with: names(destination.query)) { return true }
        if let fragment = bent.fragment, !fragment.isEmpty, registered.fragment == nil, destination.fragment?.hasPrefix(fragment) == true {
            return true
        }
        return false
    }
}
