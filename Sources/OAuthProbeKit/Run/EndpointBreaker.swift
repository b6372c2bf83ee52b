import Foundation

/// Gives up on an endpoint of a target that keeps failing: after `threshold` consecutive
/// timeouts, transport failures or 5xx answers at one endpoint (its URL without query), nothing
/// more is sent there for the rest of the run, so a server that answers a byte every few seconds
/// or fails every request holds a run for a few timeouts, not a timeout per probe and retry.
/// Any other answer from the endpoint before that starts the count again.
public final class EndpointBreaker: @unchecked Sendable {
    /// Consecutive failures at one endpoint that make the run give up on it.
    public static let threshold = 3

    /// One way a request can fail, in words that can be counted ("3 consecutive timeouts").
    enum Failure: Hashable, Sendable {
        case timeout
        case transport
        case tooLarge
        case status(Int)

        init?(_ error: WireError) {
            switch error {
            case .timeout: self = .timeout
            case .responseTooLarge: self = .tooLarge
            case .connection, .tls, .other: self = .transport
            // Refused before sending, or stopped by the run: nothing the endpoint did.
            case .plaintextRefused, .invalidURL, .cancelled: return nil
            }
        }

        var name: String {
            switch self {
            case .timeout: "timeout"
            case .transport: "transport failure"
            case .tooLarge: "answer too large"
            case .status(let status): "status \(status)"
            }
        }

        var plural: String {
            switch self {
            case .timeout: "timeouts"
            case .transport: "transport failures"
            case .tooLarge: "answers larger than oauthprobe reads"
            case .status(let status): "answers with status \(status)"
            }
        }
    }

    private let lock = NSLock()
    private var streaks: [String: [Failure]] = [:]
    /// Endpoints given up on, with why, in the order it happened.
    private var givenUp: [(endpoint: String, reason: String)] = []

    /// The endpoint a URL belongs to: the URL without its query and fragment.
    static func endpoint(of url: String) -> String {
        URLParts(url)?.base ?? String(url.prefix { $0 != "?" && $0 != "#" })
    }

    /// Why nothing more goes to the endpoint of `url`, or nil while it is still used.
    func refusal(for url: String) -> String? {
        let endpoint = Self.endpoint(of: url)
        return lock.withLock { givenUp.first { $0.endpoint == endpoint }?.reason }
    }

    /// Why the first of these URLs' endpoints that was given up on was, if any was.
    func refusal(forAny urls: [String]) -> String? {
        urls.lazy.compactMap(refusal).first
    }

    func recordFailure(_ failure: Failure, at url: String) {
        let endpoint = Self.endpoint(of: url)
        lock.withLock {
            guard !givenUp.contains(where: { $0.endpoint == endpoint }) else { return }
            streaks[endpoint, default: []].append(failure)
            guard let streak = streaks[endpoint], streak.count >= Self.threshold else { return }
            givenUp.append((endpoint, "\(Self.describe(streak)) at \(endpoint): the run sends nothing more there"))
        }
    }

    /// An answer: a 5xx counts as a failure, any other ends the endpoint's streak.
    func record(status: Int, at url: String) {
        if status >= 500 { return recordFailure(.status(status), at: url) }
        let endpoint = Self.endpoint(of: url)
        lock.withLock { _ = streaks.removeValue(forKey: endpoint) }
    }

    /// Each endpoint given up on, with why.
    var reasons: [String] { lock.withLock { givenUp.map(\.reason) } }

    /// "3 consecutive timeouts", or "3 consecutive failures (timeout, status 500, timeout)".
    static func describe(_ streak: [Failure]) -> String {
        if Set(streak).count == 1 { return "\(streak.count) consecutive \(streak[0].plural)" }
        return "\(streak.count) consecutive failures (\(streak.map(\.name).joined(separator: ", ")))"
    }
}
