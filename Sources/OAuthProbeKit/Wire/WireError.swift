/// Why an exchange produced no response, in terms a probe verdict can use.
public enum WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The request took longer than its timeout.
    case timeout
    /// TLS failed: handshake, untrusted certificate, wrong host name, unreadable CA file.
    case tls(String)
    /// No conversation: name not resolved, connection refused or reset, empty reply.
    case connection(String)
    /// An `http://` request that neither the settings nor the request allowed.
    case plaintextRefused(url: String)
    /// Not an absolute `http://` or `https://` URL that libcurl can reach.
    case invalidURL(String)
    /// The answer (headers and body) exceeded `TransportSettings.maxResponseBytes`.
    case responseTooLarge(limit: Int)
    /// The calling task was cancelled while the request was in flight.
    case cancelled
    /// Any other libcurl failure, with its code for diagnosis.
    case other(code: Int, message: String)

    public var description: String {
        switch self {
        case .timeout: "the request timed out"
        case .tls(let message): "TLS failed: \(message)"
        case .connection(let message): "connection failed: \(message)"
        case .plaintextRefused(let url): "refused to send over plain http (allow insecure http to permit it): \(url)"
        case .invalidURL(let url): "invalid URL (need http:// or https://): \(url)"
        case .responseTooLarge(let limit):
            "the answer was larger than \(limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit) bytes"), the most oauthprobe reads of one response: the transfer was stopped"
        case .cancelled: "the request was cancelled"
        case .other(let code, let message): "transfer failed (libcurl error \(code)): \(message)"
        }
    }
}
