import Foundation
@testable import OAuthProbeKit

/// Paths and temporary files the tests share.
enum TestSupport {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let suitesFolder = repositoryRoot.appendingPathComponent("Suites").path
    /// The Jenkins xunit schema JUnit readers follow (a copy of shared/junit/junit-10.xsd, MIT).
    static let junitSchema = repositoryRoot.appendingPathComponent("Tests/Fixtures/junit-10.xsd").path
    static let wireServer = repositoryRoot.appendingPathComponent("Tests/Fixtures/wire_server.py").path

    /// Writes `text` to a new file in a fresh temporary folder and returns its path.
    static func write(_ text: String, named name: String = "file.yaml", beside others: [String: String] = [:]) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("oauthprobe-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (other, content) in others {
            try content.write(to: folder.appendingPathComponent(other), atomically: true, encoding: .utf8)
        }
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// `line:col: message` for each diagnostic, without the (temporary) file name.
    static func positions(_ diagnostics: [Diagnostic]) -> [String] {
        diagnostics.map { "\($0.location.line):\($0.location.column): \($0.severity.rawValue): \($0.message)" }
    }
}
