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
                reason: accepted until the upgrade
                expires: 2030-02-30
              - probe: redirect-uri.*
                reason: ""
                expires: 2020-01-01
                owner: me
              - target: staging
                reason: x
                expires: 2031-01-01
            """, named: "baseline.yaml")
        let (baseline, diagnostics) = BaselineLoader(today: "2025-01-01").load(file: path)
        #expect(baseline == nil)
        #expect(TestSupport.positions(diagnostics) == [
            "4:14: error: waiver expires must be a date as YYYY-MM-DD, not '2030-02-30'",
            "6:13: error: waiver reason must say why the failure is accepted",
            "7:14: warning: waiver expired on 2020-01-01: the failures it covered count again",
            "8:5: error: waiver: unknown key 'owner'",
            "9:5: error: waiver: missing 'probe'",
        ])
    }

    @Test("validate recognises a baseline file by its waivers: key")
    func validate() throws {
        let path = try TestSupport.write("waivers:\n  - { probe: pkce.required-public, reason: known, expires: 2999-01-01 }\n", named: "baseline.yaml")
        #expect(Inputs.validate(files: [path]).isEmpty)
        let broken = try TestSupport.write("waivers:\n  - { probe: pkce.required-public, expires: tomorrow }\n", named: "baseline.yaml")
        #expect(TestSupport.positions(Inputs.validate(files: [broken])) == [
            "2:5: error: waiver: missing 'reason'",
            "2:45: error: waiver expires must be a date as YYYY-MM-DD, not 'tomorrow'",
        ])
    }
}
