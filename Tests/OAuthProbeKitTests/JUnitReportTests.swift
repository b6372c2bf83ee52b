import Foundation
import Testing
@testable import OAuthProbeKit

@Suite("JUnit report")
struct JUnitReportTests {
    static func result(_ id: String, variant: String? = nil, _ verdict: Verdict, target: String = "staging",
                       message: String = "why", file: String = "Suites/x.yaml") -> ProbeResult {
        ProbeResult(target: target, suite: "redirect-uris", probeID: id, variant: variant, title: "A title",
                    practice: "Secure Redirect URIs", refs: ["RFC 9700 §4.1.3"], severity: .high, verdict: verdict,
                    message: message,
                    evidence: [RecordedExchange(step: "s", method: "GET", url: "https://idp/x?a=1&b=<2>", requestHeaders: ["Accept: text/html"],
                                                requestBody: nil, status: 400, responseHeaders: [], responseBody: "bad \u{0} body \u{1B}[31m ]]>",
                                                milliseconds: 12, transportError: nil)],
                    duration: .milliseconds(12), location: SourceLocation(file: file, line: 3, column: 5))
    }

    static let started = Date(timeIntervalSince1970: 1_700_000_000)

    static func record(_ results: [ProbeResult]) -> RunRecord {
        RunRecord(targets: ["staging", "production"].map { .init(name: $0, issuer: "https://idp.example.com") },
                  results: results, started: started, finished: started.addingTimeInterval(60))
    }

    @Test("validates against the JUnit schema, hostile text included")
    func validatesAgainstSchema() throws {
        let results = ["staging", "production"].flatMap { target in [
            Self.result("redirect-uri.unregistered", variant: "other-host", .pass, target: target),
            Self.result("redirect-uri.unregistered", variant: "host-case", .fail, target: target, message: "got <code> & \"more\"\u{0}\u{7}"),
            Self.result("pkce.required-public", .error, target: target, message: "timeout"),
            Self.result("refresh.public-client-denied", .skip, target: target, message: "the target has no client role public"),
        ] }
        let xml = JUnitReport.render(Self.record(results))
        let problems = XMLSchemaValidator.validate(xml: xml, schemaPath: TestSupport.junitSchema)
        #expect(problems.isEmpty, "\(problems)")
        let text = String(decoding: xml, as: UTF8.self)
        #expect(text.contains(#"<testcase name="redirect-uri.unregistered[host-case]" classname="staging.redirect-uris" time="0.012">"#))
        #expect(text.contains(#"<failure type="redirect-uri.unregistered""#))
        #expect(text.contains(#"<testsuite name="production.redirect-uris" tests="4" failures="1" errors="1""#))
        #expect(!text.contains("\u{0}") && !text.contains("\u{1B}"))
    }

    @Test("each testsuite names its suite file relative to the working folder (the schema allows file= on testsuite, not on testcase) and when the run started")
    func fileAndTimestamp() throws {
        let absolute = FileManager.default.currentDirectoryPath + "/Suites/x.yaml"
        let text = String(decoding: JUnitReport.render(Self.record([Self.result("a.b", .fail, file: absolute)])), as: UTF8.self)
        #expect(text.contains(#"timestamp="2023-11-14T22:13:20Z" file="Suites/x.yaml">"#))
        #expect(text.contains("Probe: Suites/x.yaml:3:5"), "bodies name the probe by a relative path too")
        #expect(!text.contains(absolute))
    }

    @Test("a skip carries its reason as text as well as in its message")
    func skippedText() throws {
        let text = String(decoding: JUnitReport.render(Self.record([Self.result("a.b", .skip, message: "the target has no user to sign in")])), as: UTF8.self)
        #expect(text.contains(#"<skipped message="the target has no user to sign in">the target has no user to sign in</skipped>"#))
    }

    @Test("testcase names are unique within each testsuite")
    func uniqueNames() throws {
        let results = [Self.result("a.b", variant: "x", .pass), Self.result("a.b", variant: "y", .pass), Self.result("a.c", .pass)]
        let text = String(decoding: JUnitReport.render(Self.record(results)), as: UTF8.self)
        let names = text.matches(of: #/<testcase name="([^"]+)"/#).map { String($0.1) }
        #expect(names == ["a.b[x]", "a.b[y]", "a.c"])
    }
}
