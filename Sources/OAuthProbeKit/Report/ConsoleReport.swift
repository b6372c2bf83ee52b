import Foundation

/// What a person reads in a terminal or a CI log: a line per result as it is decided, then the
/// results grouped by seed heading, the findings with their reasons, and the totals.
public struct ConsoleReport: Sendable {
    public var colour: Bool

    public init(colour: Bool) { self.colour = colour }

    /// Colour only on a terminal, and never when NO_COLOR is set (no-color.org).
    public static func wantsColour(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"].map(\.isEmpty) ?? true
    }

    public func progressLine(_ result: ProbeResult) -> String {
        "\(badge(result.verdict)) \(result.target)  \(result.displayID)  \(ReportText.seconds(result.duration)) s"
    }

    public func summary(_ results: [ProbeResult], targets: [Target]) -> String {
        var lines: [String] = []
        let practices = Set(results.map(\.practice)).sorted { Practice.order(of: $0) < Practice.order(of: $1) }
        for practice in practices {
            lines.append("")
            lines.append(practice)
            let inPractice = results.filter { $0.practice == practice }
            for target in targets {
                for result in inPractice where result.target == target.name {
                    var line = "  \(badge(result.verdict)) \(target.name)  \(result.displayID)"
                    if result.verdict != .pass { line += "\n      \(result.message)" }
                    lines.append(line)
                }
            }
        }
        lines.append("")
        for target in targets {
            let own = results.filter { $0.target == target.name }
            let counts = Verdict.allCases.map { verdict in "\(own.filter { $0.verdict == verdict }.count) \(verdict.rawValue)" }
            lines.append("\(target.name): \(counts.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }

    private func badge(_ verdict: Verdict) -> String {
        let word = verdict.rawValue.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0)
        guard colour else { return word }
        let code = switch verdict {
        case .pass: "32"
        case .fail: "31;1"
        case .error: "33;1"
        case .skip: "2"
        }
        return "\u{1B}[\(code)m\(word)\u{1B}[0m"
    }
}
