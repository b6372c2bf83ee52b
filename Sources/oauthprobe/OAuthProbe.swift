import ArgumentParser
import Foundation
import OAuthProbeKit

@main
struct OAuthProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oauthprobe",
        abstract: "Probe a live OAuth 2.0 / OpenID Connect server for security best practices.",
        discussion: """
        Exit status: 0 nothing failed or errored; 1 a probe failed; 2 a probe could not be \
        evaluated; 64 bad command line; 65 an invalid suite, target or baseline file (nothing was sent); \
        73 a report cannot be written (checked before anything is sent).
        """,
        version: OAuthProbeVersion.current,
        subcommands: [RunCommand.self, ListCommand.self, ValidateCommand.self, DiffCommand.self, InitCommand.self,
                      MergeCommand.self, ReportCommand.self]
    )
}

/// Prints load problems to standard error, one `file:line:col: …` line each.
func report(_ diagnostics: [Diagnostic]) {
    for diagnostic in diagnostics {
        FileHandle.standardError.write(Data((diagnostic.description + "\n").utf8))
    }
}
