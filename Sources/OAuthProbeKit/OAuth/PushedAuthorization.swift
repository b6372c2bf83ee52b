import Foundation

/// Pushed authorization requests (RFC 9126): the client posts the authorization parameters to the
/// PAR endpoint in the back channel, authenticated as at the token endpoint, and gets a
/// `request_uri`; the browser then carries `client_id` and that `request_uri` alone.
enum PushedAuthorization {
    /// Whether the metadata says every authorization request must be pushed (RFC 9126 §5).
    static func required(by metadata: Metadata?) -> Bool {
        metadata?["require_pushed_authorization_requests"] == .bool(true)
    }

    /// The push (RFC 9126 §2.1): the authorization parameters as a form. `client_id` goes once:
    /// `ClientRequests` adds it to the body for every method but Basic, where the form keeps the
    /// one the authorization request names.
    static func request(to endpoint: String, parameters: [(String, String)], as client: Client,
                        authentication: ClientAuthentication) -> HTTPRequest {
        let request = ClientRequests.post(to: endpoint, parameters: parameters.filter { $0.0 != "client_id" }, as: client,
                                          authentication: authentication)
        let basic = request.headers.contains { $0.name == "Authorization" && $0.value.hasPrefix("Basic ") }
        guard basic else { return request }
        var withClientID = request
        withClientID.body = Data(FormEncoding.encode(parameters).utf8)
        return withClientID
    }

    /// The authorization request that presents a pushed one (RFC 9126 §4).
    static func browserParameters(clientID: String, requestURI: String) -> [(String, String)] {
        [("client_id", clientID), ("request_uri", requestURI)]
    }

    /// The push's answer as an outcome: a `request_uri` (RFC 9126 §2.2: 201 with `request_uri`
    /// and `expires_in`), or a refusal in the token endpoint's terms (§2.3); anything else settles
    /// nothing. It also keeps what was pushed, for the authorize step that presents the request_uri.
    static func outcome(of response: HTTPResponse, sent: Sent) -> StepOutcome {
        var outcome = ProbeExecution.outcome(of: response)
        let issued = (200..<300).contains(response.status) && !(outcome.fields["request_uri"] ?? "").isEmpty
        outcome.summary = issued
            ? "the PAR endpoint answered \(response.status) with a request_uri\(outcome.fields["expires_in"].map { " (expires_in \($0))" } ?? "")"
            : outcome.summary.replacingOccurrences(of: "the server answered", with: "the PAR endpoint answered")
        if !issued, outcome.tokenAnswer != .refused {
            outcome.undecided = "the PAR endpoint answered \(response.status) with neither a request_uri nor an error (RFC 9126 §2.2, §2.3)"
        }
        sent.record(in: &outcome)
        if issued, let lifetime = outcome.fields["expires_in"].flatMap(Int.init) {
            outcome.requestURIExpiry = outcome.answeredAt + .seconds(lifetime)
        }
        return outcome
    }

    /// What an authorization request carried, which a later step presenting its request_uri reuses.
    struct Sent {
        var state: String
        var nonce: String?
        var codeVerifier: String?
        var redirectURI: String
        var scope: String?

        func record(in outcome: inout StepOutcome) {
            outcome.sentState = state
            outcome.fields["redirect_uri"] = redirectURI
            if let scope { outcome.fields["requested_scope"] = scope }
            if let nonce { outcome.fields["nonce"] = nonce }
            if let codeVerifier { outcome.fields["code_verifier"] = codeVerifier }
        }

        /// What an earlier step pushed, found by the request_uri it got.
        init?(pushed outcome: StepOutcome) {
            guard let state = outcome.sentState, let redirectURI = outcome.fields["redirect_uri"] else { return nil }
            self.init(state: state, nonce: outcome.fields["nonce"], codeVerifier: outcome.fields["code_verifier"],
                      redirectURI: redirectURI, scope: outcome.fields["requested_scope"])
        }

        init(state: String, nonce: String?, codeVerifier: String?, redirectURI: String, scope: String?) {
            self.state = state
            self.nonce = nonce
            self.codeVerifier = codeVerifier
            self.redirectURI = redirectURI
            self.scope = scope
        }
    }

    /// An authorize step whose push was refused (or answered oddly): the browser was never sent.
    static func notSent(_ push: StepOutcome) -> StepOutcome {
        var outcome = push
        outcome.summary = "\(push.summary), so the browser was not sent"
        outcome.fields["response_kind"] = "none"
        return outcome
    }

    /// The outcome of an earlier step that got this request_uri, if any.
    static func pushingStep(of requestURI: String, in outcomes: [String: StepOutcome]) -> StepOutcome? {
        outcomes.values.first { $0.fields["request_uri"] == requestURI }
    }
}
