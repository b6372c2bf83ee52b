/// A recorded exchange as a curl command a person can paste to reproduce it. Secrets from the
/// target file appear as their origin (`${env:WEB_SECRET}`), to be replaced by hand; codes and
/// tokens stay fingerprints (they were single-use or short-lived anyway).
enum CurlCommand {
    static func of(_ exchange: RecordedExchange) -> String {
        func placeholders(_ text: String) -> String {
            exchange.placeholders.reduce(text) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
        }
        let authentication = exchange.clientAuthentication
        let basic = authentication?.method == "client_secret_basic"
        var parts = ["curl", "-i", "--path-as-is"]
        let hasBody = exchange.requestBody != nil
        if !(exchange.method == "GET" && !hasBody) && !(exchange.method == "POST" && hasBody) {
            parts += ["-X", quoted(exchange.method)]
        }
        if basic, let authentication {
            parts += ["-u", quoted("\(authentication.clientID):\(authentication.secretOrigin ?? "‹inline secret›")")]
        }
        for header in exchange.requestHeaders {
            if basic && header.lowercased().hasPrefix("authorization:") { continue }
            parts += ["-H", quoted(placeholders(header))]
        }
        if let body = exchange.requestBody { parts += ["--data-raw", quoted(placeholders(body))] }
        parts.append(quoted(placeholders(exchange.url)))
        return parts.joined(separator: " ")
    }

    /// Single quotes: the shell expands nothing inside, so `${env:NAME}` and `&` stay as written.
    private static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
