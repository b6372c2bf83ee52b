import Foundation

public struct RunOptions: Sendable {
    /// Probes in flight at once, across all targets.
    public var concurrency: Int
    /// Per request.
    public var timeout: Duration

    public init(concurrency: Int = 4, timeout: Duration = .seconds(15)) {
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
    }
}

/// Runs a plan: discovers each target's metadata, then every probe variant, at most
/// `concurrency` at a time. Steps within a probe run in order.
public struct Runner: Sendable {
    public var options: RunOptions

    public init(options: RunOptions = RunOptions()) { self.options = options }

    /// Results in plan order, with each target's metadata. `started` hears each probe variant as
    /// it begins (`TARGET ID[variant]`), `progress` each result as it is decided.
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
        let results = await withTaskGroup(of: (Int, ProbeResult).self) { group in
            var results = [ProbeResult?](repeating: nil, count: plan.items.count)
            var pending = Array(plan.items.indices)
            var inFlight = [Int](repeating: 0, count: plan.targets.count)
            /// Starts the first pending item whose target has room; false when none can start now.
            func startNext() -> Bool {
                guard let position = pending.firstIndex(where: { index in
                    let target = plan.items[index].targetIndex
                    return inFlight[target] < (plan.targets[target].maxConcurrency ?? .max)
                }) else { return false }
                let index = pending.remove(at: position)
                let item = plan.items[index]
                inFlight[item.targetIndex] += 1
                let target = plan.targets[item.targetIndex]
                let discovery = discoveries[item.targetIndex]!
                started("\(target.name) \(item.displayID)")
                group.addTask { (index, await run(item, on: target, discovery: discovery)) }
                return true
            }
            var running = 0
            while running < options.concurrency, startNext() { running += 1 }
            for await (index, result) in group {
                results[index] = result
                inFlight[plan.items[index].targetIndex] -= 1
                running -= 1
                progress(result)
                while running < options.concurrency, startNext() { running += 1 }
            }
            return results.compactMap { $0 }
        }
        let targets = plan.targets.enumerated().map { index, target in
            RunRecord.TargetRecord(name: target.name, issuer: target.issuer, metadata: discoveries[index]?.metadata?.document,
                                   metadataURL: discoveries[index]?.metadata?.url, discoveryFailure: discoveries[index]?.failure,
                                   file: target.file, issuerLocation: target.issuerLocation)
        }
        return RunRecord(targets: targets, results: results, started: startedAt, finished: Date())
    }

    private func run(_ item: PlannedProbe, on target: Target, discovery: Discovery) async -> ProbeResult {
        let endpoints = EndpointMap(target: target, metadata: discovery.metadata)
        return await ProbeExecution(item: item, target: target, endpoints: endpoints, settings: settings(for: target),
                                    discoveryFailure: discovery.failure).run()
    }

    func settings(for target: Target) -> TransportSettings {
        TransportSettings(caFile: target.caFile, timeout: options.timeout, allowInsecureHTTP: target.allowInsecureHTTP)
    }

    /// The metadata document, or why it could not be fetched. A server that has none (404 at
    /// every well-known URL) is not a failure: the target file's endpoints may be enough.
    struct Discovery: Sendable {
        var metadata: Metadata?
        var failure: String?
    }

    func discover(_ target: Target) async -> Discovery {
        guard let agent = try? HTTPAgent(settings: settings(for: target)) else {
            return Discovery(failure: "cannot create an HTTP agent")
        }
        var lastFailure: String?
        for url in Metadata.candidateURLs(issuer: target.issuer) {
            let request = HTTPRequest(method: "GET", url: url, headers: [HTTPHeader(name: "Accept", value: "application/json")])
            do {
                let response = try await agent.send(request)
                if response.status == 200, let document = JSONValue.parse(response.body), case .object = document {
                    return Discovery(metadata: Metadata(url: url, document: document))
                }
            } catch {
                lastFailure = "\(url): \(error)"
            }
        }
        return Discovery(failure: lastFailure)
    }
}
