import Foundation
import Testing
@testable import OAuthProbeKit

/// A token endpoint that answers a byte every few seconds, fails every request or never stops
/// answering holds a run for a few failures, not for one (and its retries) per probe: after
/// `EndpointBreaker.threshold` in a row the run gives up on it, the probes that need it end in
/// `error` at once, naming it, and the others run. On the fault server, the whole catalogue.
@Suite("A sick server cannot hold a run", .timeLimit(.minutes(5)))
struct SickServerTests {
    static let concurrency = 4

    @Test("a token endpoint that answers a byte every 2 seconds, with the default timeout: a few timeouts at most, whatever the number of probes")
    func slowloris() async throws {
        try await withFixtureServer { server in
            let timeout = RunOptions().timeout
            let started = ContinuousClock.now
            let (inputs, record) = try await Self.run(scenario: "slow-token", on: server, timeout: timeout)
            let elapsed = ContinuousClock.now - started
            print("slow-token: \(record.results.count) probe variants in \(elapsed) with the default \(timeout) timeout")
            try await Self.expectGivenUp(record, inputs, server, scenario: "slow-token", because: "3 consecutive timeouts")
            // Each failure the breaker needs costs one timeout at most, in parallel as far as the
            // probes allow; the slack is for the rest of the catalogue on a busy machine.
            #expect(elapsed < timeout * EndpointBreaker.threshold + .seconds(60), "took \(elapsed)")
        }
    }

    @Test("a token endpoint that fails every request, or answers without end: given up after three, no probe tried again",
          arguments: [("failing-token", "3 consecutive answers with status 500"), ("endless-token", "3 consecutive answers larger than")])
    func failing(scenario: String, because: String) async throws {
        try await withFixtureServer { server in
            let started = ContinuousClock.now
            let (inputs, record) = try await Self.run(scenario: scenario, on: server, timeout: .seconds(20))
            print("\(scenario): \(record.results.count) probe variants in \(ContinuousClock.now - started)")
            try await Self.expectGivenUp(record, inputs, server, scenario: scenario, because: because)
            #expect(record.targets[0].load.retries == 0, "a probe alone would meet the same endpoint")
        }
    }

    @Test("the breaker counts failures in a row at one endpoint: an answer resets the count, nothing reopens it, other endpoints are apart")
    func breaker() {
        let breaker = EndpointBreaker()
        let token = "https://idp.example/token"
        breaker.recordFailure(.timeout, at: token + "?a=1")
        breaker.record(status: 502, at: token)
        breaker.record(status: 400, at: token)
        breaker.recordFailure(.timeout, at: token)
        breaker.recordFailure(.transport, at: token)
        breaker.recordFailure(.timeout, at: "https://idp.example/userinfo")
        #expect(breaker.refusal(for: token) == nil, "two in a row since the last answer")
        breaker.record(status: 503, at: token + "?grant=x")
        #expect(breaker.refusal(for: token + "?other=query") == "3 consecutive failures (timeout, transport failure, status 503) at \(token): the run sends nothing more there")
        breaker.record(status: 200, at: token)
        #expect(breaker.refusal(for: token) != nil, "an answer in flight when it tripped does not reopen it")
        #expect(breaker.refusal(for: "https://idp.example/userinfo") == nil)
        #expect(breaker.reasons.count == 1)
    }

    static func run(scenario: String, on server: FixtureServer, timeout: Duration) async throws -> (Inputs, RunRecord) {
        let path = try HostileTarget.write(server: server, scenario: scenario)
        return try await HostileTarget.run(path, only: ["*"], concurrency: concurrency, timeout: timeout)
    }

    /// Every probe that needs the token endpoint is an error naming it; the others are decided
    /// as on a healthy server; the endpoint got at most a failure per probe in flight beyond the
    /// threshold, whatever the number of probes; the load records why it was given up.
    static func expectGivenUp(_ record: RunRecord, _ inputs: Inputs, _ server: FixtureServer, scenario: String, because: String) async throws {
        let token = "\(server.http)/_/idp/\(scenario)/token"
        let plan = Planner.plan(targets: inputs.targets, suites: inputs.suites, only: ["*"])
        try #require(plan.items.count == record.results.count)
        var needing = 0
        for (item, result) in zip(plan.items, record.results) where item.skipReason == nil {
            if item.probe.endpoints.contains(.token) {
                needing += 1
                // One that started before the endpoint was given up may be decided by a step before it.
                let decidedBefore = result.verdict != .error && !result.evidence.contains { $0.url.hasPrefix(token) }
                #expect(decidedBefore || result.verdict == .error && result.message.contains(token), "\(result.displayID): \(result.verdict) \(result.message)")
            } else {
                #expect(!result.message.contains(because), "\(result.displayID) does not need the token endpoint: \(result.message)")
            }
        }
        #expect(needing > 20, "enough probes to tell a bound per probe from one per run")
        let givenUp = record.results.filter { $0.message.hasPrefix("\(because)") }
        #expect(givenUp.count >= needing - concurrency - EndpointBreaker.threshold, "most end at once, before sending: \(givenUp.count) of \(needing)")
        #expect(givenUp.allSatisfy { $0.message.hasSuffix("at \(token): the run sends nothing more there") && $0.evidence.isEmpty })
        #expect(record.results.first { $0.probeID == "authz.state-echoed" }?.verdict == .pass, "a probe that does not need it still runs")
        #expect(record.results.allSatisfy { $0.attempts == 1 })
        let sent = try await server.settledLog().filter { $0.target.hasPrefix("/_/idp/\(scenario)/token") }.count
        #expect(sent <= EndpointBreaker.threshold + concurrency, "requests to the token endpoint: \(sent)")
        let load = try #require(record.targets.first?.load.endpointsGivenUp)
        #expect(load.count == 1 && load[0].hasPrefix(because) && load[0].contains(token), "\(load)")
        print("\(scenario): \(sent) requests reached the token endpoint; \(givenUp.count) of \(needing) probes that need it ended before sending")
    }
}

/// `--deadline`: past it, what runs is stopped and what has not run is `error`, and every report
/// is still written and says so.
@Suite("The run's deadline", .timeLimit(.minutes(2)))
struct DeadlineTests {
    @Test("a run past its deadline stops probes in flight and leaves the rest unrun, both error, in every report and on the console")
    func deadline() async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: "slow-token")
            // A timeout no request reaches, so only the deadline can end the run early.
            let timeout = Duration.seconds(100)
            let started = ContinuousClock.now
            let (inputs, record) = try await HostileTarget.run(path, only: ["*"], timeout: timeout, deadline: .seconds(3))
            let elapsed = ContinuousClock.now - started
            print("deadline 3s: the run ended after \(elapsed)")
            #expect(elapsed < timeout, "no request waited out its timeout")
            let unrun = record.results.filter { $0.attempts == 0 }
            #expect(!unrun.isEmpty && unrun.allSatisfy { $0.verdict == .error && $0.message == Runner.notRun && $0.evidence.isEmpty })
            let stopped = record.results.filter { $0.message.hasPrefix("stopped: the run's deadline passed while it ran") }
            #expect(!stopped.isEmpty && stopped.allSatisfy { $0.verdict == .error && $0.attempts == 1 }, "the probes waiting on the token endpoint")
            let planned = Planner.plan(targets: inputs.targets, suites: inputs.suites).items
            #expect(zip(planned, record.results).allSatisfy { item, result in item.skipReason == nil || result.verdict == .skip },
                    "what the plan skips stays a skip")
            #expect(record.deadline == .seconds(3))
            let artifacts = HostileTarget.artifacts(inputs, record)
            for (name, text) in artifacts {
                // However the format escapes the apostrophe.
                #expect(text.contains("not run: the run") && text.contains("s deadline passed"), "\(name) does not say what was not run")
            }
            let json = try HostileTarget.json(record)
            #expect(json["deadline_seconds"] as? Int == 3)
            let attempts = (json["results"] as? [[String: Any]] ?? []).compactMap { $0["attempts"] as? Int }
            #expect(attempts.filter { $0 == 0 }.count == unrun.count)
            #expect(ConsoleReport(colour: false).deadline(record) == "deadline of 3s passed: \(unrun.count) probe variants not run")
            let read = RunRecord(try JSONReport.read(JSONReport.render(record), file: "results.json"))
            #expect(read.deadline == .seconds(3) && read.results.filter { $0.attempts == 0 }.count == unrun.count, "`report` reads it back")
        }
    }

    @Test("oauthprobe run --deadline 2s on a slowloris token endpoint: exit 2, the reports written, the console says how many were not run")
    func commandLine() async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: "slow-token")
            let folder = (path as NSString).deletingLastPathComponent
            let run = try CommandLineTests.oauthprobe(["run", "--target", path, "--suite", TestSupport.suitesFolder, "--deadline", "2s",
                                                       "--only", "client-auth.*", "--only", "refresh.*", "--only", "scope.*", "--json", folder + "/results.json", "--junit", folder + "/junit.xml"],
                                                      environment: HostileTarget.environment.merging(["NO_COLOR": "1"]) { $1 })
            #expect(run.status == 2, "every probe needs the token endpoint: none is decided in time \(run.output.suffix(500))")
            let line = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("deadline of 2s passed: ") }, "\(run.output.suffix(800))")
            #expect(line.hasSuffix("probe variants not run"))
            let junit = try String(contentsOfFile: folder + "/junit.xml", encoding: .utf8)
            #expect(junit.contains("message=\"not run: the run"), "\(junit.prefix(600))")
            let results = try JSONReport.read(file: folder + "/results.json")
            #expect(results.deadlineSeconds == 2)
        }
    }

    @Test("--deadline takes 90s, 5m, 1h; anything else is a usage error", arguments: [
        ("90s", 90), ("5m", 300), ("1h", 3600), ("0s", nil), ("5", nil), ("1.5h", nil), ("5x", nil), ("m", nil), ("-1m", nil), ("", nil),
    ] as [(String, Int?)])
    func parsing(text: String, seconds: Int?) {
        #expect(DurationText.parse(text) == seconds.map { .seconds($0) })
        if let seconds { #expect(DurationText.format(.seconds(seconds)) == text) }
    }
}
