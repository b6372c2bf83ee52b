import Foundation
import Testing
@testable import OAuthProbeKit

/// Metadata discovery on a broken server: an answer that is not a metadata document is a
/// failure that names every URL tried, and a document that names another issuer is reported.
@Suite("Discovery on a broken server", .timeLimit(.minutes(2)))
struct DiscoveryTests {
    @Test("200 with something that is not a JSON object is a discovery failure naming every URL tried, never a pass",
          arguments: ["not-json", "json-array"])
    func notAnObject(scenario: String) async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: scenario)
            let (_, record) = try await HostileTarget.run(path, only: ["https.metadata-endpoints", "client-auth.secret-required"])
            let urls = Metadata.candidateURLs(issuer: "\(server.http)/_/idp/\(scenario)")
            #expect(urls.count == 3)
            for result in record.results {
                #expect(result.verdict == .error, "\(result.displayID): \(result.verdict) \(result.message)")
                #expect(result.message.contains("metadata discovery failed"), "\(result.message)")
            }
            let targets = try #require(try HostileTarget.json(record)["targets"] as? [[String: Any]])
            let failure = try #require(targets.first?["discovery_failure"] as? String, "recorded in the results file")
            for url in urls { #expect(failure.contains(url), "\(failure)") }
            #expect(failure.contains("not a JSON object"), "\(failure)")
        }
    }

    @Test("a metadata issuer that is not the configured one is reported: run record, console, JSON (RFC 8414 §3.3)")
    func wrongIssuer() async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: "wrong-issuer")
            let json = path.replacingOccurrences(of: ".yaml", with: ".json")
            let run = try CommandLineTests.oauthprobe(["run", "--target", path, "--suite", TestSupport.suitesFolder,
                                                       "--only", "https.metadata-endpoints", "--json", json],
                                                      environment: HostileTarget.environment.merging(["NO_COLOR": "1"]) { $1 })
            #expect(run.output.contains("hostile-wrong-issuer") && run.output.contains("https://issuer.example/elsewhere"), "\(run.output)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
            let target = try #require((document["targets"] as? [[String: Any]])?.first)
            let problems = try #require(target["discovery_problems"] as? [String], "\(target)")
            #expect(problems.contains { $0.contains("https://issuer.example/elsewhere") && $0.contains("\(server.http)/_/idp/wrong-issuer") },
                    "\(problems)")
        }
    }
}
