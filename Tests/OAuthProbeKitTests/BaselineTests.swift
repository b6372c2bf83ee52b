import Foundation
import Testing
@testable import OAuthProbeKit

@Suite("Baselines: waivers that expire")
struct BaselineTests {
    static func waiver(_ probe: String, target: String? = nil, expires: String = "2030-06-30") -> Waiver {
        Waiver(probe: probe, target: target, reason: "upstream bug #12", expires: expires,
               location: SourceLocation(file: "baseline.yaml", line: 2, column: 5))
    }

    @Test("what a waiver does to a result", arguments: [
        // (waiver probe, waiver target, expires, today, verdict before, verdict after, waiver kind)
        ("redirect-uri.unregistered[host-case]", nil, "2030-06-30", "2030-06-30", Verdict.fail, Verdict.skip, WaiverStatus.Kind.waived),
        ("redirect-uri.*", nil, "2030-06-30", "2030-01-01", .fail, .skip, .waived),
        ("redirect-uri.unregistered", "stag*", "2030-06-30", "2030-01-01", .fail, .skip, .waived),
        ("redirect-uri.unregistered[host-case]", nil, "2030-06-30", "2030-07-01", .fail, .fail, .expired),
        ("redirect-uri.unregistered[host-case]", nil, "2030-06-30", "2030-01-01", .pass, .pass, .stale),
        ("redirect-uri.unregistered[host-case]", "production", "2030-06-30", "2030-01-01", .fail, .fail, nil),
        ("pkce.*", nil, "2030-06-30", "2030-01-01", .fail, .fail, nil),
        ("redirect-uri.unregistered[host-case]", nil, "2030-06-30", "2030-01-01", .error, .error, nil),
    ] as [(String, String?, String, String, Verdict, Verdict, WaiverStatus.Kind?)])
    func apply(probe: String, target: String?, expires: String, today: String, before: Verdict, after: Verdict, kind: WaiverStatus.Kind?) {
        let result = SampleRun.result("redirect-uri.unregistered", variant: "host-case", before, target: "staging")
        let baseline = Baseline(file: "baseline.yaml", waivers: [Self.waiver(probe, target: target, expires: expires)])
        let applied = baseline.apply(to: [result], today: today)[0]
        #expect(applied.verdict == after)
        #expect(applied.waiver?.kind == kind)
    }

    @Test("a waiver that names a step waives the failure at that step only", arguments: [
        // (waiver step, the step that failed, verdict before, verdict after, waiver kind)
        ("authorize", "authorize", Verdict.fail, Verdict.skip, WaiverStatus.Kind?.some(.waived)),
        ("authorize", "tokens", .fail, .fail, nil),
        (nil, "tokens", .fail, .skip, .waived),
        ("authorize", nil, .pass, .pass, .stale),
    ] as [(String?, String?, Verdict, Verdict, WaiverStatus.Kind?)])
    func stepWaiver(step: String?, failedAt: String?, before: Verdict, after: Verdict, kind: WaiverStatus.Kind?) {
        var result = SampleRun.result("redirect-uri.unregistered", variant: "host-case", before, target: "staging")
        result.failedStep = failedAt
        var waiver = Self.waiver("redirect-uri.unregistered")
        waiver.step = step
        let baseline = Baseline(file: "baseline.yaml", waivers: [waiver])
        let applied = baseline.apply(to: [result], today: "2030-01-01")[0]
        #expect(applied.verdict == after)
        #expect(applied.waiver?.kind == kind)
        #expect(baseline.unused(by: [result]).isEmpty, "the waiver names the probe, whatever step failed")
    }

    @Test("a failure records the step whose expectation failed; other verdicts record none", .timeLimit(.minutes(1)))
    func failedStepRecorded() async throws {
        try await withFixtureServer { server in
            func probe(_ status: Int) -> String {
                """
                practice: Always Use HTTPS
                probes:
                  - id: fault.second-step
                    title: the second step's answer decides
                    refs: ["RFC 6749 §5.2"]
                    severity: low
                    steps:
                      - name: first
                        http: { url: "\(server.http)/_/answer?code=200" }
                        expect: { status: 200 }
                      - name: second
                        http: { url: "\(server.http)/_/answer?code=\(status)" }
                        expect: { status: 200 }
                """
            }
            let failed = try await RetryTests.run(suite: probe(403), on: server)
            #expect(failed.verdict == .fail && failed.failedStep == "second", "\(failed.message)")
            let passed = try await RetryTests.run(suite: probe(200), on: server)
            #expect(passed.verdict == .pass && passed.failedStep == nil, "\(passed.message)")
        }
    }

    @Test("the step that failed is kept in the JSON results and read back")
    func failedStepInResults() throws {
        var record = SampleRun.record()
        record.results[1].failedStep = "redeem"
        let document = try JSONSerialization.jsonObject(with: JSONReport.render(record)) as? [String: Any]
        let entries = try #require(document?["results"] as? [[String: Any]])
        #expect(entries[1]["failed_step"] as? String == "redeem")
        #expect(entries[0]["failed_step"] == nil)
        let path = try TestSupport.write(String(decoding: JSONReport.render(record), as: UTF8.self), named: "results.json")
        #expect(try JSONReport.record(file: path).results.map(\.failedStep) == [nil, "redeem", nil, nil, nil, nil])
    }

    @Test("a waived failure is a JUnit skip of type waived, valid, and does not fail the run; an expired one does")
    func junitAndExit() throws {
        let results = [SampleRun.result("pkce.required-public", .fail, target: "staging")]
        let waived = Baseline(file: "b", waivers: [Self.waiver("pkce.*")]).apply(to: results, today: "2030-01-01")
        let xml = JUnitReport.render(RunRecord(targets: [.init(name: "staging", issuer: "https://idp.example")], results: waived,
                                               started: Date(), finished: Date()))
        #expect(XMLSchemaValidator.validate(xml: xml, schemaPath: TestSupport.junitSchema).isEmpty)
        #expect(String(decoding: xml, as: UTF8.self).contains(#"<skipped type="waived" message="upstream bug #12 (until 2030-06-30)">"#))
        #expect(ExitStatus.of(waived) == ExitStatus.success)
        let expired = Baseline(file: "b", waivers: [Self.waiver("pkce.*", expires: "2029-12-31")]).apply(to: results, today: "2030-01-01")
        #expect(ExitStatus.of(expired) == ExitStatus.findings)
        #expect(ConsoleReport(colour: false).summary(expired, targets: ["staging"]).contains("waiver expired on 2029-12-31: upstream bug #12"))
    }

    @Test("the loader reports every problem at its place, and warns about expired waivers")
    func loaderProblems() throws {
        let path = try TestSupport.write("""
            waivers:
              - probe: pkce.required-public
                step: tokens
                reason: accepted until the upgrade
                expires: 2030-02-30
              - probe: redirect-uri.*
                step: authorize
                reason: ""
                expires: 2020-01-01
                owner: me
              - target: staging
                step: x
                reason: x
                expires: 2031-01-01
              - probe: pkce.*
                reason: any failure of these
                expires: 2031-01-01
            """, named: "baseline.yaml")
        let (baseline, diagnostics) = BaselineLoader(today: "2025-01-01").load(file: path)
        #expect(baseline == nil)
        #expect(TestSupport.positions(diagnostics) == [
            "5:14: error: waiver expires must be a date as YYYY-MM-DD, not '2030-02-30'",
            "8:13: error: waiver reason must say why the failure is accepted",
            "9:14: warning: waiver expired on 2020-01-01: the failures it covered count again",
            "10:5: error: waiver: unknown key 'owner'",
            "11:5: error: waiver: missing 'probe'",
            "15:5: warning: waiver names no step: a new failure at another step would also be waived",
        ])
    }

    @Test("validate recognises a baseline file by its waivers: key")
    func validate() throws {
        let path = try TestSupport.write("waivers:\n  - { probe: pkce.required-public, step: redeem, reason: known, expires: 2999-01-01 }\n", named: "baseline.yaml")
        #expect(Inputs.validate(files: [path]).isEmpty)
        let broken = try TestSupport.write("waivers:\n  - { probe: pkce.required-public, expires: tomorrow }\n", named: "baseline.yaml")
        #expect(TestSupport.positions(Inputs.validate(files: [broken])) == [
            "2:5: error: waiver: missing 'reason'",
            "2:5: warning: waiver names no step: a new failure at another step would also be waived",
            "2:45: error: waiver expires must be a date as YYYY-MM-DD, not 'tomorrow'",
        ])
    }
}
