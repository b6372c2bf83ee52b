import Foundation
import Testing
@testable import OAuthProbeKit

/// Sign-in by a session cookie from the environment, on the live Glewlwyd strict server.
@Suite("Sign-in strategies on a live server", .enabled(if: ReferenceServers.enabled, "set OAUTHPROBE_REFERENCE_SERVERS=1 (scripts/test does)"))
struct SignInStrategyTests {
    static let target = TestSupport.repositoryRoot.appendingPathComponent("Tests/Fixtures/glewlwyd-strict-cookie.yaml").path

    /// Signs the user in as a person would in a browser, and returns the session cookie's value.
    static func sessionCookie() async throws -> String {
        let password = try String(contentsOf: ReferenceServers.servers.appendingPathComponent("glewlwyd/state/secrets/user-password"), encoding: .utf8)
        let body = try JSONSerialization.data(withJSONObject: ["username": "probe-user", "password": password])
        let agent = try HTTPAgent(settings: TransportSettings(allowInsecureHTTP: true))
        let response = try await agent.send(HTTPRequest(method: "POST", url: "http://127.0.0.1:4601/api/auth/",
                                                        headers: [HTTPHeader(name: "Content-Type", value: "application/json")], body: body))
        try #require(response.status == 200)
        let cookie = try #require(response.headers(named: "Set-Cookie").first { $0.hasPrefix("GLEWLWYD_STRICT_SESSION_ID=") })
        return String(cookie.dropFirst("GLEWLWYD_STRICT_SESSION_ID=".count).prefix { $0 != ";" })
    }

    static func run(session: String) async -> [ProbeResult] {
        let inputs = Inputs.load(targets: [target], suites: [TestSupport.suitesFolder], environment: ["OAUTHPROBE_GLEWLWYD_SESSION": session])
        precondition(!inputs.hasErrors, "\(inputs.diagnostics)")
        let plan = Planner.plan(targets: inputs.targets, suites: inputs.suites, only: ["authz.state-echoed", "pkce.required-public"])
        return await Runner(options: RunOptions(concurrency: 1)).run(plan).results
    }

    @Test("a session cookie from the environment signs the browser in; a dead one is an error, never a pass")
    func cookie() async throws {
        // After the other runs: Glewlwyd takes one run at a time.
        _ = try await ReportReferenceTests.cli.value
        let session = try await Self.sessionCookie()
        let results = await Self.run(session: session)
        #expect(results.map(\.verdict) == [.pass, .pass], "\(results.map(\.message))")
        #expect(!results.flatMap(\.evidence).map(\.transcript).joined().contains(session), "the session cookie is a secret")

        let dead = await Self.run(session: "oauthprobe-no-such-session-0123456789")
        #expect(dead.map(\.verdict) == [.error, .error], "\(dead.map(\.message))")
    }
}
