/// Scheme, host and port, compared as browsers compare origins: the host case-insensitively,
/// the port as the scheme's default when none is written. Credentials go only to origins the
/// target trusts (`Target.trustedOrigins`).
public struct Origin: Sendable, Hashable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int

    public init?(_ parts: URLParts) {
        guard let port = parts.effectivePort else { return nil }
        scheme = parts.scheme.lowercased()
        host = parts.host.lowercased()
        self.port = port
    }

    public init?(_ url: String) {
        guard let parts = URLParts(url) else { return nil }
        self.init(parts)
    }

    /// `https://idp.example.com`, with the port only when it is not the scheme's default.
    public var description: String {
        let isDefault = (scheme == "https" && port == 443) || (scheme == "http" && port == 80)
        return isDefault ? "\(scheme)://\(host)" : "\(scheme)://\(host):\(port)"
    }
}
