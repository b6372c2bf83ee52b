import Foundation

/// The server's metadata document (OpenID Connect Discovery 1.0 §3, RFC 8414 §2), with the
/// target file's endpoints laid over it.
public struct Metadata: Sendable {
    /// Where the document was found, for evidence.
    public var url: String
    public var document: JSONValue

    public init(url: String, document: JSONValue) {
        self.url = url
        self.document = document
    }

    public subscript(key: String) -> JSONValue? { document[key] }

    /// The URLs metadata may live at for an issuer, in the order tried: OpenID Connect's,
    /// then RFC 8414's inserted form, then the suffix form some servers use.
    public static func candidateURLs(issuer: String) -> [String] {
        let trimmed = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        var urls = ["\(trimmed)/.well-known/openid-configuration"]
        if let parts = URLParts(trimmed), !parts.path.isEmpty, parts.path != "/" {
            urls.append("\(parts.origin)/.well-known/oauth-authorization-server\(parts.path)")
        }
        urls.append("\(trimmed)/.well-known/oauth-authorization-server")
        return urls
    }
}

/// Every endpoint of a target: its file's `endpoints` first, then metadata, then `resource.url`.
public struct EndpointMap: Sendable {
    public var target: Target
    public var metadata: Metadata?

    public init(target: Target, metadata: Metadata?) {
        self.target = target
        self.metadata = metadata
    }

    public func url(_ kind: EndpointKind) -> String? {
        if kind == .resource { return target.resourceURL }
        return target.endpoints[kind.rawValue] ?? metadata?[kind.metadataKey]?.stringValue
    }
}
