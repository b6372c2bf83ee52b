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
    public var evidence: [RecordedExchange]
    public var duration: Duration
    public var location: SourceLocation

    /// `redirect-uri.unregistered[path-suffix]`, the name used in every report.
    public var displayID: String { variant.map { "\(probeID)[\($0)]" } ?? probeID }
}
