import Foundation

public struct RunOptions: Sendable {
    /// Probes in flight at once, across all targets.
    public var concurrency: Int
    /// Per request.
    public var timeout: Duration
    /// Requests per second to any one target, at most (`--max-rps`); a target file may ask for less.
    public var maxRequestsPerSecond: Double?
    /// How long the whole run may take (`--deadline`): past it, probes running are stopped, the
    /// rest are not run, and both are `error`.
    public var deadline: Duration?

    public init(concurrency: Int = 4, timeout: Duration = .seconds(15), maxRequestsPerSecond: Double? = nil, deadline: Duration? = nil) {
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.maxRequestsPerSecond = maxRequestsPerSecond
        self.deadline = deadline
    }
}

/// Runs a plan: discovers each target's metadata, then every probe variant, at most
/// `concurrency` at a time. Steps within a probe run in order. The probes of a target share one
/// signed-in browser session and one pace (`TargetSession`).
public struct Runner: Sendable {
    public var options: RunOptions

    public init(options: RunOptions = RunOptions()) { self.options = options }

    /// Results in plan order, with each target's metadata and load. `started` hears each probe
    /// variant as it begins (`TARGET ID[variant]`), `progress` each result as it is decided.
    public func run(_ plan: Plan, started: @escaping @Sendable (String) -> Void = { _ in },
                    progress: @escaping @Sendable (ProbeResult) -> Void = { _ in }) async -> RunRecord {
        let startedAt = Date()
        let deadline = options.deadline.map { ContinuousClock.now + $0 }
        let discoveries = await withTaskGroup(of: (Int, Discovery).self) { group in
            for (index, target) in plan.targets.enumerated() {
                group.addTask {
                    let (discovery, stopped) = await Self.race(until: deadline) { await discover(target) }
                    return (index, stopped ? Discovery(failure: Self.deadlineDuringDiscovery) : discovery)
                }
            }
            var found: [Int: Discovery] = [:]
            for await (index, discovery) in group { found[index] = discovery }
            return found
        }
        let sessions = plan.targets.enumerated().map { index, target in
            TargetSession(target: target, endpoints: EndpointMap(target: target, metadata: discoveries[index]?.metadata),
                          maxRequestsPerSecond: [options.maxRequestsPerSecond, target.maxRequestsPerSecond].compactMap { $0 }.min())
        }
        let results = await withTaskGroup(of: (Int, ProbeResult).self) { group in
            var results = [ProbeResult?](repeating: nil, count: plan.items.count)
            var pending = Array(plan.items.indices)
            var inFlight = [Int](repeating: 0, count: plan.targets.count)
            var limits = plan.targets.map { $0.maxConcurrency ?? options.concurrency }
            /// Whether the item may start now: its target has room, and a probe that ends grants
            /// (`Probe.endsGrants`) starts only alone, when nothing else of its target is left.
            func mayStart(_ index: Int) -> Bool {
                let item = plan.items[index]
                let target = item.targetIndex
                guard inFlight[target] < limits[target] else { return false }
                guard item.probe.endsGrants else { return true }
                return inFlight[target] == 0 && !pending.contains { plan.items[$0].targetIndex == target && !plan.items[$0].probe.endsGrants }
            }
            /// Starts the first pending item that may start; false when none can start now, or
            /// none may any more (the deadline passed).
            func startNext() -> Bool {
                guard !Self.passed(deadline), let position = pending.firstIndex(where: mayStart) else { return false }
                let index = pending.remove(at: position)
                let item = plan.items[index]
                inFlight[item.targetIndex] += 1
                let session = sessions[item.targetIndex]
                let discovery = discoveries[item.targetIndex]!
                started("\(session.target.name) \(item.displayID)")
                group.addTask { (index, await run(item, in: session, discovery: discovery, until: deadline)) }
                return true
            }
            var running = 0
            while running < options.concurrency, startNext() { running += 1 }
            for await (index, result) in group {
                results[index] = result
                let target = plan.items[index].targetIndex
                inFlight[target] -= 1
                running -= 1
                // A server that fails under this load gets less of it for the rest of the run.
                if result.serverFailure != nil, limits[target] > 1 {
                    let lowered = max(1, limits[target] / 2)
                    sessions[target].count { $0.concurrencyLowered = "\(limits[target]) → \(lowered) probes at once after a server failure in \(result.displayID)" }
                    limits[target] = lowered
                }
                progress(result)
                while running < options.concurrency, startNext() { running += 1 }
            }
            // Whatever is still pending did not start before the deadline; what the plan skips
            // needed no time.
            for index in pending {
                let item = plan.items[index]
                var result = ProbeExecution.result(of: item, on: plan.targets[item.targetIndex],
                                                   verdict: item.skipReason == nil ? .error : .skip, message: item.skipReason ?? Self.notRun)
                if item.skipReason == nil { result.attempts = 0 }
                results[index] = result
                progress(result)
            }
            return results.compactMap { $0 }
        }
        let retried = await retryServerFailures(results, of: plan, sessions: sessions, discoveries: discoveries, until: deadline)
        let targets = plan.targets.enumerated().map { index, target in
            RunRecord.TargetRecord(name: target.name, issuer: target.issuer, metadata: discoveries[index]?.metadata?.document,
                                   metadataURL: discoveries[index]?.metadata?.url, discoveryFailure: discoveries[index]?.failure,
                                   load: sessions[index].load, discoveryProblems: discoveries[index]?.problems ?? [],
                                   file: target.file, issuerLocation: target.issuerLocation)
        }
        return RunRecord(targets: targets, results: retried, started: startedAt, finished: Date(), deadline: options.deadline)
    }

    /// What a probe variant that never started says, and one that the deadline stopped.
    public static let notRun = "not run: the run's deadline passed"
    static let stopped = "stopped: the run's deadline passed while it ran"
    static let deadlineDuringDiscovery = "the run's deadline passed while the metadata was fetched"

    static func passed(_ deadline: ContinuousClock.Instant?) -> Bool {
        deadline.map { ContinuousClock.now >= $0 } ?? false
    }

    /// Runs `body` to its end, or, when the deadline comes first, cancels it and takes what it
    /// returns then; `stopped` says which.
    static func race<T: Sendable>(until deadline: ContinuousClock.Instant?,
                                  _ body: @escaping @Sendable () async -> T) async -> (value: T, stopped: Bool) {
        guard let deadline else { return (await body(), false) }
        return await withTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            var stopped = false
            while let next = await group.next() {
                guard let value = next else {
                    // The deadline, unless the body's end cancelled the wait.
                    stopped = true
                    group.cancelAll()
                    continue
                }
                group.cancelAll()
                return (value, stopped)
            }
            preconditionFailure("the body always returns")
        }
    }

    /// Pauses before each further attempt: a struggling server gets time to recover.
    static let retryBackoff: [Duration] = [.seconds(1), .seconds(3)]

    /// Probes that ended in `error` because the server (or the network) failed run again after
    /// the concurrent pass, one at a time, up to twice: small servers fail under parallel load
    /// and answer alone
    /// and the result keeps the count of attempts. A probe that needs an endpoint the run gave
    /// up on is not tried again (it would fail at once), nor one the deadline would cut short.
    private func retryServerFailures(_ results: [ProbeResult], of plan: Plan, sessions: [TargetSession],
                                     discoveries: [Int: Discovery], until deadline: ContinuousClock.Instant?) async -> [ProbeResult] {
        var results = results
        for index in results.indices where results[index].serverFailure != nil {
            let item = plan.items[index]
            let session = sessions[item.targetIndex]
            for backoff in Self.retryBackoff {
                guard let failure = results[index].serverFailure, deadline.map({ ContinuousClock.now + backoff < $0 }) ?? true else { break }
                if let givenUp = execution(of: item, in: session, discovery: discoveries[item.targetIndex]!).givenUpEndpoint() {
                    results[index].message += "; not tried again: \(session.redactor.redact(givenUp))"
                    break
                }
                try? await Task.sleep(for: backoff)
                session.count { $0.retries += 1 }
                let attempts = results[index].attempts + 1
                results[index] = await run(item, in: session, discovery: discoveries[item.targetIndex]!, until: deadline, previousFailure: failure)
                results[index].attempts = attempts
            }
        }
        return results
    }

    /// The probe's run, stopped when the deadline passes: then an `error` that says so, unless
    /// the probe reached its verdict in time.
    private func run(_ item: PlannedProbe, in session: TargetSession, discovery: Discovery, until deadline: ContinuousClock.Instant?,
                     previousFailure: ServerFailure? = nil) async -> ProbeResult {
        let execution = execution(of: item, in: session, discovery: discovery, previousFailure: previousFailure)
        var (result, stopped) = await Self.race(until: deadline) { await execution.run() }
        if stopped, result.verdict == .error {
            result.message = "\(Self.stopped) (\(result.message))"
            result.serverFailure = nil
        }
        return result
    }

    private func execution(of item: PlannedProbe, in session: TargetSession, discovery: Discovery,
                           previousFailure: ServerFailure? = nil) -> ProbeExecution {
        ProbeExecution(item: item, shared: session, settings: settings(for: session.target),
                       discoveryFailure: discovery.failure, previousFailure: previousFailure)
    }

    func settings(for target: Target) -> TransportSettings {
        TransportSettings(caFile: target.caFile, timeout: options.timeout, allowInsecureHTTP: target.allowInsecureHTTP)
    }

    /// The metadata document, or why it could not be fetched, and what discovery noticed about
    /// it. A server that has none (404, or another refusal, at every well-known URL) is not a
    /// failure: the target file's endpoints may be enough. One that answers something else (an
    /// HTML page or a JSON array with 200, a 500, no answer) is: probes then give `error`, never
    /// a pass on a document that was not there.
    struct Discovery: Sendable {
        var metadata: Metadata?
        var failure: String?
        var problems: [String] = []
    }

    func discover(_ target: Target) async -> Discovery {
        guard let agent = try? HTTPAgent(settings: settings(for: target)) else {
            return Discovery(failure: "cannot create an HTTP agent")
        }
        // A hostile server may write the target's secrets into what it answers.
        let redactor = Redactor(secrets: target.secrets)
        var tried: [String] = []
        var absent = 0
        for url in Metadata.candidateURLs(issuer: target.issuer) {
            let request = HTTPRequest(method: "GET", url: url, headers: [HTTPHeader(name: "Accept", value: "application/json")])
            do {
                let response = try await agent.send(request)
                switch response.status {
                case 200:
                    if let document = JSONValue.parse(response.body), case .object = document {
                        let metadata = Metadata(url: url, document: document.mapStrings(redactor.redact))
                        return Discovery(metadata: metadata, problems: MetadataReview.problems(of: metadata, for: target))
                    }
                    tried.append("\(url) answered 200 with \(Self.describe(response, redactor)), not a JSON object")
                case 300..<500:
                    absent += 1
                    tried.append("\(url) answered \(response.status)")
                default:
                    tried.append("\(url) answered \(response.status)\(response.status >= 500 ? " (the server failed)" : "")")
                }
            } catch {
                tried.append("\(url): \(redactor.redact(error.description))")
            }
        }
        if absent == tried.count { return Discovery() }
        return Discovery(failure: "no metadata document: " + tried.joined(separator: "; "))
    }

    /// What a body that should have been a metadata document was instead, in a few words.
    static func describe(_ response: HTTPResponse, _ redactor: Redactor) -> String {
        let type = response.header("Content-Type").map { "\($0), " } ?? ""
        let start = response.text.prefix(40).map { $0.isNewline ? " " : $0 }
        return "\(type)\(response.body.count) bytes starting '\(redactor.redact(String(start)))'"
    }
}
