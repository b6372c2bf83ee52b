import Foundation

/// Back-channel requests a client makes, authenticated as its target entry says
/// (RFC 6749 §2.3.1: Basic with form-encoded id and secret, or both in the body).
enum ClientRequests {
    /// A POST of form parameters to the token, revocation or introspection endpoint, with the
    /// client authenticated as registered or, for probes, deliberately otherwise.
    static func post(to endpoint: String, parameters: [(String, String)], as registered: Client,
                     authentication: ClientAuthentication = .registered) -> HTTPRequest {
        var parameters = parameters
        var endpoint = endpoint
        var client = registered
        switch authentication {
        case .registered: break
        case .none: client.authMethod = .none
        case .wrongSecret:
            // A secret of the right shape that is not the client's.
            client.secret = Secret("oauthprobe-wrong-" + Base64URL.randomToken(), origin: nil)
            if client.authMethod == .none { client.authMethod = .clientSecretBasic }
        case .query:
            let credentials = [("client_id", client.clientID)] + (client.secret.map { [("client_secret", $0.value)] } ?? [])
            endpoint = authorizationURL(endpoint: endpoint, parameters: credentials)
            client.authMethod = .none
        }
        var headers = [
            HTTPHeader(name: "Content-Type", value: "application/x-www-form-urlencoded"),
            HTTPHeader(name: "Accept", value: "application/json"),
        ]
        // With `query` the credentials already travel in the URL, and nowhere else.
        if authentication != .query {
            switch client.authMethod {
            case .clientSecretBasic where client.secret != nil:
                headers.append(HTTPHeader(name: "Authorization", value: basicCredentials(client.clientID, client.secret!.value)))
            case .clientSecretPost where client.secret != nil:
                parameters += [("client_id", client.clientID), ("client_secret", client.secret!.value)]
            default:
                parameters.append(("client_id", client.clientID))
            }
        }
        return HTTPRequest(method: "POST", url: endpoint, headers: headers, body: Data(FormEncoding.encode(parameters).utf8))
    }

    /// `Basic base64(id:secret)`, each form-encoded first (RFC 6749 §2.3.1).
    static func basicCredentials(_ clientID: String, _ secret: String) -> String {
        let pair = "\(FormEncoding.encode(clientID)):\(FormEncoding.encode(secret))"
        return "Basic \(Data(pair.utf8).base64EncodedString())"
    }

    /// An authorization request URL (RFC 6749 §4.1.1), parameters encoded so the server decodes
    /// exactly the bytes the probe means, odd redirect URIs included.
    static func authorizationURL(endpoint: String, parameters: [(String, String)]) -> String {
        let separator = URLParts(endpoint)?.query == nil ? "?" : "&"
        return endpoint + separator + FormEncoding.encode(parameters)
    }
}
