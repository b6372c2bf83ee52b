import Foundation
import Testing
@testable import OAuthProbeKit

private let validReport = """
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="oauthprobe" tests="2" failures="1" errors="0" time="1.250">
  <testsuite name="pkce" tests="2" failures="1" errors="0" skipped="0" time="1.250" timestamp="2025-01-01T00:00:00Z">
    <properties>
      <property name="target" value="https://auth.example"/>
    </properties>
    <testcase name="plain method refused" classname="pkce" time="0.500"/>
    <testcase name="S256 required" classname="pkce" time="0.750">
      <failure type="expectation" message="expected 400, got 302">status 302 &lt;redirect&gt; — é</failure>
      <system-out>GET /authorize?code_challenge_method=plain</system-out>
    </testcase>
  </testsuite>
</testsuites>
"""

@Suite("XML: schema check against junit-10.xsd")
struct XMLSchemaTests {
    let schema = TestSupport.junitSchema

    @Test("the schema is where the tests expect it")
    func schemaPresent() {
        #expect(FileManager.default.fileExists(atPath: schema), "missing \(schema)")
    }

    @Test("a valid report has no problems")
    func valid() {
        #expect(XMLSchemaValidator.validate(xml: Data(validReport.utf8), schemaPath: schema) == [])
    }

    @Test("a missing required attribute is reported with its line", arguments: [
        // (what to remove, the line of the element that loses it, the attribute)
        (#" name="plain method refused""#, 7, "name"),
        (#" failures="1" errors="0" skipped="0""#, 3, "failures"),
        (#" value="https://auth.example""#, 5, "value"),
    ])
    func missingAttribute(removing: String, line: Int, attribute: String) throws {
        let broken = validReport.replacingOccurrences(of: removing, with: "")
        #expect(broken != validReport)
        let problems = XMLSchemaValidator.validate(xml: Data(broken.utf8), schemaPath: schema)
        let first = try #require(problems.first)
        #expect(first.hasPrefix("line \(line): "), "\(problems)")
        #expect(first.contains("'\(attribute)'") && first.contains("required"), "\(problems)")
    }

    @Test("an element the schema does not allow is reported")
    func unexpectedElement() throws {
        let broken = validReport.replacingOccurrences(of: "<system-out>", with: "<stdout/><system-out>")
        let problems = XMLSchemaValidator.validate(xml: Data(broken.utf8), schemaPath: schema)
        let first = try #require(problems.first)
        #expect(first.hasPrefix("line 10: "), "\(problems)")
        #expect(first.contains("stdout"))
    }

    @Test("not-well-formed XML is reported with its line", arguments: [
        ("<testsuites>\n  <testsuite name=\"a\" tests=\"1\" failures=\"0\" errors=\"0\">\n  </testcase>\n</testsuites>", 3),
        ("<testsuites>\n<testsuite name=\"a & b\" tests=\"1\" failures=\"0\" errors=\"0\"/>\n</testsuites>", 2),
        ("<testsuites>\n\n\n<testsuite name=\"\u{1}\" tests=\"0\" failures=\"0\" errors=\"0\"/></testsuites>", 4),
        ("<testsuites>", 1),
    ])
    func notWellFormed(xml: String, line: Int) throws {
        let problems = XMLSchemaValidator.validate(xml: Data(xml.utf8), schemaPath: schema)
        let first = try #require(problems.first)
        #expect(first.hasPrefix("line \(line): "), "\(problems)")
    }

    @Test("empty input and a missing schema are problems, not crashes")
    func degenerate() {
        #expect(!XMLSchemaValidator.validate(xml: Data(), schemaPath: schema).isEmpty)
        let missing = XMLSchemaValidator.validate(xml: Data(validReport.utf8), schemaPath: "/nonexistent.xsd")
        #expect(missing.contains { $0.hasPrefix("line 0: schema /nonexistent.xsd could not be loaded") }, "\(missing)")
    }

    @Test("agrees with xmllint on the same inputs")
    func agreesWithXmllint() async throws {
        guard let xmllint = try? executableOnPath("xmllint") else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oauthprobe-xsd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.xml")
        let bad = directory.appendingPathComponent("bad.xml")
        try Data(validReport.utf8).write(to: good)
        try Data(validReport.replacingOccurrences(of: #" name="plain method refused""#, with: "").utf8).write(to: bad)
        try await runCommand(xmllint, ["--noout", "--schema", schema, good.path], in: directory)
        await #expect(throws: (any Error).self) {
            try await runCommand(xmllint, ["--noout", "--schema", schema, bad.path], in: directory)
        }
    }
}
