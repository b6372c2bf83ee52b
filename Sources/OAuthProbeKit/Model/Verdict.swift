import Foundation

/// The four verdicts of interface.md. A probe never passes because something went wrong.
public enum Verdict: String, Sendable, Codable, CaseIterable {
    /// The server did what the practice requires.
    case pass
    /// The server answered and broke the practice: a finding.
    case fail
    /// No verdict possible: network, TLS, timeout, sign-in failed, a precondition not met.
    case error
    /// Not applicable to this target; the message names what is missing.
    case skip
}

/// One HTTP exchange as evidence, already redacted.
public struct RecordedExchange: Sendable, Codable {
    public var step: String
    public var method: String
    public var url: String
    public var requestHeaders: [String]
    public var requestBody: String?
    public var status: Int?
    public var responseHeaders: [String]
    public var responseBody: String?
    public var milliseconds: Int
    /// What went wrong on the wire, if the exchange has no response.
    public var transportError: String?
    /// How a client authenticated this request, so a report can rebuild it with placeholders.
    public var clientAuthentication: AuthenticatedClient? = nil
    /// Fingerprint → where the secret came from (`${env:WEB_SECRET}`), for the target's secrets
    /// that appear in this exchange: reports show the placeholder where a user would put the value.
    public var placeholders: [String: String] = [:]
    /// The target's `tls.ca_file`, so a reproduction trusts the same private CA (`--cacert`).
    public var caFile: String? = nil

    /// The exchange as a short transcript, like a reviewer would paste it.
    public var transcript: String {
        var lines = ["# \(step)", "> \(method) \(url)"]
        lines += requestHeaders.map { "> \($0)" }
        if let requestBody, !requestBody.isEmpty { lines.append(">"); lines.append("> \(requestBody)") }
        if let status {
            lines.append("< \(status) (\(milliseconds) ms)")
            lines += responseHeaders.map { "< \($0)" }
            if let responseBody, !responseBody.isEmpty { lines.append("<"); lines.append("< \(responseBody)") }
        } else if let transportError {
            lines.append("! \(transportError)")
        }
        return lines.joined(separator: "\n")
    }
}

/// A client's credentials as sent: the id, the method, and where its secret comes from; never the secret.
public struct AuthenticatedClient: Sendable, Codable, Hashable {
    public var role: String
    public var clientID: String
    /// `client_secret_basic`, `client_secret_post` or `none`.
    public var method: String
    /// `${env:WEB_SECRET}` as written in the target file; nil when the secret was written inline.
    public var secretOrigin: String?

    // "clientId" so JSON's snake_case key is `client_id` both ways (an acronym does not round-trip).
    enum CodingKeys: String, CodingKey { case role, clientID = "clientId", method, secretOrigin }

    public init(role: String, clientID: String, method: String, secretOrigin: String?) {
        self.role = role
        self.clientID = clientID
        self.method = method
        self.secretOrigin = secretOrigin
    }
}

/// The outcome of one probe variant on one target.
public struct ProbeResult: Sendable {
    public var target: String
    public var suite: String
    public var probeID: String
    public var variant: String?
    public var title: String
    public var practice: String
    public var refs: [String]
    public var severity: Severity
    public var verdict: Verdict
    /// Why: for a failure, expected versus actual; for error and skip, what was missing.
    public var message: String
    /// For a failure, the step whose expectation did not hold: a waiver may name it.
    public var failedStep: String? = nil
    public var evidence: [RecordedExchange]
    public var duration: Duration
    public var location: SourceLocation
    /// Set when a baseline waiver matched this result.
    public var waiver: WaiverStatus? = nil
    /// How many times the probe ran: more than one when a server failure made it try again alone.
    public var attempts = 1
    /// The server failure (or network failure) that made this an error, if one did: worth
    /// another attempt.
    public var serverFailure: ServerFailure? = nil
    /// This result's place in the whole plan, all shards of a `--shard` run together, so merged
    /// shards read in the order of one unsharded run.
    public var position: Int? = nil

    /// `redirect-uri.unregistered[path-suffix]`, the name used in every report.
    public var displayID: String { variant.map { "\(probeID)[\($0)]" } ?? probeID }
}

/// Where a server failure ended a probe: the step and its answer (`500 server_error`). A step
/// named "" stands for a network failure.
public struct ServerFailure: Sendable, Hashable {
    public var step: String
    public var answer: String

    public init(step: String, answer: String) {
        self.step = step
        self.answer = answer
    }
}
