import ArgumentParser
import OAuthProbeKit

/// `oauthprobe validate FILE…`: every problem in suite and target files, nothing sent.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check suite, target and baseline files and print every problem as file:line:col."
    )

    @Argument(help: "Suite files or folders, target files and baseline files.")
    var files: [String]

    func run() throws {
        let diagnostics = Inputs.validate(files: files)
        report(diagnostics)
        if diagnostics.contains(where: { $0.severity == .error }) { throw ExitCode(ExitStatus.invalidInput) }
        print("\(files.count) file\(files.count == 1 ? "" : "s") valid" + (diagnostics.isEmpty ? "" : " (\(diagnostics.count) warning\(diagnostics.count == 1 ? "" : "s"))"))
    }
}
