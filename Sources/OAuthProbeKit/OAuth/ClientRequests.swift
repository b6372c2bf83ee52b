import Foundation

/// Back-channel requests a client makes, authenticated as its target entry says
/// (RFC 6749 §2.3.1: Basic with form-encoded id and secret, or both in the body).
enum ClientRequests {
    /// A POST of form parameters to the token, revocation or introspection endpoint.
    static func post(to endpoint: String, parameters: [(String, String)], as client: Client) -> HTTPRequest {
        var parameters = parameters
        var headers = [
            HTTPHeader(name: "Content-Type", value: "application/x-www-form-urlencoded"),
            HTTPHeader(name: "Accept", value: "application/json"),
        ]
        switch client.authMethod {
        case .clientSecretBasic where client.secret != nil:
            let pair = "\(FormEncoding.encode(client.clientID)):\(FormEncoding.encode(client.secret!.value))"
            headers.append(HTTPHeader(name: "Authorization", value: "Basic \(Data(pair.utf8).base64EncodedString())"))
        case .clientSecretPost where client.secret != nil:
            parameters += [("client_id", client.clientID), ("client_secret", client.secret!.value)]
        default:
            parameters.append(("client_id", client.clientID))
        }
        return HTTPRequest(method: "POST", url: endpoint, headers: headers, body: Data(FormEncoding.encode(parameters).utf8))
    }

    /// An authorization request URL (RFC 6749 §4.1.1), parameters encoded so the server decodes
    /// exactly the bytes the probe means, odd redirect URIs included.
    static func authorizationURL(endpoint: String, parameters: [(String, String)]) -> String {
        let separator = URLParts(endpoint)?.query == nil ? "?" : "&"
        return endpoint + separator + FormEncoding.encode(parameters)
    }
}
