import ArgumentParser
import Foundation
import OAuthProbeKit

/// `oauthprobe diff A.json B.json`: verdicts and metadata that differ between two results files.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two results files (--json): two runs of one environment, or two environments.",
        discussion: "Exit status: 0 no drift; 1 verdicts or metadata differ; 65 a file is not a results file."
    )

    @Argument(help: "The earlier (or reference) results file.")
    var before: String

    @Argument(help: "The later (or other environment's) results file.")
    var after: String

    func run() throws {
        do {
            let diff = ResultsDiff.compare(try JSONReport.read(file: before), try JSONReport.read(file: after))
            print(diff.render(before: before, after: after))
            throw ExitCode(diff.drifts ? ExitStatus.findings : ExitStatus.success)
        } catch let failure as JSONReport.ReadFailure {
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            throw ExitCode(ExitStatus.invalidInput)
        }
    }
}
