import Foundation
import Testing
@testable import OAuthProbeKit

/// A server that answers without end gets at most a few MiB read per response, and an `error`
/// that says so: memory stays bounded whatever `--concurrency` is.
@Suite("Response bodies are capped", .timeLimit(.minutes(2)))
struct ResponseLimitTests {
    /// What oauthprobe may have read, plus what loopback socket buffers hold beyond that.
    static let mostBytesWritten = 16 << 20

    @Test("a 50 MB metadata document and an endless token answer are cut off at 4 MiB: error, with a clear message",
          arguments: [("huge-metadata", "https.metadata-endpoints"), ("endless-token", "client-auth.wrong-secret")])
    func capped(scenario: String, probe: String) async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: scenario)
            let (_, record) = try await HostileTarget.run(path, only: [probe])
            let result = try #require(record.results.first)
            #expect(result.verdict == .error)
            #expect(result.message.contains("larger than 4 MiB"), "\(result.message)")
            let streams = try await server.settledLog().compactMap(\.streamed)
            #expect(!streams.isEmpty)
            #expect(streams.allSatisfy { $0 < Self.mostBytesWritten }, "bytes the server got to write: \(streams)")
        }
    }

    @Test("an endless answer to many probes at once stays capped per response", arguments: [16])
    func concurrent(concurrency: Int) async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: "endless-token")
            let (_, record) = try await HostileTarget.run(path, only: ["client-auth.*", "flows.client-credentials-public", "scope.*", "refresh.*"],
                                                          concurrency: concurrency)
            #expect(record.results.allSatisfy { $0.verdict == .error || $0.verdict == .skip }, "\(record.results.map { "\($0.displayID) \($0.verdict)" })")
            let streams = try await server.settledLog().compactMap(\.streamed)
            #expect(streams.count >= 4)
            #expect(streams.allSatisfy { $0 < Self.mostBytesWritten }, "\(streams)")
        }
    }
}
