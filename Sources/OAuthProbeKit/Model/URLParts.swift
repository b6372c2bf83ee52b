import Foundation

/// The parts of an absolute URL exactly as written: no normalisation, no decoding. Probes build
/// deliberately odd URLs (`https://good@evil/cb`, `/a/../cb`, `%2F`) and must compare what the
/// server sent back byte for byte, which Foundation's URL would quietly rewrite.
public struct URLParts: Sendable, Hashable {
    public var scheme: String
    public var userinfo: String?
    public var host: String
    public var port: String?
    public var path: String
    public var query: String?
    public var fragment: String?

    public init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":"), colon > text.startIndex else { return nil }
        let scheme = text[..<colon]
        guard scheme.first!.isLetter,
              scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else { return nil }
        self.scheme = String(scheme)
        var rest = text[text.index(after: colon)...]
        guard rest.hasPrefix("//") else { return nil }
        rest = rest.dropFirst(2)
        let authorityEnd = rest.firstIndex { "/?#".contains($0) } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") {
            userinfo = String(authority[..<at])
            authority = authority[authority.index(after: at)...]
        }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[...close])
            let after = authority[authority.index(after: close)...]
            port = after.hasPrefix(":") ? String(after.dropFirst()) : nil
        } else if let portColon = authority.lastIndex(of: ":") {
            host = String(authority[..<portColon])
            port = String(authority[authority.index(after: portColon)...])
        } else {
            host = String(authority)
        }
        guard !host.isEmpty else { return nil }
        if let hash = rest.firstIndex(of: "#") {
            fragment = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
        }
        if let question = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: question)...])
            rest = rest[..<question]
        }
        path = String(rest)
    }

    /// `host:port` as written, or the host alone.
    public var hostPort: String { port.map { "\(host):\($0)" } ?? host }
    public var authority: String { (userinfo.map { "\($0)@" } ?? "") + hostPort }
    public var origin: String { "\(scheme)://\(hostPort)" }
    /// Everything before the query and fragment.
    public var base: String { "\(scheme)://\(authority)\(path)" }

    /// The port written, else the scheme's default (also for an empty port, `https://idp:/`).
    public var effectivePort: Int? {
        if let port, !port.isEmpty { return Int(port) }
        switch scheme.lowercased() {
        case "https": return 443
        case "http": return 80
        default: return nil
        }
    }

    /// Same origin as a browser judges it: scheme, host (case-insensitive) and port.
    public func isSameOrigin(as other: URLParts) -> Bool {
        scheme.lowercased() == other.scheme.lowercased()
            && host.lowercased() == other.host.lowercased()
            && effectivePort == other.effectivePort
    }

    public var isLoopback: Bool {
        let host = host.lowercased()
        return host == "localhost" || host.hasPrefix("127.") || host == "[::1]"
    }

    /// A loopback IP literal (127.0.0.0/8 or [::1]): the hosts RFC 8252 §7.3 lets vary the port.
    public var isLoopbackIP: Bool {
        host.hasPrefix("127.") || host == "[::1]"
    }

    /// Query and fragment parameters, decoded as a form (`+` is a space), in order. A fragment
    /// that itself holds a query (`#attacker?code=…`, where a server appended its response to a
    /// redirect URI with a fragment) gives that query's parameters too.
    public var parameters: [(name: String, value: String)] {
        var parts = [query, fragment].compactMap { $0 }
        if let fragment, let mark = fragment.firstIndex(of: "?") { parts.append(String(fragment[fragment.index(after: mark)...])) }
        return parts.flatMap(FormEncoding.decode)
    }
}

/// application/x-www-form-urlencoded, as RFC 6749 Appendix B asks for request bodies and queries.
public enum FormEncoding {
    /// Unreserved characters (RFC 3986 §2.3) stay; everything else is percent-encoded, so the
    /// server decodes exactly the bytes a probe means.
    public static func encode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    public static func decode(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (unescape(String(parts[0])), parts.count > 1 ? unescape(String(parts[1])) : "")
        }
    }

    static func unescape(_ text: String) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

