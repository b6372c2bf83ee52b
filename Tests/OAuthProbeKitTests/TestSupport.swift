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

    /// Which of `values` occur in which of `texts` (by index). Each value is looked up by its first
    /// eight bytes in one pass over every text, so thousands of tokens scan megabytes of reports in
    /// a second where `String.contains` per value took minutes.
    static func occurrences(of values: Set<String>, in texts: [String]) -> [(value: String, text: Int)] {
        var byPrefix: [UInt64: [[UInt8]]] = [:]
        var short: [String] = []
        for value in values {
            let bytes = Array(value.utf8)
            guard bytes.count >= 8 else { short.append(value); continue }
            byPrefix[bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }, default: []].append(bytes)
        }
        var found: [(value: String, text: Int)] = []
        for (index, text) in texts.enumerated() {
            found += short.filter(text.contains).map { ($0, index) }
            let bytes = Array(text.utf8)
            guard bytes.count >= 8 else { continue }
            var seen = Set<[UInt8]>()
            bytes.withUnsafeBytes { raw in
                for offset in 0...(bytes.count - 8) {
                    guard let candidates = byPrefix[raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)] else { continue }
                    for candidate in candidates where offset + candidate.count <= bytes.count && !seen.contains(candidate)
                        && bytes[offset..<offset + candidate.count].elementsEqual(candidate) {
                        seen.insert(candidate)
                        found.append((String(decoding: candidate, as: UTF8.self), index))
                    }
                }
            }
        }
        return found
    }

    /// `line:col: message` for each diagnostic, without the (temporary) file name.
    static func positions(_ diagnostics: [Diagnostic]) -> [String] {
        diagnostics.map { "\($0.location.line):\($0.location.column): \($0.severity.rawValue): \($0.message)" }
    }
}
