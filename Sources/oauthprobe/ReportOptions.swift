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

    /// The reports asked for, each with the name its format goes by in messages.
    var files: [ReportFile] {
        [("JUnit", junit), ("JSON", json), ("HTML", html), ("Markdown", markdown), ("SARIF", sarif)]
            .compactMap { format, path in path.map { ReportFile(format: format, path: $0) } }
    }

    /// Why reports cannot be written, in words naming each file: checked before anything runs.
    func problems() -> [String] {
        files.compactMap { file in file.problem().map(file.failure) }
    }

    /// Writes every report asked for; what could not be written, in words.
    func write(_ record: RunRecord) -> [String] {
        let renderers: [String: () -> Data] = [
            "JUnit": { JUnitReport.render(record) },
            "JSON": { JSONReport.render(record) },
            "HTML": { Data(HTMLReport.render(record).utf8) },
            "Markdown": { Data(MarkdownReport.render(record).utf8) },
            "SARIF": { SARIFReport.render(record) },
        ]
        return files.compactMap { file in file.write(renderers[file.format]!()).map(file.failure) }
    }

    /// Says which reports could not be written and exits 73, when any could not.
    static func exitIfUnwritten(_ unwritten: [String]) throws {
        guard !unwritten.isEmpty else { return }
        FileHandle.standardError.write(Data(unwritten.map { "oauthprobe: \($0)\n" }.joined().utf8))
        throw ExitCode(ExitStatus.cannotWriteReport)
    }
}
