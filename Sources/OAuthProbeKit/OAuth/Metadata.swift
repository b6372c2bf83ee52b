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
    public let trustedOrigins: Set<Origin>

    public init(target: Target, metadata: Metadata?) {
        self.target = target
        self.metadata = metadata
        self.trustedOrigins = target.trustedOrigins
    }

    public func url(_ kind: EndpointKind) -> String? {
        if kind == .resource { return target.resourceURL }
        return target.endpoints[kind.rawValue] ?? metadata?[kind.metadataKey]?.stringValue
    }

    /// The origin of an endpoint that only metadata names, when it is not one the target trusts.
    public func untrustedOrigin(of kind: EndpointKind) -> Origin? {
        guard kind != .resource, target.endpoints[kind.rawValue] == nil,
              let url = metadata?[kind.metadataKey]?.stringValue, let origin = Origin(url),
              !trustedOrigins.contains(origin) else { return nil }
        return origin
    }

    /// Why a probe that needs these endpoints can have no verdict on this target, if metadata puts
    /// one of them on another origin: its answers would decide the verdict, and credentials would
    /// go there.
    public func untrustedRefusal(for kinds: [EndpointKind]) -> String? {
        let offsite = kinds.compactMap { kind in untrustedOrigin(of: kind).map { (kind: kind, origin: $0) } }
        guard let origin = offsite.first?.origin else { return nil }
        let names = offsite.filter { $0.origin == origin }.map { "\($0.kind.rawValue) endpoint" }.joined(separator: " and ")
        return "metadata puts the \(names) on another origin, \(origin), neither the issuer's nor one the target file names: "
            + "oauthprobe sends it no credential and decides nothing on its answers (if that server is yours, name it under endpoints: in the target file)"
    }
}
