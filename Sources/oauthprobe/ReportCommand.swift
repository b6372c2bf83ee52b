import ArgumentParser
import Foundation
import OAuthProbeKit

/// `oauthprobe report results.json --junit F --html F …`: every format from a results file,
/// without probing again (after `merge`, or to add a format later).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write reports from a results file (--json of run, or merge), without running anything.",
        discussion: "Exit status as run's: 0 nothing failed or errored; 1 a probe failed; 2 a probe errored; 65 not a results file; 73 a report could not be written."
    )

    @Argument(help: "A results file.")
    var results: String

    @OptionGroup var reports: ReportOptions

    func run() throws {
        let record: RunRecord
        do {
            record = try JSONReport.record(file: results)
        } catch let failure as JSONReport.ReadFailure {
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            throw ExitCode(ExitStatus.invalidInput)
        }
        let unwritten = reports.write(record)
        print(ConsoleReport(colour: false).summary(record.results, targets: record.targets.map(\.name)))
        try ReportOptions.exitIfUnwritten(unwritten)
        throw ExitCode(ExitStatus.of(record.results))
    }
}
