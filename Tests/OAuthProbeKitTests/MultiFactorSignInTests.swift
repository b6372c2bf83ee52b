import Foundation
import Testing
@testable import OAuthProbeKit

/// Issue 19: DOT with an identifier-first sign-in and a TOTP second factor (django-otp), built the
/// way a Django operator would (Tests/Servers/dot, mode `mfa`): the form strategy signs in over its
/// three pages, once per run, and every verdict is hardened's, whose settings it shares.
@Suite("Sign-in over a user-name page, a password page and a TOTP page", .enabled(if: ReferenceServers.enabled, "set OAUTHPROBE_REFERENCE_SERVERS=1 (scripts/test does)"),
       .serialized)
struct MultiFactorSignInTests {
    static let target = ReferenceServers.servers.appendingPathComponent("dot/targets/mfa.yaml").path

    static func run(_ path: String, only: [String] = [], environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> RunRecord {
        let inputs = Inputs.load(targets: [path], suites: [TestSupport.suitesFolder], environment: environment)
        try #require(!inputs.hasErrors, "\(inputs.diagnostics)")
        return await Runner(options: RunOptions(concurrency: 4, timeout: .seconds(20)))
            .run(Planner.plan(targets: inputs.targets, suites: inputs.suites, only: only))
    }

    @Test("every probe variant gets hardened's verdict, after one sign-in through the three pages")
    func sameVerdictsAsHardened() async throws {
        let record = try await Self.run(Self.target)
        let hardened = Dictionary(uniqueKeysWithValues: await ReferenceServers.results.filter { $0.target == "dot-hardened" }.map { ($0.displayID, $0) })
        #expect(record.results.count == hardened.count)
        for result in record.results {
            #expect(result.verdict == hardened[result.displayID]?.verdict,
                    "\(result.displayID): \(result.verdict) \(result.message) — hardened: \(hardened[result.displayID]?.message ?? "none")")
        }
        let load = try #require(record.targets.first?.load)
        #expect(load.signIns == 1)
        // Shared steps copy their exchanges into every probe that reads them: each sign-in page once.
        var seen: Set<String> = []
        let signIn = record.results.flatMap(\.evidence).filter { $0.url.contains("/accounts/login/") && seen.insert("\($0.method) \($0.url)").inserted }
        let posts = signIn.filter { $0.method == "POST" }
        #expect(posts.count == 3, "the user name, the password, the code: \(posts.map(\.url))")
        print("dot-mfa: \(load.signIns) sign-in, \(posts.count) pages submitted in \(posts.map(\.milliseconds).reduce(0, +)) ms "
            + "(\(signIn.count) requests to the sign-in pages, signed-out probes' included)")
    }

    @Test("a wrong TOTP secret is an error naming the page that came back, never a verdict")
    func wrongSecret() async throws {
        let original = try String(contentsOfFile: Self.target, encoding: .utf8)
        let folder = (Self.target as NSString).deletingLastPathComponent
        let path = folder + "/mfa-wrong-totp.yaml"
        // Beside the real file, so its relative ${file:} and tls paths still resolve.
        try original.replacingOccurrences(of: #"totp: "${file:../state/secrets/user-totp}""#, with: #"totp: "${env:WRONG_TOTP}""#)
            .replacingOccurrences(of: "name: dot-mfa", with: "name: dot-mfa-wrong-totp")
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let record = try await Self.run(path, only: ["authz.state-echoed", "pkce.required-public"],
                                        environment: ["WRONG_TOTP": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"])
        #expect(record.results.count == 2)
        for result in record.results {
            #expect(result.verdict == .error, "\(result.displayID): \(result.verdict) \(result.message)")
            #expect(result.message.contains("came back after the one-time code was sent"), "\(result.message)")
        }
    }
}
