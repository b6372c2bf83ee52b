/// One cookie of an agent's jar, read from libcurl's Netscape-format line (`domain, subdomains,
/// path, secure, expiry, name, value`, tab-separated), and whether libcurl would send it.
struct JarCookie {
    var domain: String
    var includesSubdomains: Bool
    var path: String
    var secure: Bool
    var name: String

    init?(line: String) {
        var line = Substring(line)
        if line.hasPrefix("#HttpOnly_") { line = line.dropFirst("#HttpOnly_".count) }
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count >= 7, !line.hasPrefix("#") else { return nil }
        domain = fields[0].lowercased().trimmingPrefix(".").description
        includesSubdomains = fields[1] == "TRUE"
        path = String(fields[2])
        secure = fields[3] == "TRUE"
        name = String(fields[5])
    }

    /// RFC 6265 §5.4: the host matches the domain, the path is under the cookie's path, and a
    /// secure cookie goes over https only (or to loopback, which libcurl treats as secure).
    func isSent(to url: URLParts) -> Bool {
        let host = url.host.lowercased()
        guard host == domain || (includesSubdomains && host.hasSuffix("." + domain)) else { return false }
        let requestPath = url.path.isEmpty ? "/" : url.path
        guard requestPath == path || requestPath.hasPrefix(path.hasSuffix("/") ? path : path + "/") else { return false }
        return !secure || url.scheme.lowercased() == "https" || url.isLoopback
    }
}
