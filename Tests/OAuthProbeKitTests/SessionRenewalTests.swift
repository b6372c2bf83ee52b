import Foundation
import Testing
@testable import OAuthProbeKit

/// The shared session on a real server that forgets it: django-oauth-toolkit's sessions are
/// deleted from its database while a run is under way, as a restart with a cleared session
/// store would leave them.
@Suite("Session renewal on a live server", .enabled(if: ReferenceServers.enabled, "set OAUTHPROBE_REFERENCE_SERVERS=1 (scripts/test does)"))
struct SessionRenewalTests {
    /// Deletes every Django session of DOT hardened (sqlite, as the server's own store).
    static func forgetSessions() {
        let database = ReferenceServers.servers.appendingPathComponent("dot/state/db-hardened.sqlite3").path
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import sqlite3, sys; db = sqlite3.connect(sys.argv[1], timeout=20); "
                            + "db.execute('DELETE FROM django_session'); db.commit()", database]
        try? python.run()
        python.waitUntilExit()
    }

    final class Once: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false
        func first() -> Bool { lock.withLock { defer { done = true }; return !done } }
    }

    @Test("a session the server forgets mid-run is signed into again, once, and every verdict stands")
    func renewedOnce() async throws {
        // After the other runs on DOT hardened: their sessions must not be taken from under them.
        _ = await ReferenceServers.run.value
        _ = try await ReportReferenceTests.cli.value
        let inputs = Inputs.load(targets: [ReferenceServers.targetFiles[0]], suites: [TestSupport.suitesFolder])
        let plan = Planner.plan(targets: inputs.targets, suites: inputs.suites,
                                only: ["redirect-uri.unregistered", "authz.state-echoed", "flows.implicit-disabled"])
        let once = Once()
        let record = await Runner(options: RunOptions(concurrency: 2)).run(plan, progress: { _ in
            if once.first() { Self.forgetSessions() }
        })
        #expect(record.targets.first?.load.signIns == 2, "one sign-in, then one after the sessions were deleted")
        let expected = Dictionary(uniqueKeysWithValues: expectedVerdicts.filter { $0.target == "dot-hardened" }.map { ($0.id, $0.verdict) })
        for result in record.results {
            #expect(result.verdict == expected[result.displayID], "\(result.displayID): \(result.message)")
        }
    }
}
