import Foundation

/// Text helpers shared by the report formats.
enum ReportText {
    /// Keeps only characters XML 1.0 allows (§2.2); anything else, a NUL or a stray control
    /// character from a server's body, becomes U+FFFD instead of breaking the file.
    static func xmlSafe(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: scalars.append(scalar)
            default: scalars.append("\u{FFFD}")
            }
        }
        return String(scalars)
    }

    /// Seconds as a fixed decimal (`0.012`), the form every JUnit reader parses.
    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.3f", Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// The text cut at `limit` characters, saying so.
    static func bounded(_ text: String, limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(limit)) + "\n… (\(text.count - limit) more characters cut)"
    }

    /// What a reviewer needs beside the verdict: the practice, the spec, where the probe is written.
    static func details(of result: ProbeResult) -> String {
        var lines = [
            result.title,
            "Practice: \(result.practice) (severity \(result.severity.rawValue))",
            "Refs: \(result.refs.joined(separator: "; "))",
            "Probe: \(relative(result.location))",
            "",
            result.message,
        ]
        if let waiver = result.waiver { lines += ["", "Baseline: \(waiver.summary) (\(waiver.source))"] }
        if let reproduce = reproduction(of: result) { lines += ["", "Reproduce (secrets as placeholders):", reproduce] }
        if !result.evidence.isEmpty {
            lines += ["", "Transcript (secrets shown as ‹sha256:…› fingerprints):"]
            lines += result.evidence.map(\.transcript)
        }
        return lines.joined(separator: "\n")
    }

    /// A curl command for the exchange that decided a failure or error: the last one recorded.
    static func reproduction(of result: ProbeResult) -> String? {
        guard result.verdict == .fail || result.verdict == .error || result.waiver?.kind == .waived else { return nil }
        return replay(of: result.evidence)
    }

    /// The last exchange as curl, with where to get a fresh value for each code, token and cookie.
    static func replay(of evidence: [RecordedExchange]) -> String? {
        evidence.last.map { CurlCommand.replay($0, after: evidence.dropLast()) }
    }

    /// A path relative to the folder the user works in when it lies inside; else absolute.
    static func relativePath(_ path: String, to root: String = FileManager.default.currentDirectoryPath) -> String {
        let base = URL(fileURLWithPath: root, isDirectory: true).standardizedFileURL.path
        let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base, isDirectory: true)).standardizedFileURL.path
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return absolute.hasPrefix(prefix) ? String(absolute.dropFirst(prefix.count)) : absolute
    }

    static func relative(_ location: SourceLocation) -> SourceLocation {
        SourceLocation(file: relativePath(location.file), line: location.line, column: location.column)
    }

    /// The verdict as reports name it: a waived failure is `waived`, not a plain skip.
    static func label(_ result: ProbeResult) -> String {
        result.waiver?.kind == .waived ? "waived" : result.verdict.rawValue
    }

    /// The seed headings the results touch, in the seed page's order.
    static func practices(of results: [ProbeResult]) -> [String] {
        Set(results.map(\.practice)).sorted { (Practice.order(of: $0), $0) < (Practice.order(of: $1), $1) }
    }

    /// Probe variant names in first-seen order, for matrices (one row per name, one column per target).
    static func names(of results: [ProbeResult]) -> [String] {
        var seen = Set<String>()
        return results.map(\.displayID).filter { seen.insert($0).inserted }
    }

    /// Says that a probe needed more than one attempt, so a reader knows the server struggled.
    static func attemptsNote(_ result: ProbeResult) -> String {
        "ran \(result.attempts) times: the first attempt met a server failure under concurrent load, so it ran again alone"
    }

    /// What a run asked of one server, in a line: `312 requests (41 token), 1 sign-in, 2 retries, 9.4 s waiting`.
    static func load(_ load: TargetLoad) -> String {
        func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
        var parts = ["\(plural(load.requests, "request")) (\(load.tokenRequests) to the token endpoint)", plural(load.signIns, "sign-in")]
        if load.retries > 0 { parts.append(plural(load.retries, "probe retry").replacingOccurrences(of: "retrys", with: "retries")) }
        if load.rateLimited > 0 { parts.append("\(plural(load.rateLimited, "request")) resent after Retry-After") }
        parts.append(String(format: "%.1f s waiting on the server", load.secondsWaiting))
        if let lowered = load.concurrencyLowered { parts.append("concurrency lowered: \(lowered)") }
        parts += (load.endpointsGivenUp ?? []).map { "given up: \($0)" }
        return parts.joined(separator: ", ")
    }
}
