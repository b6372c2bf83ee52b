import Foundation
import Testing
@testable import OAuthProbeKit

/// The bundled reference servers, started by `scripts/test` (which sets OAUTHPROBE_REFERENCE_SERVERS=1).
/// When that variable is set, a server that is not answering fails these tests rather than skipping them.
enum ReferenceServers {
    static let enabled = ProcessInfo.processInfo.environment["OAUTHPROBE_REFERENCE_SERVERS"] == "1"
    static let servers = TestSupport.repositoryRoot.appendingPathComponent("Tests/Servers")
    static let targetFiles = ["dot/targets/hardened", "dot/targets/permissive", "glewlwyd/targets/strict", "glewlwyd/targets/lax"]
        .map { servers.appendingPathComponent("\($0).yaml").path }

    /// One run of every suite on all four targets, shared by the tests below.
    static let results = Task { () -> [ProbeResult] in
        let inputs = Inputs.load(targets: targetFiles, suites: [TestSupport.suitesFolder])
        precondition(!inputs.hasErrors, "\(inputs.diagnostics)")
        return await Runner(options: RunOptions(concurrency: 4, timeout: .seconds(20)))
            .run(Planner.plan(targets: inputs.targets, suites: inputs.suites)).results
    }

    /// Every secret the fixtures hold: client secrets, the user's password, Glewlwyd's admin password.
    static var secrets: [String] {
        ["dot", "glewlwyd"].flatMap { server -> [String] in
            let folder = servers.appendingPathComponent("\(server)/state/secrets")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.compactMap { try? String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }
}

/// What one probe variant must conclude on one target, and the server setting that makes it so.
struct ExpectedVerdict: Sendable, CustomTestStringConvertible {
    var target: String
    var id: String
    var verdict: Verdict
    var because: String

    var testDescription: String { "\(target) \(id) → \(verdict.rawValue)" }
}

let redirectVariants = ["other-host", "subdomain", "userinfo", "other-port", "http-scheme", "path-suffix", "trailing-slash",
                        "dot-segments", "encoded-path", "path-case", "host-case", "extra-query", "fragment", "wildcard-host"]

/// django-oauth-toolkit (Tests/Servers/dot/dotserver/settings.py).
let dotVerdicts: [ExpectedVerdict] = ["dot-hardened", "dot-permissive"].flatMap { target -> [ExpectedVerdict] in
    let hardened = target == "dot-hardened"
    var table = redirectVariants.map { variant in
        variant == "host-case"
            ? ExpectedVerdict(target: target, id: "redirect-uri.unregistered[host-case]", verdict: .fail,
                              because: "DOT compares the lower-cased hostname, so https://PUBLIC.CLIENT.TEST/cb gets a code: not exact string matching (RFC 9700 §4.1.3), in both modes")
            : ExpectedVerdict(target: target, id: "redirect-uri.unregistered[\(variant)]", verdict: .pass,
                              because: "DOT's redirect_to_uri_allowed compares scheme, netloc, path and query with the registered URI in both modes: a 400 page, no redirect")
    }
    table += [
        ExpectedVerdict(target: target, id: "pkce.required-public", verdict: hardened ? .pass : .fail,
                        because: hardened ? "PKCE_REQUIRED=True: the authorize request without a code_challenge is refused with invalid_request"
                                          : "PKCE_REQUIRED=False: the code is issued and redeems without a verifier"),
        ExpectedVerdict(target: target, id: "refresh.public-client-denied", verdict: hardened ? .pass : .fail,
                        because: hardened ? "OAUTH2_VALIDATOR_CLASS=NoPublicRefreshValidator strips refresh tokens from public clients' token responses"
                                          : "DOT's default validator issues refresh tokens to public clients and honours them"),
        ExpectedVerdict(target: target, id: "token-reuse.code-cross-client[victim-redirect-uri]", verdict: .pass,
                        because: "DOT binds a grant to its application: another client's redemption gets invalid_grant in both modes"),
        ExpectedVerdict(target: target, id: "token-reuse.code-cross-client[own-redirect-uri]", verdict: .pass,
                        because: "DOT binds a grant to its application: another client's redemption gets invalid_grant in both modes"),
        ExpectedVerdict(target: target, id: "token-reuse.refresh-cross-client", verdict: .pass,
                        because: "DOT looks a refresh token up together with the authenticated client: invalid_grant in both modes"),
    ]
    return table
}

/// Glewlwyd 2.7.5 (Tests/Servers/glewlwyd/provision.py sets the OIDC plugin of each mode).
let glewlwydVerdicts: [ExpectedVerdict] = ["glewlwyd-strict", "glewlwyd-lax"].flatMap { target -> [ExpectedVerdict] in
    let strict = target == "glewlwyd-strict"
    var table = redirectVariants.map {
        ExpectedVerdict(target: target, id: "redirect-uri.unregistered[\($0)]", verdict: .pass,
                        because: "Glewlwyd compares redirect_uri with the client's list as exact strings: 403 with an empty body, no redirect, in both modes")
    }
    table += [
        ExpectedVerdict(target: target, id: "pkce.required-public", verdict: strict ? .pass : .fail,
                        because: strict ? "pkce-required-public-client=true: authorize without a challenge redirects with error=invalid_request"
                                        : "pkce-required-public-client=false: the code is issued and redeems without a verifier"),
        ExpectedVerdict(target: target, id: "refresh.public-client-denied", verdict: strict ? .pass : .fail,
                        because: strict ? "probe-public lacks the refresh_token authorization_type: its refresh token is refused (400)"
                                        : "probe-public holds the refresh_token authorization_type: refreshing gives a new access token"),
        ExpectedVerdict(target: target, id: "token-reuse.code-cross-client[victim-redirect-uri]", verdict: .pass,
                        because: "Glewlwyd checks the code's client: 403 unauthorized_client in both modes"),
        ExpectedVerdict(target: target, id: "token-reuse.code-cross-client[own-redirect-uri]", verdict: .pass,
                        because: "Glewlwyd checks the code's client and redirect_uri: 403 invalid_code in both modes"),
        ExpectedVerdict(target: target, id: "token-reuse.refresh-cross-client", verdict: .pass,
                        because: "Glewlwyd checks the refresh token's client: 400 in both modes"),
    ]
    return table
}

let expectedVerdicts = dotVerdicts + glewlwydVerdicts

@Suite("Verdicts on the live reference servers", .enabled(if: ReferenceServers.enabled, "set OAUTHPROBE_REFERENCE_SERVERS=1 (scripts/test does)"),
       .serialized)
struct ReferenceServerTests {
    @Test("every probe variant has the verdict its server's settings cause", arguments: expectedVerdicts)
    func verdict(_ expected: ExpectedVerdict) async throws {
        let results = await ReferenceServers.results.value
        let result = try #require(results.first { $0.target == expected.target && $0.displayID == expected.id })
        #expect(result.verdict == expected.verdict, "\(expected.because) — got: \(result.message)")
    }

    @Test("the table covers every result, and the modes differ where their settings differ")
    func coverage() async {
        let results = await ReferenceServers.results.value
        #expect(results.count == expectedVerdicts.count)
        for (strict, lax) in [("dot-hardened", "dot-permissive"), ("glewlwyd-strict", "glewlwyd-lax")] {
            for id in ["pkce.required-public", "refresh.public-client-denied"] {
                let verdicts = results.filter { $0.displayID == id && [strict, lax].contains($0.target) }.map(\.verdict)
                #expect(Set(verdicts).count == 2, "\(id) must differ between \(strict) and \(lax)")
            }
        }
        #expect(!results.contains { $0.verdict == .error }, "\(results.filter { $0.verdict == .error }.map(\.message))")
    }

    @Test("evidence and messages hold no secret, password, code or token")
    func redaction() async {
        let results = await ReferenceServers.results.value
        let secrets = ReferenceServers.secrets
        #expect(secrets.count >= 5)
        let text = results.map { ReportText.details(of: $0) }.joined(separator: "\n")
            + String(decoding: JUnitReport.render(results, targets: []), as: UTF8.self)
        for secret in secrets { #expect(!text.contains(secret)) }
        // Every token field and code parameter the servers sent shows as a fingerprint.
        let bare = text.matches(of: #/"(access_token|refresh_token|id_token)"\s*:\s*"([^"‹]{6,})/#).map { String($0.2) }
            + text.matches(of: #/[?&#](code|access_token)=([^&\s‹]{6,})/#).map { String($0.2) }
        #expect(bare.isEmpty, "unredacted: \(bare.prefix(3))")
        #expect(text.contains("‹sha256:"))
    }

    @Test("the main job: exit 1, valid JUnit with the five probes for both targets, no secret on the console")
    func mainJob() async throws {
        let junit = FileManager.default.temporaryDirectory.appendingPathComponent("oauthprobe-\(UUID().uuidString).xml").path
        var arguments = ["run", "--junit", junit, "--suite", TestSupport.suitesFolder]
        for file in ReferenceServers.targetFiles { arguments += ["--target", file] }
        let run = try CommandLineTests.oauthprobe(arguments, environment: ["NO_COLOR": "1"])
        #expect(run.status == 1, "the permissive server fails probes: \(run.errors)")
        let xml = try Data(contentsOf: URL(fileURLWithPath: junit))
        #expect(XMLSchemaValidator.validate(xml: xml, schemaPath: TestSupport.junitSchema).isEmpty)
        let text = String(decoding: xml, as: UTF8.self)
        for target in ["dot-hardened", "dot-permissive", "glewlwyd-strict", "glewlwyd-lax"] {
            for id in ["redirect-uri.unregistered[other-host]", "pkce.required-public", "refresh.public-client-denied",
                       "token-reuse.code-cross-client[own-redirect-uri]", "token-reuse.refresh-cross-client"] {
                #expect(text.contains("name=\"\(id)\" classname=\"\(target)."), "\(id) on \(target)")
            }
        }
        for secret in ReferenceServers.secrets {
            #expect(!run.output.contains(secret) && !run.errors.contains(secret) && !text.contains(secret))
        }
    }
}
