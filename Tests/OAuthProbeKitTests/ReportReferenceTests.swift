import Foundation
import Testing
@testable import OAuthProbeKit

/// The issue's "done": every format from one run on the reference servers, checked as its reader
/// would check it; `diff` between the hardened and permissive results; a waiver until its expiry;
/// and no secret, code or token in any artifact or on the console.
@Suite("Reports from the live reference servers", .enabled(if: ReferenceServers.enabled, "set OAUTHPROBE_REFERENCE_SERVERS=1 (scripts/test does)"),
       .serialized)
struct ReportReferenceTests {
    struct Artifacts: Sendable {
        var folder: URL
        var console: String
        var status: Int32
        func text(_ name: String) throws -> String { try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) }
    }

    /// Every format of the shared in-process run on all four targets, written as `run` writes them:
    /// one live run serves the verdict, format, diff and redaction tests.
    static let reports = Task { () throws -> URL in
        let (inputs, record, _) = await ReferenceServers.run.value
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("oauthprobe-reports-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let rendered: [(String, Data)] = [
            ("junit.xml", JUnitReport.render(record)), ("results.json", JSONReport.render(record)),
            ("report.html", Data(HTMLReport.render(record).utf8)), ("summary.md", Data(MarkdownReport.render(record).utf8)),
            ("results.sarif", SARIFReport.render(record)),
        ]
        for (name, data) in rendered { try data.write(to: folder.appendingPathComponent(name)) }
        return folder
    }

    static func text(_ name: String) async throws -> String {
        try String(contentsOf: try await reports.value.appendingPathComponent(name), encoding: .utf8)
    }

    /// `oauthprobe run` end to end with every format on, as a CI job would run it: one target and a
    /// few probes, one of them failing, so the exit status and every file can be checked.
    static let cli = Task { () throws -> Artifacts in
        // After the shared in-process run: two runs at once would race on the same user's grants.
        _ = await ReferenceServers.run.value
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("oauthprobe-cli-\(UUID().uuidString)")
        var arguments = ["run", "--suite", TestSupport.suitesFolder, "--target", ReferenceServers.targetFiles[0],
                         "--only", "redirect-uri.unregistered*", "--only", "token-reuse.code-cross-client*", "--only", "client-auth.*"]
        for (flag, name) in [("--junit", "junit.xml"), ("--json", "results.json"), ("--html", "report.html"), ("--markdown", "summary.md"), ("--sarif", "results.sarif")] {
            arguments += [flag, folder.appendingPathComponent(name).path]
        }
        let run = try CommandLineTests.oauthprobe(arguments, environment: ["NO_COLOR": "1"])
        return Artifacts(folder: folder, console: run.output + run.errors, status: run.status)
    }

    static let files = ["junit.xml", "results.json", "report.html", "summary.md", "results.sarif"]

    @Test("run writes every format and exits 1 on a finding")
    func commandLine() async throws {
        let run = try await Self.cli.value
        #expect(run.status == 1, "\(run.console)")
        for name in Self.files {
            #expect(try !run.text(name).isEmpty, "\(name)")
        }
        let junit = try Data(contentsOf: run.folder.appendingPathComponent("junit.xml"))
        #expect(XMLSchemaValidator.validate(xml: junit, schemaPath: TestSupport.junitSchema).isEmpty)
        #expect(run.console.contains("FAIL   dot-hardened  redirect-uri.unregistered[host-case]"), "\(run.console)")
        #expect(run.console.contains("dot-hardened load: "), "\(run.console)")
    }

    @Test("valid JUnit, SARIF with the required fields, Markdown, and HTML that Chromium shows with its findings")
    func everyFormat() async throws {
        let junit = Data(try await Self.text("junit.xml").utf8)
        #expect(XMLSchemaValidator.validate(xml: junit, schemaPath: TestSupport.junitSchema).isEmpty)

        let sarif = try #require(try JSONSerialization.jsonObject(with: Data(try await Self.text("results.sarif").utf8)) as? [String: Any])
        #expect(sarif["version"] as? String == "2.1.0")
        let runs = try #require(sarif["runs"] as? [[String: Any]])
        let ids = runs.compactMap { ($0["automationDetails"] as? [String: Any])?["id"] as? String }
        #expect(ids == ["dot-hardened", "dot-permissive", "glewlwyd-strict", "glewlwyd-lax"].map { "oauthprobe/\($0)/" })
        let failures = expectedVerdicts.filter { $0.verdict == .fail }
        #expect(runs.map { ($0["results"] as? [Any])?.count ?? -1 }.reduce(0, +) == failures.count)
        for result in runs.flatMap({ $0["results"] as? [[String: Any]] ?? [] }) {
            let location = ((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
            #expect(((location?["artifactLocation"] as? [String: Any])?["uri"] as? String)?.hasSuffix(".yaml") == true)
            #expect(((location?["region"] as? [String: Any])?["startLine"] as? Int ?? 0) > 0)
        }

        let markdown = try await Self.text("summary.md")
        #expect(markdown.contains("| probe | dot-hardened | dot-permissive | glewlwyd-strict | glewlwyd-lax |"))
        #expect(markdown.contains("| `pkce.required-public` | ✅ pass | ❌ fail | ✅ pass | ❌ fail |"))

        let junitText = String(decoding: junit, as: UTF8.self)
        for target in ["dot-hardened", "dot-permissive", "glewlwyd-strict", "glewlwyd-lax"] {
            for id in ["redirect-uri.unregistered[other-host]", "pkce.required-public", "refresh.public-client-denied",
                       "token-reuse.code-cross-client[own-redirect-uri]", "token-reuse.refresh-cross-client"] {
                #expect(junitText.contains("name=\"\(id)\" classname=\"\(target)."), "\(id) on \(target)")
            }
        }

        let shown = try Chromium.renderedText(ofHTML: try await Self.text("report.html"))
        for failure in failures {
            #expect(shown.contains("\(failure.id) on \(failure.target)"), "\(failure.testDescription)")
        }
        #expect(shown.contains("Probe × target") && shown.contains("Expected vs actual"))
    }

    @Test("diff between the two configurations of a server lists exactly the probes whose verdicts differ, and exits 1",
          arguments: [("dot-hardened", "dot-permissive"), ("glewlwyd-strict", "glewlwyd-lax")])
    func diff(strict: String, lax: String) async throws {
        let folder = try await Self.reports.value
        let document = try JSONReport.read(file: folder.appendingPathComponent("results.json").path)
        func only(_ target: String) throws -> String {
            var single = document
            single.targets = document.targets.filter { $0.name == target }
            single.results = document.results.filter { $0.target == target }
            let path = folder.appendingPathComponent("\(target).json").path
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.dateEncodingStrategy = .iso8601
            try encoder.encode(single).write(to: URL(fileURLWithPath: path))
            return path
        }
        let (before, after) = (try only(strict), try only(lax))
        let drift = try CommandLineTests.oauthprobe(["diff", before, after])
        #expect(drift.status == 1, "\(drift.errors)")
        let verdicts = expectedVerdicts.filter { $0.target == strict || $0.target == lax }
        func verdict(_ target: String, _ id: String) -> Verdict? { verdicts.first { $0.target == target && $0.id == id }?.verdict }
        let ids = Set(verdicts.map(\.id))
        let differing = ids.filter { verdict(strict, $0) != verdict(lax, $0) }
        let stillFailing = ids.filter { verdict(strict, $0) == .fail && verdict(lax, $0) == .fail }
        #expect(differing.isSuperset(of: ["pkce.required-public", "refresh.public-client-denied"]))
        let listed = drift.output.matches(of: #/(?m)^    ([a-z-]+\.[a-z-]+(?:\[[a-z-]+\])?): [a-z]+ → [a-z]+$/#).map { String($0.1) }
        #expect(Set(listed) == differing.union(stillFailing), "\(drift.output)")
        let newFailures = differing.filter { verdict(lax, $0) == .fail }
        #expect(drift.output.contains("  New failures (\(newFailures.count))"), "\(drift.output)")
        let same = try CommandLineTests.oauthprobe(["diff", before, before])
        #expect(same.status == 0 && same.output.hasSuffix("no drift\n"))
    }

    @Test("a baseline waives the host-case failure until its expiry, and flags a waiver on a passing probe as stale")
    func baseline() async throws {
        func run(expires: String) throws -> (CommandLineTests.Run, String) {
            let baseline = try TestSupport.write("""
                waivers:
                  - probe: redirect-uri.unregistered[host-case]
                    target: dot-hardened
                    reason: DOT compares host names case-insensitively
                    expires: \(expires)
                  - probe: token-reuse.refresh-cross-client
                    reason: was failing before the upgrade
                    expires: 2999-01-01
                """, named: "baseline.yaml")
            let junit = baseline.replacingOccurrences(of: "baseline.yaml", with: "junit.xml")
            let arguments = ["run", "--suite", TestSupport.suitesFolder, "--target", ReferenceServers.targetFiles[0], "--baseline", baseline,
                             "--only", "redirect-uri.*", "--only", "token-reuse.refresh-cross-client", "--junit", junit]
            return (try CommandLineTests.oauthprobe(arguments, environment: ["NO_COLOR": "1"]), try String(contentsOfFile: junit, encoding: .utf8))
        }
        let (waived, junit) = try run(expires: "2999-12-31")
        #expect(waived.status == 0, "the only failure is waived: \(waived.output)")
        #expect(junit.contains(#"<skipped type="waived" message="DOT compares host names case-insensitively (until 2999-12-31)">"#))
        #expect(waived.output.contains("WAIVED dot-hardened  redirect-uri.unregistered[host-case]"))
        #expect(waived.output.contains("stale waiver (until 2999-01-01): the probe passes now"))
        let (expired, _) = try run(expires: "2001-01-01")
        #expect(expired.status == 1)
        #expect(expired.output.contains("waiver expired on 2001-01-01: DOT compares host names case-insensitively"))
    }

    @Test("no secret, password, code or token the run saw appears in any artifact or on the console")
    func redaction() async throws {
        // The shared in-process run, so the debug-only witness holds every value its redactors learned.
        let (inputs, record, progress) = await ReferenceServers.run.value
        let console = ConsoleReport(colour: false)
        var artifacts = [
            String(decoding: JUnitReport.render(record), as: UTF8.self),
            String(decoding: JSONReport.render(record), as: UTF8.self),
            HTMLReport.render(record), MarkdownReport.render(record),
            String(decoding: SARIFReport.render(record), as: UTF8.self),
            progress, console.summary(record.results, targets: inputs.targets.map(\.name)),
        ]
        let cli = try await Self.cli.value
        artifacts.append(cli.console)
        artifacts += try Self.files.map(cli.text)

        let witnessed = Redactor.witnessLock.withLock { Redactor.witness }
        let secrets = ReferenceServers.secrets
        let targetSecrets = inputs.targets.flatMap(\.secrets).map(\.value)
        #expect(secrets.count >= 5 && targetSecrets.count >= 5 && targetSecrets.allSatisfy(witnessed.contains))
        #expect(witnessed.count > 100, "codes and tokens of the run: \(witnessed.count)")
        let codes = record.results.flatMap(\.evidence).map(\.transcript).joined().matches(of: #/code=‹sha256/#).count
        #expect(codes > 0, "the run saw authorization codes")
        let cookies = record.results.flatMap(\.evidence).flatMap(\.requestHeaders).filter { $0.hasPrefix("Cookie: ") }
        #expect(!cookies.isEmpty && cookies.allSatisfy { $0.contains("=‹sha256:") }, "the browser's cookies are in the evidence, redacted")
        // Every encoding of every value, scanned in one pass over the artifacts.
        var encodings: [String: String] = [:]
        for value in witnessed.union(secrets) {
            for encoding in SecretEncodings.all(value) { encodings[encoding.text] = "a value of \(value.count) characters (\(Fingerprint.of(value))), \(encoding.name)," }
        }
        for (text, artifact) in TestSupport.occurrences(of: Set(encodings.keys), in: artifacts) {
            Issue.record("\(encodings[text]!) appears in artifact \(artifact)")
        }
    }
}

/// Progress lines gathered from the runner's callbacks.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }
}
