import Foundation

/// Fetches an issuer's metadata for `oauthprobe init`: OpenID Connect Discovery first, then
/// RFC 8414's URLs, saying for each URL tried why it was not used.
public enum IssuerDiscovery {
    public struct Failure: Error, CustomStringConvertible {
        /// `URL: why` for every URL tried.
        public var attempts: [String]
        public var description: String { "no metadata found:\n" + attempts.map { "  \($0)" }.joined(separator: "\n") }
    }

    public static func fetch(issuer: String, settings: TransportSettings) async throws(Failure) -> Metadata {
        let agent: HTTPAgent
        do {
            agent = try HTTPAgent(settings: settings)
        } catch {
            throw Failure(attempts: ["\(issuer): \(error)"])
        }
        var attempts: [String] = []
        for url in Metadata.candidateURLs(issuer: issuer) {
            let request = HTTPRequest(method: "GET", url: url, headers: [HTTPHeader(name: "Accept", value: "application/json")])
            do {
                let response = try await agent.send(request)
                guard response.status == 200 else {
                    attempts.append("\(url): status \(response.status)")
                    continue
                }
                guard let document = JSONValue.parse(response.body), case .object = document else {
                    attempts.append("\(url): not a JSON object")
                    continue
                }
                guard document["authorization_endpoint"] != nil || document["token_endpoint"] != nil else {
                    attempts.append("\(url): no authorization_endpoint or token_endpoint")
                    continue
                }
                return Metadata(url: url, document: document)
            } catch {
                attempts.append("\(url): \(error)")
            }
        }
        throw Failure(attempts: attempts)
    }
}
