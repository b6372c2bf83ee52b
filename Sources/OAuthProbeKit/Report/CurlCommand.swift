import Foundation

/// A recorded exchange as a curl command a person can paste to reproduce it. Secrets from the
/// target file appear as their origin (`${env:WEB_SECRET}`), session cookies as `${cookie:NAME}`,
/// to be replaced by hand; codes and tokens stay fingerprints, and `replay` says, as shell
/// comments under the command, where to get a fresh value for each (they were single-use or
/// short-lived anyway).
enum CurlCommand {
    static func of(_ exchange: RecordedExchange) -> String {
        func placeholders(_ text: String) -> String {
            exchange.placeholders.reduce(text) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
        }
        let authentication = exchange.clientAuthentication
        let basic = authentication?.method == "client_secret_basic"
        var parts = ["curl", "-i", "--path-as-is"]
        // The same private CA the run trusted; verification stays on.
        if let caFile = exchange.caFile { parts += ["--cacert", quoted(ReportText.relativePath(caFile))] }
        let hasBody = exchange.requestBody != nil
        if !(exchange.method == "GET" && !hasBody) && !(exchange.method == "POST" && hasBody) {
            parts += ["-X", quoted(exchange.method)]
        }
        if basic, let authentication {
            parts += ["-u", quoted("\(authentication.clientID):\(authentication.secretOrigin ?? "‹inline secret›")")]
        }
        for header in exchange.requestHeaders {
            let name = header.prefix { $0 != ":" }.lowercased()
            if basic && name == "authorization" { continue }
            // curl sets these itself from the URL and the body.
            if name == "host" || name == "content-length" { continue }
            parts += ["-H", quoted(name == "cookie" ? cookiePlaceholders(placeholders(header)) : placeholders(header))]
        }
        if let body = exchange.requestBody { parts += ["--data-raw", quoted(placeholders(body))] }
        parts.append(quoted(placeholders(exchange.url)))
        return parts.joined(separator: " ")
    }

    /// The command for the last exchange, then a `#` line for each value a person must fetch
    /// anew: each session cookie, and each fingerprinted code or token, with the earlier step
    /// whose response handed it out.
    static func replay(_ exchange: RecordedExchange, after earlier: [RecordedExchange]) -> String {
        let command = of(exchange)
        var notes: [String] = []
        for match in command.matches(of: #/\$\{cookie:([^}]+)\}/#) {
            let name = String(match.1)
            let setter = earlier.last { $0.responseHeaders.contains { $0.lowercased().hasPrefix("set-cookie: \(name.lowercased())=") } }
            let origin = setter.map { "set by step '\($0.step)' (Set-Cookie)" } ?? "held by the harness's browser"
            notes.append("# ${cookie:\(name)}: the cookie '\(name)', \(origin); sign in as the probe user in a browser and copy its value")
        }
        var seen = Set<String>()
        for match in command.matches(of: #/‹sha256:[0-9a-f]+›/#) where seen.insert(String(match.output)).inserted {
            notes.append("# \(match.output): " + provenance(of: String(match.output), in: command, earlier: earlier))
        }
        return ([command] + notes).joined(separator: "\n")
    }

    /// Where a fingerprinted value came from, and how to get a fresh one.
    private static func provenance(of fingerprint: String, in command: String, earlier: [RecordedExchange]) -> String {
        let value = NSRegularExpression.escapedPattern(for: fingerprint)
        for exchange in earlier.reversed() {
            for header in exchange.responseHeaders where header.lowercased().hasPrefix("location:") {
                if let name = field(#"[?&#]([A-Za-z_]+)="# + value, in: header) {
                    return "the \(name) in the redirect (Location) of step '\(exchange.step)': repeat that step for a fresh one (codes are single-use and short-lived)"
                }
            }
            if let body = exchange.responseBody, let name = field(#""([A-Za-z_]+)"\s*:\s*""# + value, in: body) {
                return "the \(name) from the response of step '\(exchange.step)': repeat that step for a fresh one"
            }
        }
        let name = field(#"([A-Za-z_]+)[=:] ?(?:Bearer )?"# + value, in: command) ?? "value"
        return "a \(name) the harness made for this run and did not keep: use one from your own run of the flow"
    }

    private static func field(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }

    /// `Cookie: a=‹sha256:…›` → `Cookie: a=${cookie:a}`; a cookie from the target file keeps its `${env:…}`.
    private static func cookiePlaceholders(_ header: String) -> String {
        guard let colon = header.firstIndex(of: ":") else { return header }
        let pairs = header[header.index(after: colon)...].split(separator: ";").map { pair -> String in
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[1].hasPrefix("‹sha256:") else { return pair.trimmingCharacters(in: .whitespaces) }
            return "\(parts[0])=${cookie:\(parts[0])}"
        }
        return "\(header[..<colon]): \(pairs.joined(separator: "; "))"
    }

    /// Single quotes: the shell expands nothing inside, so `${env:NAME}` and `&` stay as written.
    private static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
