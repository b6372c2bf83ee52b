import Foundation

/// Several results files as one run: the shards of a `--shard` run, or runs of different targets.
/// Results are never combined: a probe variant on a target may appear in one file only.
public enum ResultsMerge {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The merged run, in the order one unsharded run would have, and warnings (missing shards,
    /// files from different oauthprobe versions).
    public static func merge(_ files: [(name: String, record: RunRecord, tool: String)]) throws -> (record: RunRecord, warnings: [String]) {
        guard let first = files.first else { throw Failure(description: "merge: no results files given") }
        var warnings: [String] = []
        try checkShards(files.map { ($0.name, $0.record.shard) }, warnings: &warnings)
        for file in files where file.tool != first.tool {
            warnings.append("\(file.name) was written by oauthprobe \(file.tool), \(first.name) by \(first.tool)")
        }

        var targets: [RunRecord.TargetRecord] = []
        var targetSource: [String: String] = [:]
        var owner: [String: String] = [:]
        var results: [ProbeResult] = []
        for (name, record, _) in files {
            for target in record.targets {
                guard let index = targets.firstIndex(where: { $0.name == target.name }) else {
                    targets.append(target)
                    targetSource[target.name] = name
                    continue
                }
                if targets[index].issuer != target.issuer {
                    throw Failure(description: "\(name): target '\(target.name)' has issuer \(target.issuer), but \(targetSource[target.name]!) has \(targets[index].issuer); one name, one environment")
                }
                // A shard whose discovery failed learns the metadata another shard found.
                if targets[index].metadata == nil, target.metadata != nil {
                    targets[index].metadata = target.metadata
                    targets[index].metadataURL = target.metadataURL
                    targets[index].discoveryFailure = target.discoveryFailure
                }
            }
            for result in record.results {
                let key = "\(result.target) \(result.displayID)"
                if let other = owner[key] {
                    throw Failure(description: "\(name): \(result.displayID) on \(result.target) is also in \(other); results overlap (the same shard twice, or one target in two runs)")
                }
                owner[key] = name
                results.append(result)
            }
        }
        // Plan order is target by target, then by position in the plan; files without positions keep theirs.
        let targetOrder = Dictionary(uniqueKeysWithValues: targets.enumerated().map { ($0.element.name, $0.offset) })
        let ordered = results.enumerated().sorted { a, b in
            (targetOrder[a.element.target]!, a.element.position ?? Int.max, a.offset) < (targetOrder[b.element.target]!, b.element.position ?? Int.max, b.offset)
        }.map(\.element)
        let record = RunRecord(targets: targets, results: ordered, started: files.map(\.record.started).min()!,
                               finished: files.map(\.record.finished).max()!, deadline: files.compactMap(\.record.deadline).max())
        return (record, warnings)
    }

    /// Shards of one split only, and a word when some are missing.
    private static func checkShards(_ shards: [(name: String, shard: Shard?)], warnings: inout [String]) throws {
        let split = shards.compactMap { file in file.shard.map { (file.name, $0) } }
        guard let (firstName, firstShard) = split.first else { return }
        if let (name, shard) = split.first(where: { $0.1.count != firstShard.count }) {
            throw Failure(description: "\(name) is shard \(shard) but \(firstName) is shard \(firstShard): merge the shards of one split")
        }
        let missing = Set(1...firstShard.count).subtracting(split.map(\.1.index)).sorted()
        if !missing.isEmpty {
            warnings.append("shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(firstShard.count)" }.joined(separator: ", ")) not given: the merged results are incomplete")
        }
    }
}
