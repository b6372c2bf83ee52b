/// Resolves a `Location` header or form `action` against the page it came from (RFC 3986 §5.2),
/// keeping the reference's bytes as the server wrote them.
enum URLReference {
    static func resolve(_ reference: String, against base: String) -> String {
        if URLParts(reference) != nil { return reference }
        guard let parts = URLParts(base) else { return reference }
        if reference.hasPrefix("//") { return "\(parts.scheme):\(reference)" }
        if reference.hasPrefix("/") { return "\(parts.scheme)://\(parts.authority)\(reference)" }
        if reference.isEmpty { return base.split(separator: "#", maxSplits: 1).first.map(String.init) ?? base }
        if reference.hasPrefix("?") { return "\(parts.base)\(reference)" }
        if reference.hasPrefix("#") { return "\(parts.base)\(parts.query.map { "?\($0)" } ?? "")\(reference)" }
        let directory = parts.path.lastIndex(of: "/").map { String(parts.path[...$0]) } ?? "/"
        return "\(parts.scheme)://\(parts.authority)\(directory)\(reference)"
    }
}
