import ArgumentParser
import Foundation
import OAuthProbeKit

/// The report files `run` and `report` write: one flag per format, any number at once.
struct ReportOptions: ParsableArguments {
    @Option(help: "Write a JUnit XML report here.")
    var junit: String?

    @Option(help: "Write the results as versioned JSON here (docs/results-schema.md; what `diff`, `merge` and `report` read).")
    var json: String?

    @Option(help: "Write a self-contained HTML report here.")
    var html: String?

    @Option(help: "Write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY).")
    var markdown: String?

    @Option(help: "Write SARIF 2.1.0 here, for code scanning.")
    var sarif: String?

    func write(_ record: RunRecord) throws {
        let outputs: [(String?, () -> Data)] = [
            (junit, { JUnitReport.render(record) }),
            (json, { JSONReport.render(record) }),
            (html, { Data(HTMLReport.render(record).utf8) }),
            (markdown, { Data(MarkdownReport.render(record).utf8) }),
            (sarif, { SARIFReport.render(record) }),
        ]
        for case let (path?, render) in outputs {
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try render().write(to: url)
        }
    }
}
