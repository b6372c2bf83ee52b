import ArgumentParser
import OAuthProbeKit

/// `oauthprobe list`: the catalogue, grouped by seed heading.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Print the catalogue: id, title, practice, refs, severity, variants."
    )

    @Option(name: .customLong("suite"), help: "A suite file or folder (default: the Suites/ folder shipped with the tool).")
    var suites: [String] = []

    func run() throws {
        let inputs = Inputs.load(targets: [], suites: suites.isEmpty ? [Inputs.defaultSuitePath()] : suites)
        report(inputs.diagnostics)
        if inputs.hasErrors { throw ExitCode(ExitStatus.invalidInput) }
        print(Catalogue.render(inputs.suites))
    }
}
