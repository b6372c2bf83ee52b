import Foundation
import Testing
@testable import OAuthProbeKit

/// The run's one shared browser session: signed in once for many concurrent probes, and signed in
/// anew once when the server forgets it. The "server" here is a session epoch the flows compare
/// with the cookie their browser carries, so the test decides when sessions die.
@Suite("Shared browser session")
struct SharedSessionTests {
    /// The server side of the simulation: its current session, and every sign-in it saw.
    final class Server: @unchecked Sendable {
        private let lock = NSLock()
        private var epoch = 1
        private var signIns = 0

        /// Sessions from before a restart, or none at all, are refused from now on.
        func restart() { lock.withLock { epoch += 1 } }
        func signIn() -> String { lock.withLock { signIns += 1; return String(epoch) } }
        func accepts(_ session: String?) -> Bool { lock.withLock { session == String(epoch) } }
        var signInCount: Int { lock.withLock { signIns } }
    }

    static func agent() throws -> HTTPAgent { try HTTPAgent(settings: TransportSettings()) }

    /// One probe's authorization flow: a browser without a session signs in; one with a session
    /// gets an answer if the server still knows it, or finds the session lost.
    static func flow(_ browser: HTTPAgent, _ server: Server) -> (Bool) async throws -> TargetSession.FlowResult<Bool> {
        { hasSession in
            if !hasSession {
                browser.addCookie(name: "sid", value: server.signIn(), domain: "idp.example")
                return TargetSession.FlowResult(value: true, signedIn: true)
            }
            let carried = await browser.cookies().compactMap { $0.split(separator: "\t").last.map(String.init) }.last
            let answered = server.accepts(carried)
            return TargetSession.FlowResult(value: answered, sessionLost: !answered)
        }
    }

    static func session() -> TargetSession {
        let target = Target(name: "t", issuer: "https://idp.example", file: "t.yaml")
        return TargetSession(target: target, endpoints: EndpointMap(target: target, metadata: nil), maxRequestsPerSecond: nil)
    }

    static func runProbes(_ count: Int, on shared: TargetSession, _ server: Server) async throws -> [Bool] {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                let browser = try agent()
                group.addTask { try await shared.inSignedInBrowser(browser, seeded: false, flow(browser, server)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test("eight concurrent probes sign in once; after a server restart, once more, and every probe gets its answer")
    func renewedOnce() async throws {
        let server = Server()
        let shared = Self.session()
        #expect(try await Self.runProbes(8, on: shared, server).allSatisfy { $0 })
        #expect(server.signInCount == 1)
        server.restart()
        #expect(try await Self.runProbes(8, on: shared, server).allSatisfy { $0 })
        #expect(server.signInCount == 2)
    }

    @Test("a server that keeps forgetting its sessions gets a bounded number of renewals, then the lost answer stands")
    func renewalsBounded() async throws {
        let server = Server()
        let shared = Self.session()
        _ = try await Self.runProbes(1, on: shared, server)
        for _ in 0..<(TargetSession.renewals + 2) {
            server.restart()
            _ = try await Self.runProbes(1, on: shared, server)
        }
        #expect(server.signInCount == 1 + TargetSession.renewals)
        server.restart()
        #expect(try await Self.runProbes(3, on: shared, server) == [false, false, false])
    }
}
