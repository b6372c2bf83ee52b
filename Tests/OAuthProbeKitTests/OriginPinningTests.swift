import Foundation
import Testing
@testable import OAuthProbeKit

/// Credentials go only to the issuer's origin and to origins the target file names; a server
/// that points elsewhere (in its metadata, in its login form) gets an `error`, never a secret.
/// The fault server answers on 127.0.0.1 and on localhost: two origins, one log.
@Suite("Origin pinning on a hostile server", .timeLimit(.minutes(2)))
struct OriginPinningTests {
    @Test("metadata naming a token endpoint on another origin gets no secret; its probes error naming the origin, and discovery reports it")
    func offsiteTokenEndpoint() async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: "offsite-token")
            let (_, record) = try await HostileTarget.run(path, only: [
                "client-auth.*", "client.disabled-rejected", "flows.client-credentials-public",
                "token-reuse.code-cross-client", "authz.state-echoed",
            ])
            let offsite = try await server.log().filter { $0.host.hasPrefix("localhost") }
            #expect(offsite.isEmpty, "sent to the other origin: \(offsite.map { "\($0.method) \($0.target)" })")

            let other = "http://localhost:\(server.port)"
            let needingToken = record.results.filter { $0.probeID != "authz.state-echoed" && $0.verdict != .skip }
            #expect(!needingToken.isEmpty)
            for result in needingToken {
                #expect(result.verdict == .error && result.message.contains(other), "\(result.displayID): \(result.verdict) \(result.message)")
            }
            let state = try #require(record.results.first { $0.probeID == "authz.state-echoed" })
            #expect(state.verdict == .pass, "a probe that needs no other origin still runs: \(state.message)")

            let targets = try #require(try HostileTarget.json(record)["targets"] as? [[String: Any]])
            let problems = try #require(targets.first?["discovery_problems"] as? [String], "\(targets)")
            #expect(problems.contains { $0.contains(other) && $0.contains("token_endpoint") }, "\(problems)")
        }
    }

    @Test("a login form that posts to another origin is not submitted: error, naming the origin")
    func offsiteLoginForm() async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: "offsite-form")
            let (_, record) = try await HostileTarget.run(path, only: ["authz.state-echoed"])
            let result = try #require(record.results.first)
            #expect(result.verdict == .error)
            #expect(result.message.contains("login form") && result.message.contains("http://localhost:\(server.port)"), "\(result.message)")
            let offsite = try await server.log().filter { $0.host.hasPrefix("localhost") }
            #expect(offsite.isEmpty, "the password went to \(offsite.map(\.target))")
        }
    }
}
