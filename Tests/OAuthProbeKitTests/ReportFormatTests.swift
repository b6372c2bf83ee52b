import Foundation
import Testing
@testable import OAuthProbeKit

/// A two-target run with every kind of outcome, hostile text included, for the report formats.
enum SampleRun {
    static let secretFingerprint = Fingerprint.of("s3cret-value")

    static func result(_ id: String, variant: String? = nil, _ verdict: Verdict, target: String, severity: Severity = .high,
                       message: String = "expected tokens: none, got tokens issued <b>&</b>") -> ProbeResult {
        ProbeResult(target: target, suite: "pkce", probeID: id, variant: variant, title: "A public client without PKCE gets no tokens",
                    practice: "Secure Redirect URIs", refs: ["RFC 9700 §2.1.1", "RFC 7636 §4.4.1", "OpenID Connect Core §3.1"],
                    severity: severity, verdict: verdict, message: message,
                    evidence: [RecordedExchange(step: "redeem", method: "POST", url: "https://idp.example/token",
                                                requestHeaders: ["Content-Type: application/x-www-form-urlencoded", "Authorization: Basic \(Fingerprint.of("d2ViOnMzY3JldA=="))"],
                                                requestBody: "grant_type=authorization_code&code=\(Fingerprint.of("the-code"))&client_secret=\(secretFingerprint)",
                                                status: 200, responseHeaders: ["Content-Type: application/json"],
                                                responseBody: #"{"access_token": "\#(Fingerprint.of("the-token"))"} ```"#, milliseconds: 12,
                                                transportError: nil,
                                                clientAuthentication: AuthenticatedClient(role: "confidential", clientID: "web", method: "client_secret_basic",
                                                                                           secretOrigin: "${env:WEB_SECRET}"),
                                                placeholders: [secretFingerprint: "${env:WEB_SECRET}"])],
                    duration: .milliseconds(1_234), location: SourceLocation(file: "Suites/pkce.yaml", line: 12, column: 5))
    }

    static func record(staging: Verdict = .pass, metadata: [String: JSONValue] = [:]) -> RunRecord {
        let results = [
            result("pkce.required-public", staging, target: "staging"),
            result("pkce.required-public", .fail, target: "production"),
            result("redirect-uri.unregistered", variant: "host-case", .fail, target: "staging", severity: .critical),
            result("redirect-uri.unregistered", variant: "host-case", .fail, target: "production", severity: .critical),
            result("refresh.public-client-denied", .error, target: "staging", message: "sign-in failed"),
            result("refresh.public-client-denied", .skip, target: "production", message: "the target has no client role public"),
        ]
        let document: [String: JSONValue] = [
            "issuer": .string("https://idp.example"), "token_endpoint": .string("https://idp.example/token"),
            "code_challenge_methods_supported": .array([.string("S256")]),
        ].merging(metadata) { $1 }
        return RunRecord(targets: ["staging", "production"].map {
            .init(name: $0, issuer: "https://idp.example", metadata: .object(document), metadataURL: "https://idp.example/.well-known/openid-configuration")
        }, results: results, started: Date(timeIntervalSince1970: 1_700_000_000), finished: Date(timeIntervalSince1970: 1_700_000_060))
    }

    static func document(_ record: RunRecord) throws -> ResultsDocument {
        try JSONReport.read(JSONReport.render(record), file: "results.json")
    }
}

@Suite("Report formats")
struct ReportFormatTests {
    @Test("JSON: versioned, read back whole, metadata kept as fetched")
    func jsonRoundTrip() throws {
        let record = SampleRun.record()
        let text = String(decoding: JSONReport.render(record), as: UTF8.self)
        #expect(text.contains(#""schema_version" : 1"#))
        #expect(text.contains(#""client_id" : "web""#) && text.contains(#""duration_seconds" : 1.234"#))
        let document = try SampleRun.document(record)
        #expect(document.results.count == record.results.count)
        #expect(document.results[2].name == "redirect-uri.unregistered[host-case]")
        #expect(document.targets[0].metadata?["code_challenge_methods_supported"] == .array([.string("S256")]))
        #expect(document.targets[1].counts == ResultsDocument.Counts(pass: 0, fail: 2, error: 0, skip: 1, waived: 0))
        #expect(document.results[1].evidence[0].clientAuthentication?.clientID == "web")
        #expect(throws: JSONReport.ReadFailure.self) {
            try JSONReport.read(Data(text.replacingOccurrences(of: #""schema_version" : 1"#, with: #""schema_version" : 99"#).utf8), file: "x")
        }
        #expect(throws: JSONReport.ReadFailure.self) { try JSONReport.read(Data("{}".utf8), file: "x") }
    }

    @Test("curl replays: the run's CA file, cookies as placeholders, and where each code, token and cookie comes from")
    func replay() throws {
        let code = Fingerprint.of("the-code"), token = Fingerprint.of("the-token"), verifier = Fingerprint.of("the-verifier")
        let authorize = RecordedExchange(step: "authorize", method: "GET", url: "https://idp.example/authorize?client_id=web",
                                         requestHeaders: [], requestBody: nil, status: 302,
                                         responseHeaders: ["Set-Cookie: sid=\(Fingerprint.of("session-value")); Path=/; HttpOnly",
                                                           "Location: https://web.example/cb?code=\(code)&state=xyz"],
                                         responseBody: nil, milliseconds: 5, transportError: nil)
        let redeem = RecordedExchange(step: "redeem", method: "POST", url: "https://idp.example/token", requestHeaders: [],
                                      requestBody: "grant_type=authorization_code&code=\(code)&code_verifier=\(verifier)", status: 200,
                                      responseHeaders: [], responseBody: #"{"access_token": "\#(token)", "token_type": "Bearer"}"#,
                                      milliseconds: 5, transportError: nil)
        let resource = RecordedExchange(step: "resource", method: "GET", url: "https://api.example/me",
                                        requestHeaders: ["Host: api.example", "Authorization: Bearer \(token)", "Cookie: sid=\(Fingerprint.of("session-value")); theme=dark"],
                                        requestBody: nil, status: 200, responseHeaders: [], responseBody: "{}", milliseconds: 5,
                                        transportError: nil, caFile: FileManager.default.currentDirectoryPath + "/tls/ca.pem")
        let text = CurlCommand.replay(resource, after: [authorize, redeem])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "curl -i --path-as-is --cacert 'tls/ca.pem' -H 'Authorization: Bearer \(token)' -H 'Cookie: sid=${cookie:sid}; theme=dark' 'https://api.example/me'")
        #expect(lines[1].hasPrefix("# ${cookie:sid}: the cookie 'sid', set by step 'authorize' (Set-Cookie); sign in as the probe user"))
        #expect(lines[2] == "# \(token): the access_token from the response of step 'redeem': repeat that step for a fresh one")
        let redeemAgain = CurlCommand.replay(redeem, after: [authorize]).split(separator: "\n").map(String.init)
        #expect(redeemAgain[1].hasPrefix("# \(code): the code in the redirect (Location) of step 'authorize': repeat that step"))
        #expect(redeemAgain[2].hasPrefix("# \(verifier): a code_verifier the harness made for this run"))
    }

    @Test("curl: client secret and other target secrets as placeholders, shell-quoted")
    func curl() throws {
        let exchange = SampleRun.result("a.b", .fail, target: "t").evidence[0]
        let command = CurlCommand.of(exchange)
        #expect(command.hasPrefix("curl -i --path-as-is -u 'web:${env:WEB_SECRET}' -H 'Content-Type: application/x-www-form-urlencoded' --data-raw"))
        #expect(command.contains("client_secret=${env:WEB_SECRET}"))
        #expect(!command.contains("Authorization") && !command.contains(SampleRun.secretFingerprint))
        var quoted = exchange
        quoted.url = "https://idp.example/it's"
        #expect(CurlCommand.of(quoted).hasSuffix(#"'https://idp.example/it'\''s'"#))
    }

    @Test("spec links from refs", arguments: [
        ("RFC 9700 §4.1.3", "https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3"),
        ("RFC 6749 §10.4", "https://www.rfc-editor.org/rfc/rfc6749#section-10.4"),
        ("RFC 7636", "https://www.rfc-editor.org/rfc/rfc7636"),
        ("RFC 8414 §A", "https://www.rfc-editor.org/rfc/rfc8414#appendix-A"),
    ])
    func specLinks(ref: String, url: String) {
        #expect(SpecLinks.url(for: ref) == url)
    }

    @Test("spec links: refs that are not RFCs get none")
    func noLink() { #expect(SpecLinks.url(for: "OpenID Connect Core §3.1") == nil) }

    @Test("SARIF: a rule per probe, a result per failure at its suite line, a run per target")
    func sarif() throws {
        let data = SARIFReport.render(SampleRun.record(), root: "/work/repo")
        let log = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        let runs = try #require(log["runs"] as? [[String: Any]])
        let ids = runs.compactMap { ($0["automationDetails"] as? [String: Any])?["id"] as? String }
        #expect(ids == ["oauthprobe/staging/", "oauthprobe/production/"])
        let production = runs[1]
        let rules = try #require(((production["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String } == ["pkce.required-public", "redirect-uri.unregistered", "refresh.public-client-denied"])
        for rule in rules {
            #expect((rule["shortDescription"] as? [String: Any])?["text"] != nil)
            #expect((rule["fullDescription"] as? [String: Any])?["text"] != nil)
            #expect((rule["help"] as? [String: Any])?["text"] != nil)
            #expect((rule["properties"] as? [String: Any])?["security-severity"] as? String != nil)
        }
        let results = try #require(production["results"] as? [[String: Any]])
        #expect(results.map { $0["ruleId"] as? String } == ["pkce.required-public", "redirect-uri.unregistered"])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""startLine" : 12"#) && text.contains(#""uri" : "Suites/pkce.yaml""#))
        #expect(text.contains(#""security-severity" : "9.5""#))
    }

    @Test("Markdown: a blank line after every </details>, so the next heading stays a heading; URLs in code spans, never links")
    func markdownBlocks() {
        var record = SampleRun.record()
        record.results[1].message = "the browser was sent to https://evil.example/cb?code=x&a=*b*|c"
        let text = MarkdownReport.render(record)
        let lines = text.components(separatedBy: "\n")
        for index in lines.indices where lines[index] == "</details>" {
            #expect(index + 1 < lines.count && lines[index + 1].isEmpty, "line \(index + 2) follows </details>")
        }
        #expect(text.contains("| `https://idp.example` |"), "the issuer cell")
        #expect(text.contains("> the browser was sent to `https://evil.example/cb?code=x&a=*b*`\\|c"))
    }

    @Test("Markdown: totals, matrix, findings with links; a hostile body cannot close its fence")
    func markdown() {
        let text = MarkdownReport.render(SampleRun.record())
        #expect(text.hasPrefix("## oauthprobe: 3 failures on 2 targets"))
        #expect(text.contains("| probe | staging | production |"))
        #expect(text.contains("| `pkce.required-public` | ✅ pass | ❌ fail |"))
        #expect(text.contains("[RFC 9700 §2.1.1](https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1)"))
        #expect(text.contains("&lt;b&gt;&amp;&lt;/b&gt;"))
        #expect(text.contains("````text"), "the body holds ``` so the fence is longer")
    }

    @Test("HTML: self-contained, escaped, with summary, matrix and findings linked to the spec")
    func html() {
        let page = HTMLReport.render(SampleRun.record())
        for forbidden in ["<script", "<link", "src=", "@import", "url("] { #expect(!page.contains(forbidden), "\(forbidden)") }
        #expect(page.contains("<caption>by practice</caption>") && page.contains("<caption>failures by severity</caption>"))
        #expect(page.contains("<h2>Probe × target</h2>") && page.contains(#"<th scope="col">staging</th><th scope="col">production</th>"#))
        #expect(page.contains(#"<a href="https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1">RFC 9700 §2.1.1</a>"#))
        #expect(page.contains("got tokens issued &lt;b&gt;&amp;&lt;/b&gt;") && !page.contains("<b>&</b>"))
        #expect(page.contains("<h2>Findings (4)</h2>"), "3 failures and an error")
    }

    @Test("HTML: landmarks and table headers for screen readers; every pass and skip reason in plain text")
    func htmlAccessibility() throws {
        let page = HTMLReport.render(SampleRun.record())
        #expect(page.contains("<main>") && page.contains("</main>"))
        let tables = page.components(separatedBy: "<table").count - 1
        #expect(tables == 5 && page.components(separatedBy: "<thead>").count - 1 == tables, "every table has a header row")
        let headers = page.matches(of: #/<th[ >]/#).count
        #expect(headers == page.matches(of: #/<th scope="(col|row)">/#).count, "every header cell has a scope")
        #expect(page.contains("<h2>Passes and skips (2)</h2>"))
        #expect(page.contains(#"<td class="v-skip">skip</td><td>the target has no client role public</td>"#))
        #expect(page.contains(#"<td class="v-pass">pass</td><td>expected tokens: none, got tokens issued &lt;b&gt;&amp;&lt;/b&gt;</td>"#))
    }

    @Test("console: findings with reason and curl, a matrix for several targets, plain without colour")
    func console() {
        let record = SampleRun.record()
        let text = ConsoleReport(colour: false).summary(record.results, targets: ["staging", "production"])
        #expect(!text.contains("\u{1B}"))
        #expect(text.contains("  FAIL   production  pkce.required-public\n      expected tokens: none, got tokens issued <b>&</b>\n      reproduce: curl -i"))
        #expect(text.contains("probe                                 staging  production"))
        #expect(text.hasSuffix("staging: 1 pass, 1 fail, 1 error, 0 skip\nproduction: 0 pass, 2 fail, 0 error, 1 skip"))
        #expect(ConsoleReport(colour: true).summary(record.results, targets: ["staging"]).contains("\u{1B}[31;1m"))
        #expect(!ConsoleReport.isInteractive(environment: ["NO_COLOR": "1"]))
    }
}

@Suite("diff of two results files")
struct DiffTests {
    @Test("verdicts bucketed: new failures, resolved, changed, still failing")
    func buckets() throws {
        let before = try SampleRun.document(SampleRun.record(staging: .pass))
        let after = try SampleRun.document(SampleRun.record(staging: .fail))
        let diff = ResultsDiff.compare(before, after)
        let staging = try #require(diff.pairs.first { $0.before == "staging" })
        #expect(staging.newFailures.map(\.name) == ["pkce.required-public"])
        #expect(staging.stillFailing.map(\.name) == ["redirect-uri.unregistered[host-case]"])
        #expect(staging.resolved.isEmpty && staging.changed.isEmpty)
        #expect(diff.drifts)
        let back = ResultsDiff.compare(after, before).pairs.first { $0.before == "staging" }
        #expect(back?.resolved.map(\.name) == ["pkce.required-public"])
    }

    @Test("identical files do not drift")
    func same() throws {
        let document = try SampleRun.document(SampleRun.record())
        let diff = ResultsDiff.compare(document, document)
        #expect(!diff.drifts)
        #expect(diff.render(before: "a.json", after: "a.json").hasSuffix("no drift"))
    }

    @Test("metadata: lists as sets, endpoints relative to the issuer, values compared")
    func metadata() throws {
        let a = try SampleRun.document(SampleRun.record(metadata: ["response_types_supported": .array([.string("code"), .string("token")])]))
        var b = try SampleRun.document(SampleRun.record(metadata: [
            "response_types_supported": .array([.string("token"), .string("code"), .string("id_token")]),
            "code_challenge_methods_supported": .array([.string("S256"), .string("plain")]),
            "token_endpoint": .string("https://other.example/token"),
        ]))
        // Another host serving the same paths is not drift.
        b.targets[1].issuer = "https://prod.example"
        b.targets[1].metadata = a.targets[1].metadata.map { _ in .object(["token_endpoint": .string("https://prod.example/token"),
                                                                           "response_types_supported": .array([.string("token"), .string("code")]),
                                                                           "code_challenge_methods_supported": .array([.string("S256")])]) }
        let diff = ResultsDiff.compare(a, b)
        let staging = try #require(diff.pairs.first { $0.before == "staging" })
        #expect(staging.metadata.map(\.key) == ["code_challenge_methods_supported", "response_types_supported", "token_endpoint"])
        #expect(staging.metadata[0].added == ["plain"] && staging.metadata[1].added == ["id_token"])
        #expect(staging.metadata[2].before == "{issuer}/token" && staging.metadata[2].after == "https://other.example/token")
        #expect(diff.pairs.first { $0.before == "production" }?.metadata.isEmpty == true)
    }
}

@Suite("HTML report in headless Chromium", .enabled(if: Chromium.available, "chromium is not installed (scripts/install-deps installs it)"))
struct HTMLInChromiumTests {
    @Test("the summary, the matrix and every finding are visible; transcripts are folded")
    func rendered() throws {
        let text = try Chromium.renderedText(ofHTML: HTMLReport.render(SampleRun.record()))
        #expect(text.contains("oauthprobe report"))
        #expect(text.contains("Probe × target") && text.contains("by practice") && text.contains("failures by severity"))
        #expect(text.contains("pkce.required-public on production"))
        #expect(text.contains("redirect-uri.unregistered[host-case] on staging"))
        #expect(text.contains("Expected vs actual") && text.contains("got tokens issued <b>&</b>"))
        #expect(text.contains("curl -i --path-as-is -u 'web:${env:WEB_SECRET}'"))
        #expect(text.contains("Transcript (1 exchange, redacted)") && !text.contains("> POST https://idp.example/token"),
                "the transcript stays folded until opened")
    }
}

/// GitHub's own renderer (cmark-gfm, as GitHub renders step summaries and comments).
enum GFM {
    static let renderer = try? executableOnPath("cmark-gfm")
}

@Suite("Markdown in cmark-gfm", .enabled(if: GFM.renderer != nil, "cmark-gfm is not installed (scripts/install-deps installs it)"))
struct MarkdownInGFMTests {
    static func render(_ markdown: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: GFM.renderer!)
        // --unsafe keeps raw HTML (<details>) as GitHub does; its sanitizer runs later.
        process.arguments = ["--unsafe", "-e", "table", "-e", "autolink"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(markdown.utf8))
        try input.fileHandleForWriting.close()
        let html = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: html, as: UTF8.self)
    }

    @Test("every finding's heading renders as a heading, tables as tables, and no server URL becomes a link")
    func headings() throws {
        var record = SampleRun.record()
        record.results[1].message = "the browser was sent to https://evil.example/cb"
        let html = try Self.render(MarkdownReport.render(record))
        #expect(html.matches(of: #/<h4>/#).count == 4, "three failures and an error: \(html)")
        #expect(!html.contains("####"), "no heading left as text")
        #expect(html.contains("<table>") && html.contains("<h3>Findings</h3>"))
        #expect(html.contains("<code>https://evil.example/cb</code>") && !html.contains(#"href="https://evil.example"#))
        #expect(html.contains(#"<a href="https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1">"#), "spec links stay links")
    }
}
