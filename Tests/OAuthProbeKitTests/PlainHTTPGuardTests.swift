import Foundation
import Testing
@testable import OAuthProbeKit

/// No credential goes over plain http to a host that is not loopback, in whatever form it
/// travels. `probe.localhost` is such a host to oauthprobe (only `localhost`, `127.*` and `[::1]`
/// are loopback by name), yet libcurl resolves it to 127.0.0.1: whatever would leak reaches the
/// fault server's log, where the test looks for it.
@Suite("The plain-http guard", .timeLimit(.minutes(2)))
struct PlainHTTPGuardTests {
    static let password = HostileTarget.password
    static let session = HostileTarget.environment["HOSTILE_SESSION"]!

    /// A sign-in that carries a credential, and the bytes that must not reach the server.
    struct Leak: CustomTestStringConvertible, Sendable {
        var name: String
        var login: String
        var bytes: String
        var testDescription: String { name }
    }

    static func steps(_ call: String) -> String {
        """
        login:
          strategy: steps
          sign_in:
            - { method: POST, url: "http://probe.localhost:PORT/_/idp/plain/api/auth", \(call) }
        """
    }

    static let leaks = [
        Leak(name: "a base64 password in a custom header", login: steps(#"headers: { X-Credentials: "{{user.password | base64}}" }"#),
             bytes: Data(password.utf8).base64EncodedString()),
        Leak(name: "an upper-case password in a custom header", login: steps(#"headers: { X-Password: "{{user.password | upper}}" }"#),
             bytes: password.uppercased()),
        Leak(name: "a percent-encoded password in the body", login: steps(#"body: "password={{user.password | percent_encode}}""#),
             bytes: password.utf8.map { $0 == UInt8(ascii: "/") ? "/" : String(format: "%%%02X", $0) }.joined()),
        Leak(name: "a JSON password in the body", login: steps(#"body: '{"password": {{user.password | json}}}'"#),
             bytes: "\"password\""),
        Leak(name: "a Cookie header", login: steps(#"headers: { Cookie: "session=from-another-browser" }"#),
             bytes: "from-another-browser"),
        Leak(name: "a session cookie in the jar", login: """
            login: { strategy: cookie, cookie: { name: sessionid, value: "${env:HOSTILE_SESSION}" } }
            """, bytes: session),
    ]

    @Test("a credential is refused over plain http to a host that is not loopback", arguments: leaks)
    func refused(leak: Leak) async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: "plain", host: "probe.localhost",
                                               login: leak.login.replacingOccurrences(of: "PORT", with: "\(server.port)"))
            let (_, record) = try await HostileTarget.run(path, only: ["authz.state-echoed"])
            let result = try #require(record.results.first)
            #expect(result.verdict == .error)
            #expect(result.message.contains("plain http to probe.localhost"), "\(result.message)")
            let log = try await server.log()
            #expect(!log.isEmpty, "discovery, which carries nothing, still went out")
            #expect(!log.contains { $0.text.contains(leak.bytes) }, "\(leak.name) reached the server")
        }
    }
}
