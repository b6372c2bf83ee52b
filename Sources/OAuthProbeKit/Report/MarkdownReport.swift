/// A summary for `$GITHUB_STEP_SUMMARY` or a merge-request comment (GitHub and GitLab flavoured
/// Markdown): totals per target, the probe × target matrix, and each finding with its reason,
/// links to the spec and, folded, the curl command and transcript.
public enum MarkdownReport {
    /// GitHub rejects step summaries over 1 MiB; transcripts are cut well before that.
    static let findingTextLimit = 6_000
    static let totalLimit = 900_000

    public static func render(_ record: RunRecord) -> String {
        let results = record.results
        let targets = record.targets.map(\.name)
        let failures = results.filter { $0.verdict == .fail }.count
        var lines = ["## oauthprobe: \(failures == 0 ? "no failures" : "\(failures) failure\(failures == 1 ? "" : "s")") on \(targets.count) target\(targets.count == 1 ? "" : "s")", ""]
        lines += ["| target | issuer | pass | fail | error | skip | waived |", "|---|---|--:|--:|--:|--:|--:|"]
        for target in record.targets {
            let c = JSONReport.counts(results.filter { $0.target == target.name })
            lines.append("| \(cell(target.name)) | \(cell(target.issuer)) | \(c.pass) | \(c.fail) | \(c.error) | \(c.skip) | \(c.waived) |")
        }
        if targets.count > 1 {
            lines += ["", "### Probe × target", "", "| probe | " + targets.map(cell).joined(separator: " | ") + " |",
                      "|---|" + String(repeating: "---|", count: targets.count)]
            for name in ReportText.names(of: results) {
                let cells = targets.map { target in results.first { $0.target == target && $0.displayID == name }.map(mark) ?? "–" }
                lines.append("| `\(name)` | " + cells.joined(separator: " | ") + " |")
            }
        }
        let notable = results.filter { $0.verdict == .fail || $0.verdict == .error || $0.waiver != nil }
            .sorted { ($0.verdict == .fail ? 0 : 1, $1.severity, Practice.order(of: $0.practice)) < ($1.verdict == .fail ? 0 : 1, $0.severity, Practice.order(of: $1.practice)) }
        if !notable.isEmpty { lines += ["", "### Findings"] }
        var text = lines.joined(separator: "\n")
        for (index, result) in notable.enumerated() {
            let section = finding(result)
            if text.count + section.count > totalLimit {
                text += "\n\n… \(notable.count - index) more not shown here: see the JSON or HTML report."
                break
            }
            text += section
        }
        return text + "\n"
    }

    private static func finding(_ result: ProbeResult) -> String {
        var lines = ["", "#### \(mark(result)) `\(result.displayID)` on \(cell(result.target)) (\(result.severity.rawValue))", ""]
        let refs = result.refs.map { ref in SpecLinks.url(for: ref).map { "[\(ref)](\($0))" } ?? ref }
        lines.append("*\(escape(result.practice))*: \(escape(result.title)) · " + refs.joined(separator: ", "))
        lines.append("")
        lines += result.message.split(separator: "\n", omittingEmptySubsequences: false).map { "> " + escape(String($0)) }
        if let waiver = result.waiver { lines += ["", "**Baseline:** \(escape(waiver.summary))"] }
        let reproduce = ReportText.reproduction(of: result)
        if reproduce != nil || !result.evidence.isEmpty {
            lines += ["", "<details><summary>Reproduce and transcript</summary>", ""]
            if let reproduce { lines += fenced(reproduce, language: "sh") + [""] }
            let transcript = ReportText.bounded(result.evidence.map(\.transcript).joined(separator: "\n\n"), limit: findingTextLimit)
            if !transcript.isEmpty { lines += fenced(transcript, language: "text") + [""] }
            lines.append("</details>")
        }
        // A blank line ends the section: after `</details>` GitHub would read the next heading as HTML.
        lines.append("")
        return lines.joined(separator: "\n")
    }

    static func mark(_ result: ProbeResult) -> String {
        let label = ReportText.label(result)
        let symbol = switch label {
        case "pass": result.waiver?.kind == .stale ? "✅ pass (stale waiver)" : "✅ pass"
        case "fail": "❌ fail"
        case "error": "⚠️ error"
        case "waived": "🔕 waived"
        default: "⏭️ skip"
        }
        return symbol
    }

    /// A fence longer than any run of backticks inside, so a server's body cannot close it.
    private static func fenced(_ text: String, language: String) -> [String] {
        let longest = text.matches(of: #/`+/#).map { $0.output.count }.max() ?? 0
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return [fence + language, text, fence]
    }

    /// Text outside code: no raw HTML, no accidental emphasis from a server's words, and URLs in
    /// code spans, so a URL a server chose is shown, never made a link.
    static func escape(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        // No backtick or bar inside: the span cannot be closed early, nor end a table cell.
        while let url = rest.firstMatch(of: #/https?://[^\s<>"'`|]+/#) {
            output += escapeText(rest[..<url.range.lowerBound]) + "`\(url.output)`"
            rest = rest[url.range.upperBound...]
        }
        return output + escapeText(rest)
    }

    private static func escapeText(_ text: Substring) -> String {
        var output = ""
        for character in text {
            switch character {
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "&": output += "&amp;"
            case "*", "_", "`", "[", "]", "|", "\\": output += "\\\(character)"
            default: output.append(character)
            }
        }
        return output
    }

    private static func cell(_ text: String) -> String { escape(text) }
}
