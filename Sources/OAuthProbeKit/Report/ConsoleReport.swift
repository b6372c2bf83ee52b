import Foundation

/// What a person reads in a terminal or a CI log: a line per result as it is decided (on a
/// terminal also a live status line), then the results grouped by seed heading, each failure and
/// error with its reason and a curl command that reproduces it, a probe × target matrix when
/// there are several targets, and the totals.
public struct ConsoleReport: Sendable {
    public var colour: Bool

    public init(colour: Bool) { self.colour = colour }

    /// Colour and the live status line only on a terminal, and never when NO_COLOR is set
    /// (no-color.org): CI logs get plain lines.
    public static func isInteractive(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"].map(\.isEmpty) ?? true
    }

    public func progressLine(_ result: ProbeResult) -> String {
        "\(badge(result)) \(result.target)  \(result.displayID)  \(ReportText.seconds(result.duration)) s"
    }

    public func summary(_ results: [ProbeResult], targets: [String]) -> String {
        var lines: [String] = []
        for practice in ReportText.practices(of: results) {
            lines.append("")
            lines.append(colour ? "\u{1B}[1m\(practice)\u{1B}[0m" : practice)
            let inPractice = results.filter { $0.practice == practice }
            for target in targets {
                for result in inPractice where result.target == target {
                    lines.append("  \(badge(result)) \(target)  \(result.displayID)")
                    lines += explanation(of: result).map { "      \($0)" }
                }
            }
        }
        if targets.count > 1 { lines += [""] + matrix(results, targets: targets) }
        lines.append("")
        for target in targets {
            let counts = JSONReport.counts(results.filter { $0.target == target })
            var parts = ["\(counts.pass) pass", "\(counts.fail) fail", "\(counts.error) error", "\(counts.skip) skip"]
            if counts.waived > 0 { parts.append("\(counts.waived) waived") }
            lines.append("\(target): \(parts.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }

    /// How many probe variants the deadline left unrun, when it left any.
    public func deadline(_ record: RunRecord) -> String? {
        let unrun = record.results.filter { $0.attempts == 0 }.count
        guard unrun > 0, let deadline = record.deadline else { return nil }
        return "deadline of \(DurationText.format(deadline)) passed: \(unrun) probe variant\(unrun == 1 ? "" : "s") not run"
    }

    /// What the run asked of each server: requests, sign-ins, retries, time waiting.
    public func load(_ targets: [RunRecord.TargetRecord]) -> String {
        targets.map { "\($0.name) load: \(ReportText.load($0.load))" }.joined(separator: "\n")
    }

    /// Why a result is what it is: nothing for a plain pass; the reason, any waiver note and the
    /// reproducing curl command otherwise.
    private func explanation(of result: ProbeResult) -> [String] {
        var lines: [String] = []
        if result.verdict != .pass { lines += result.message.split(separator: "\n").map(String.init) }
        if let waiver = result.waiver { lines.append(waiver.summary) }
        if result.waiver?.kind != .waived, let curl = ReportText.reproduction(of: result) {
            lines += ("reproduce: " + curl).split(separator: "\n").map(String.init)
        }
        return lines
    }

    /// One row per probe variant, one column per target: where environments part ways at a glance.
    func matrix(_ results: [ProbeResult], targets: [String]) -> [String] {
        let names = ReportText.names(of: results)
        let width = max(5, names.map(\.count).max() ?? 0)
        let columns = targets.map { max($0.count, 6) }
        var lines = ["probe".padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                     + zip(targets, columns).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")]
        for name in names {
            let cells = zip(targets, columns).map { target, column in
                let label = results.first { $0.target == target && $0.displayID == name }.map(ReportText.label) ?? "-"
                return paint(label.padding(toLength: column, withPad: " ", startingAt: 0), label)
            }
            lines.append(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + cells.joined(separator: "  "))
        }
        return lines
    }

    private func badge(_ result: ProbeResult) -> String {
        var label = ReportText.label(result)
        if result.waiver?.kind == .stale { label = "pass" }
        return paint(label.uppercased().padding(toLength: 6, withPad: " ", startingAt: 0), label)
    }

    private func paint(_ text: String, _ label: String) -> String {
        guard colour else { return text }
        let code = switch label {
        case "pass": "32"
        case "fail": "31;1"
        case "error": "33;1"
        default: "2"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}

/// The live status line on a terminal: probes done of all, failures so far, elapsed time and the
/// probes running now, redrawn every second and after each result. In CI it stays silent, and
/// each result is a plain line.
public final class ConsoleProgress: @unchecked Sendable {
    private let report: ConsoleReport
    private let total: Int
    private let live: Bool
    private let started = ContinuousClock.now
    private let lock = NSLock()
    private var done = 0, failed = 0, errored = 0
    /// Probe variants in flight, oldest first.
    private var running: [String] = []
    private var ticker: Task<Void, Never>?

    public init(report: ConsoleReport, total: Int, live: Bool) {
        self.report = report
        self.total = total
        self.live = live
        if live {
            ticker = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    self?.redraw(line: nil)
                }
            }
        }
    }

    public func begin(_ probe: String) {
        lock.withLock { running.append(probe) }
    }

    public func record(_ result: ProbeResult) {
        lock.withLock {
            done += 1
            if result.verdict == .fail { failed += 1 }
            if result.verdict == .error { errored += 1 }
            running.removeAll { $0 == "\(result.target) \(result.displayID)" }
        }
        redraw(line: report.progressLine(result))
    }

    /// Clears the status line, so the summary starts on a clean line.
    public func finish() {
        ticker?.cancel()
        if live { write("\r\u{1B}[K") }
    }

    func status() -> String {
        lock.withLock {
            let seconds = Int((ContinuousClock.now - started).components.seconds)
            let now = running.first.map { " · running: \($0)\(running.count > 1 ? " (+\(running.count - 1))" : "")" } ?? ""
            return "[\(done)/\(total)] \(failed) fail, \(errored) error · \(String(format: "%02d:%02d", seconds / 60, seconds % 60))\(now)"
        }
    }

    private func redraw(line: String?) {
        if live {
            write("\r\u{1B}[K" + (line.map { $0 + "\n" } ?? "") + status())
        } else if let line {
            write(line + "\n")
        }
    }

    private func write(_ text: String) {
        lock.withLock { FileHandle.standardOutput.write(Data(text.utf8)) }
    }
}
