import Foundation

/// One self-contained page for a security reviewer (inline CSS, no script, nothing fetched): the
/// summary per practice and per severity, the probe × target matrix with several targets side by
/// side, and each finding with what was expected and what happened, links to the spec sections,
/// the curl command and the redacted transcript.
public enum HTMLReport {
    static let transcriptLimit = 20_000

    public static func render(_ record: RunRecord) -> String {
        let results = record.results
        let targets = record.targets.map(\.name)
        let failures = results.filter { $0.verdict == .fail }.count
        var body: [String] = []
        body.append("<header><h1>oauthprobe report</h1><p class=\"lead\">\(failures) failure\(failures == 1 ? "" : "s") · "
                    + "\(results.count) probe variants on \(targets.count) target\(targets.count == 1 ? "" : "s") · "
                    + "\(escape(ISO8601DateFormatter().string(from: record.started))) · oauthprobe \(OAuthProbeVersion.current)</p></header>")
        body.append("<main>")
        body.append("<table class=\"targets\"><caption>targets</caption>" + head(["target", "issuer", "pass", "fail", "error", "skip", "waived"]) + "<tbody>")
        for target in record.targets {
            let c = JSONReport.counts(results.filter { $0.target == target.name })
            var issuer = escape(target.issuer)
            if let failure = target.discoveryFailure { issuer += "<br><small>metadata: \(escape(failure))</small>" }
            for problem in target.discoveryProblems { issuer += "<br><small>discovery: \(escape(problem))</small>" }
            issuer += "<br><small>load: \(escape(ReportText.load(target.load)))</small>"
            body.append("<tr><th scope=\"row\">\(escape(target.name))</th><td>\(issuer)</td><td>\(c.pass)</td><td class=\"n-fail\">\(c.fail)</td>"
                        + "<td>\(c.error)</td><td>\(c.skip)</td><td>\(c.waived)</td></tr>")
        }
        body.append("</tbody></table>")
        body.append(summary(results, targets: targets))
        body.append(matrix(results, targets: targets))
        body.append(findings(results))
        body.append(others(results))
        body.append("</main>")
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>oauthprobe report: \(failures) failure\(failures == 1 ? "" : "s")</title>
        <style>\(style)</style></head>
        <body>
        \(body.joined(separator: "\n"))
        </body></html>

        """
    }

    /// Per practice: failures out of probe variants, per target; per severity: failures per target.
    private static func summary(_ results: [ProbeResult], targets: [String]) -> String {
        var rows = ["<section id=\"summary\"><h2>Summary</h2><div class=\"side\"><table class=\"summary\"><caption>by practice</caption>",
                    head(["practice"] + targets) + "<tbody>"]
        for practice in ReportText.practices(of: results) {
            let cells = targets.map { target -> String in
                let own = results.filter { $0.practice == practice && $0.target == target }
                let failed = own.filter { $0.verdict == .fail }.count
                return "<td class=\"\(failed > 0 ? "v-fail" : "v-pass")\">\(failed) fail / \(own.count)</td>"
            }
            rows.append("<tr><th scope=\"row\">\(escape(practice))</th>" + cells.joined() + "</tr>")
        }
        rows += ["</tbody></table><table class=\"summary\"><caption>failures by severity</caption>", head(["severity"] + targets) + "<tbody>"]
        for severity in Severity.allCases.reversed() {
            let cells = targets.map { target -> String in
                let failed = results.filter { $0.severity == severity && $0.target == target && $0.verdict == .fail }.count
                return "<td class=\"\(failed > 0 ? "v-fail" : "")\">\(failed)</td>"
            }
            rows.append("<tr><th scope=\"row\"><span class=\"sev sev-\(severity.rawValue)\">\(severity.rawValue)</span></th>" + cells.joined() + "</tr>")
        }
        rows.append("</tbody></table></div></section>")
        return rows.joined(separator: "\n")
    }

    private static func matrix(_ results: [ProbeResult], targets: [String]) -> String {
        var rows = ["<section id=\"matrix\"><h2>Probe × target</h2><table class=\"matrix\">", head(["probe"] + targets) + "<tbody>"]
        for name in ReportText.names(of: results) {
            let cells = targets.map { target -> String in
                guard let result = results.first(where: { $0.target == target && $0.displayID == name }) else { return "<td>–</td>" }
                let label = ReportText.label(result)
                let text = result.waiver?.kind == .stale ? "pass (stale waiver)" : label
                let content = isFinding(result) ? "<a href=\"#\(anchor(result))\">\(text)</a>" : text
                return "<td class=\"v-\(label)\" title=\"\(escape(result.message))\">\(content)</td>"
            }
            rows.append("<tr><th scope=\"row\"><code>\(escape(name))</code></th>" + cells.joined() + "</tr>")
        }
        rows.append("</tbody></table><p class=\"meta\">Why each probe passed or was skipped: <a href=\"#others\">Passes and skips</a>.</p></section>")
        return rows.joined(separator: "\n")
    }

    /// A header row whose cells head their columns, for screen readers.
    private static func head(_ names: [String]) -> String {
        "<thead><tr>" + names.map { "<th scope=\"col\">\(escape($0))</th>" }.joined() + "</tr></thead>"
    }

    /// Every pass and skip with its reason in plain sight (the matrix shows it only on hover).
    private static func others(_ results: [ProbeResult]) -> String {
        let rest = results.filter { !isFinding($0) }
        var rows = ["<section id=\"others\"><h2>Passes and skips (\(rest.count))</h2>"]
        if !rest.isEmpty {
            rows.append("<table class=\"others\">" + head(["probe", "target", "verdict", "why"]) + "<tbody>")
            for result in rest {
                let label = ReportText.label(result)
                rows.append("<tr><th scope=\"row\"><code>\(escape(result.displayID))</code></th><td>\(escape(result.target))</td>"
                            + "<td class=\"v-\(label)\">\(label)</td><td>\(escape(result.message))</td></tr>")
            }
            rows.append("</tbody></table>")
        }
        rows.append("</section>")
        return rows.joined(separator: "\n")
    }

    static func isFinding(_ result: ProbeResult) -> Bool {
        result.verdict == .fail || result.verdict == .error || result.waiver != nil
    }

    private static func findings(_ results: [ProbeResult]) -> String {
        let notable = results.filter(isFinding).sorted {
            ($0.verdict == .fail ? 0 : 1, $1.severity, Practice.order(of: $0.practice)) < ($1.verdict == .fail ? 0 : 1, $0.severity, Practice.order(of: $1.practice))
        }
        var parts = ["<section id=\"findings\"><h2>Findings (\(notable.count))</h2>"]
        if notable.isEmpty { parts.append("<p>No failure, error or waiver.</p>") }
        for result in notable {
            let label = ReportText.label(result)
            let refs = result.refs.map { ref in
                SpecLinks.url(for: ref).map { "<a href=\"\(escape($0))\">\(escape(ref))</a>" } ?? escape(ref)
            }
            var card = ["<article class=\"finding f-\(label)\" id=\"\(anchor(result))\">",
                        "<h3><span class=\"verdict v-\(label)\">\(label)</span> <code>\(escape(result.displayID))</code> on \(escape(result.target)) "
                        + "<span class=\"sev sev-\(result.severity.rawValue)\">\(result.severity.rawValue)</span></h3>",
                        "<p class=\"meta\">\(escape(result.title)) · <em>\(escape(result.practice))</em> · \(refs.joined(separator: ", "))"
                        + " · probe at <code>\(escape(ReportText.relative(result.location).description))</code></p>",
                        "<dl><dt>Expected vs actual</dt><dd class=\"message\">\(escape(result.message))</dd>"]
            if let waiver = result.waiver { card.append("<dt>Baseline</dt><dd class=\"waiver\">\(escape(waiver.summary)) <small>(\(escape(waiver.source)))</small></dd>") }
            card.append("</dl>")
            if let reproduce = ReportText.reproduction(of: result) {
                card.append("<p class=\"label\">Reproduce (secrets as placeholders)</p><pre class=\"curl\">\(escape(reproduce))</pre>")
            }
            if !result.evidence.isEmpty {
                let transcript = ReportText.bounded(result.evidence.map(\.transcript).joined(separator: "\n\n"), limit: transcriptLimit)
                card.append("<details><summary>Transcript (\(result.evidence.count) exchange\(result.evidence.count == 1 ? "" : "s"), redacted)</summary>"
                            + "<pre class=\"transcript\">\(escape(transcript))</pre></details>")
            }
            card.append("</article>")
            parts.append(card.joined(separator: "\n"))
        }
        parts.append("</section>")
        return parts.joined(separator: "\n")
    }

    static func anchor(_ result: ProbeResult) -> String {
        "finding-" + "\(result.target)-\(result.displayID)".map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? String($0) : "_" }.joined()
    }

    static func escape(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
        return output
    }

    private static let style = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:24px;color:#1f2328;background:#fff}
    h1{margin:0 0 4px;font-size:24px}h2{margin:28px 0 10px;font-size:18px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
    h3{margin:0 0 6px;font-size:15px}.lead{color:#57606a;margin:0 0 12px}
    table{border-collapse:collapse;margin:0 16px 12px 0}th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:left;vertical-align:top}
    th{background:#f6f8fa;font-weight:600}caption{text-align:left;font-weight:600;padding:4px 0;color:#57606a}
    .side{display:flex;flex-wrap:wrap;align-items:flex-start}
    .v-pass{background:#dafbe1}.v-fail{background:#ffebe9;color:#a40e26;font-weight:600}.v-error{background:#fff8c5;color:#7d4e00}
    .v-skip{color:#57606a}.v-waived{background:#eef1ff;color:#3b4bb0}.matrix td{text-align:center;min-width:110px}
    .matrix a{color:inherit}.n-fail{color:#a40e26;font-weight:600}
    .sev{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff;background:#6e7781}
    .sev-critical{background:#82071e}.sev-high{background:#cf222e}.sev-medium{background:#bc4c00}.sev-low{background:#6e7781}
    .verdict{display:inline-block;border-radius:4px;padding:0 6px;text-transform:uppercase;font-size:12px}
    .finding{border:1px solid #d0d7de;border-left:4px solid #cf222e;border-radius:6px;padding:12px 14px;margin:0 0 14px}
    .f-error{border-left-color:#bf8700}.f-waived{border-left-color:#3b4bb0}.f-pass{border-left-color:#1a7f37}
    .meta{color:#57606a;margin:0 0 8px}dl{margin:0}dt{font-weight:600;margin-top:6px}dd{margin:2px 0 0 0}
    .message{white-space:pre-wrap;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;background:#fff5f5;padding:6px 8px;border-radius:4px}
    .label{font-weight:600;margin:8px 0 2px}pre{background:#f6f8fa;padding:8px;border-radius:4px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;font-size:12px;margin:0}
    summary{cursor:pointer;margin-top:8px;color:#0969da}
    """
}
