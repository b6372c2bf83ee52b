extension Target {
    /// Where credentials may go: the issuer's origin and the origins the target file names itself
    /// (`endpoints`, `resource.url`, sign-in and consent calls). Metadata adds none: a document
    /// the server wrote must not be able to send the harness's secrets to another host.
    public var trustedOrigins: Set<Origin> {
        let named = [issuer] + Array(endpoints.values) + [resourceURL].compactMap { $0 }
        let calls = (login.signIn + login.consent).compactMap { $0.url.fixedURL(issuer: issuer) }
        return Set((named + calls).compactMap(Origin.init))
    }
}

extension Template {
    /// The URL this template starts with, up to at least its authority, when no value can change
    /// scheme, host or port: its leading text, or the issuer when it starts with `{{issuer}}`.
    /// Nil for `https://{{client_id}}/…` or a relative path: such a URL cannot be checked before
    /// it is sent.
    public func fixedURL(issuer: String) -> String? {
        switch pieces.first {
        case .reference(let reference)? where reference.path == ["issuer"] && reference.filters.isEmpty:
            return issuer
        case .text(let text)?:
            guard let parts = URLParts(text), ["http", "https"].contains(parts.scheme.lowercased()) else { return nil }
            // A value right after the text could still extend the host or port.
            let authorityEnds = parts.path.isEmpty && parts.query == nil && parts.fragment == nil ? pieces.count == 1 : true
            return authorityEnds ? text : nil
        default:
            return nil
        }
    }
}
