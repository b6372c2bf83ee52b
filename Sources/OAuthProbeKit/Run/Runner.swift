import Foundation

public struct RunOptions: Sendable {
    /// Probes in flight at once, across all targets.
    public var concurrency: Int
    /// Per request.
    public var timeout: Duration
    /// Requests per second to any one target, at most (`--max-rps`); a target file may ask for less.
    public var maxRequestsPerSecond: Double?

    public init(concurrency: Int = 4, timeout: Duration = .seconds(15), maxRequestsPerSecond: Double? = nil) {
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.maxRequestsPerSecond = maxRequestsPerSecond
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
        let discoveries = await withTaskGroup(of: (Int, Discovery).self) { group in
            for (index, target) in plan.targets.enumerated() {
                group.addTask { (index, await discover(target)) }
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
            /// Starts the first pending item that may start; false when none can start now.
            func startNext() -> Bool {
                guard let position = pending.firstIndex(where: mayStart) else { return false }
                let index = pending.remove(at: position)
                let item = plan.items[index]
                inFlight[item.targetIndex] += 1
                let session = sessions[item.targetIndex]
                let discovery = discoveries[item.targetIndex]!
                started("\(session.target.name) \(item.displayID)")
                group.addTask { (index, await run(item, in: session, discovery: discovery)) }
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
            return results.compactMap { $0 }
        }
        let retried = await retryServerFailures(results, of: plan, sessions: sessions, discoveries: discoveries)
        let targets = plan.targets.enumerated().map { index, target in
            RunRecord.TargetRecord(name: target.name, issuer: target.issuer, metadata: discoveries[index]?.metadata?.document,
                                   metadataURL: discoveries[index]?.metadata?.url, discoveryFailure: discoveries[index]?.failure,
                                   load: sessions[index].load, discoveryProblems: discoveries[index]?.problems ?? [],
                                   file: target.file, issuerLocation: target.issuerLocation)
        }
        return RunRecord(targets: targets, results: retried, started: startedAt, finished: Date())
    }

    /// Pauses before each further attempt: a struggling server gets time to recover.
    static let retryBackoff: [Duration] = [.seconds(1), .seconds(3)]

    /// Probes that ended in `error` because the server (or the network) failed run again after
    /// the concurrent pass, one at a time, up to twice: small servers fail under parallel load
    /// and answer alone. The result keeps the count of attempts.
    private func retryServerFailures(_ results: [ProbeResult], of plan: Plan, sessions: [TargetSession],
                                     discoveries: [Int: Discovery]) async -> [ProbeResult] {
        var results = results
        for index in results.indices where results[index].serverFailure != nil {
            let item = plan.items[index]
            let session = sessions[item.targetIndex]
            for backoff in Self.retryBackoff {
                guard let failure = results[index].serverFailure else { break }
                try? await Task.sleep(for: backoff)
                session.count { $0.retries += 1 }
                let attempts = results[index].attempts + 1
                results[index] = await run(item, in: session, discovery: discoveries[item.targetIndex]!, previousFailure: failure)
                results[index].attempts = attempts
            }
        }
        return results
    }

    private func run(_ item: PlannedProbe, in session: TargetSession, discovery: Discovery, previousFailure: ServerFailure? = nil) async -> ProbeResult {
        await ProbeExecution(item: item, shared: session, settings: settings(for: session.target),
                             discoveryFailure: discovery.failure, previousFailure: previousFailure).run()
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
