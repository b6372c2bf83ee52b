import Foundation

/// Where the server sent the browser when it sent it off the identity server. Only the redirect
/// URI that was sent (or the registered one), or a place carrying this request's own response,
/// received an authorization response: a federated sign-in (Keycloak brokering, Auth0
/// connections, Entra federation) sends the browser to another identity provider with a
/// `state` of its own, and an operator may send errors to an error page of its own on another
/// origin (Ory Hydra's `urls.error`).
enum Destination: Equatable {
    /// The client: the redirect URI sent or registered, or a place given this request's code,
    /// tokens or state.
    case client
    /// An authorization or sign-in request to another identity provider.
    case upstreamSignIn
    /// An error page of the operator's, on an origin of neither redirect URI.
    case operatorErrorPage
    /// None of these, and no authorization response: it decides nothing.
    case unknown

    init(_ destination: String, parameters: [(name: String, value: String)], sent: String, registered: String?, sentState: String?) {
        let parts = URLParts(destination)
        let clients = [sent, registered].compactMap { $0.flatMap(URLParts.init) }
        let names = Set(parameters.map(\.name))
        if clients.contains(where: { $0.base == parts?.base }) {
            self = .client
        } else if !names.isDisjoint(with: ["code", "access_token", "id_token"])
                    || (sentState != nil && parameters.contains { $0.name == "state" && $0.value == sentState }) {
            self = .client
        } else if Self.isSignInRequest(parameters) {
            self = .upstreamSignIn
        } else if names.contains("error") {
            // An error at an origin of the redirect URIs' (another path of the attacker's host)
            // still reaches the attacker.
            self = clients.contains { $0.origin.lowercased() == parts?.origin.lowercased() } ? .client : .operatorErrorPage
        } else {
            self = .unknown
        }
    }

    /// An OAuth or OpenID Connect authorization request (`client_id` with `response_type` or
    /// `redirect_uri`), a SAML AuthnRequest, or a WS-Federation sign-in.
    static func isSignInRequest(_ parameters: [(name: String, value: String)]) -> Bool {
        let names = Set(parameters.map(\.name))
        if names.contains("client_id"), !names.isDisjoint(with: ["response_type", "redirect_uri"]) { return true }
        if names.contains("SAMLRequest") { return true }
        return parameters.contains { $0.name == "wa" && $0.value == "wsignin1.0" }
    }
}
