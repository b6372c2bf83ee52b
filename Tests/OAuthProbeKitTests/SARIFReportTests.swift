import Foundation
import Testing
@testable import OAuthProbeKit

/// What code scanning needs so alerts open, stay open and close for the right reasons.
@Suite("SARIF for code scanning")
struct SARIFReportTests {
    static func runs(_ record: RunRecord, root: String = "/work/repo") throws -> [[String: Any]] {
        let log = try #require(try JSONSerialization.jsonObject(with: SARIFReport.render(record, root: root)) as? [String: Any])
        return try #require(log["runs"] as? [[String: Any]])
    }

    static func region(_ result: [String: Any]) -> [String: Any]? {
        (((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"] as? [String: Any])
    }

    static func uri(_ result: [String: Any]) -> String? {
        ((((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["artifactLocation"] as? [String: Any])?["uri"] as? String)
    }

    @Test("a probe that errored is an open result and makes the run unsuccessful, with a notification")
    func errors() throws {
        let staging = try Self.runs(SampleRun.record())[0]
        let results = try #require(staging["results"] as? [[String: Any]])
        let open = try #require(results.first { $0["ruleId"] as? String == "refresh.public-client-denied" })
        #expect(open["kind"] as? String == "open" && open["level"] as? String == "none")
        let invocation = try #require((staging["invocations"] as? [[String: Any]])?.first)
        #expect(invocation["executionSuccessful"] as? Bool == false)
        let notes = try #require(invocation["toolExecutionNotifications"] as? [[String: Any]])
        #expect((notes.first?["message"] as? [String: Any])?["text"] as? String == "refresh.public-client-denied could not be evaluated. sign-in failed")
        let production = try Self.runs(SampleRun.record())[1]
        #expect((production["invocations"] as? [[String: Any]])?.first?["executionSuccessful"] as? Bool == true)
    }

    @Test("a discovery failure makes the run unsuccessful")
    func discoveryFailure() throws {
        var record = SampleRun.record()
        record.targets[1].metadata = nil
        record.targets[1].discoveryFailure = "https://idp.example/.well-known/openid-configuration: connection refused"
        let invocation = try #require((try Self.runs(record)[1]["invocations"] as? [[String: Any]])?.first)
        #expect(invocation["executionSuccessful"] as? Bool == false)
    }

    @Test("a waived failure is a result with an accepted suppression carrying the reason")
    func waived() throws {
        var record = SampleRun.record()
        record.results = Baseline(file: "baseline.yaml", waivers: [Waiver(probe: "pkce.required-public", target: "production",
                                                                          reason: "vendor ticket 4711", expires: "2999-06-30",
                                                                          location: SourceLocation(file: "baseline.yaml", line: 2, column: 5))])
            .apply(to: record.results, today: "2030-01-01")
        let results = try #require(try Self.runs(record)[1]["results"] as? [[String: Any]])
        let suppressed = try #require(results.first { $0["ruleId"] as? String == "pkce.required-public" })
        let suppression = try #require((suppressed["suppressions"] as? [[String: Any]])?.first)
        #expect(suppression["kind"] as? String == "external" && suppression["status"] as? String == "accepted")
        #expect((suppression["justification"] as? String)?.hasPrefix("vendor ticket 4711 (until 2999-06-30)") == true)
        #expect(((suppressed["message"] as? [String: Any])?["text"] as? String)?.hasPrefix("pkce.required-public fails on production, waived until 2999-06-30. ") == true)
    }

    @Test("fingerprints depend only on target and id[variant]; the message opens with one short sentence")
    func fingerprints() throws {
        let first = try #require(try Self.runs(SampleRun.record())[1]["results"] as? [[String: Any]])
        var moved = SampleRun.record()
        moved.results = moved.results.map { var r = $0; r.location.line += 40; r.message = "another wording"; return r }
        let second = try #require(try Self.runs(moved, root: "/elsewhere")[1]["results"] as? [[String: Any]])
        let hashes = first.map { ($0["partialFingerprints"] as? [String: Any])?["primaryLocationLineHash"] as? String }
        #expect(hashes == second.map { ($0["partialFingerprints"] as? [String: Any])?["primaryLocationLineHash"] as? String })
        #expect(Set(hashes).count == hashes.count && hashes.allSatisfy { $0?.wholeMatch(of: #/[0-9a-f]{16}:1/#) != nil })
        let text = try #require((first[0]["message"] as? [String: Any])?["text"] as? String)
        #expect(text.hasPrefix("pkce.required-public fails on production. A public client without PKCE gets no tokens: expected tokens"))
    }

    @Test("a region spans the probe's id or variant, with end line and column")
    func region() throws {
        let results = try #require(try Self.runs(SampleRun.record())[1]["results"] as? [[String: Any]])
        let plain = try #require(Self.region(results[0])), variant = try #require(Self.region(results[1]))
        #expect(plain["startLine"] as? Int == 12 && plain["endLine"] as? Int == 12)
        #expect(plain["startColumn"] as? Int == 5 && plain["endColumn"] as? Int == 5 + "id: pkce.required-public".count)
        #expect(variant["endColumn"] as? Int == 5 + "variant: host-case".count)
    }

    @Test("suites installed outside the repository: results point at the target file's issuer line, relative to the repository")
    func installedSuites() throws {
        var record = SampleRun.record()
        record.results = record.results.map { var r = $0; r.location.file = "/usr/local/share/oauthprobe/Suites/pkce.yaml"; return r }
        record.targets[1].file = "/work/repo/targets/production.yaml"
        record.targets[1].issuerLocation = SourceLocation(file: "/work/repo/targets/production.yaml", line: 2, column: 1)
        let results = try #require(try Self.runs(record)[1]["results"] as? [[String: Any]])
        #expect(results.allSatisfy { Self.uri($0) == "targets/production.yaml" })
        let region = try #require(Self.region(results[0]))
        #expect(region["startLine"] as? Int == 2 && region["endColumn"] as? Int == 1 + "issuer: https://idp.example".count)
        // A target file outside the repository too: the suite file, wherever it is.
        let inside = try Self.runs(record, root: "/somewhere/else")[1]["results"] as? [[String: Any]]
        #expect(inside?.first.flatMap(Self.uri) == "file:///usr/local/share/oauthprobe/Suites/pkce.yaml")
    }
}
