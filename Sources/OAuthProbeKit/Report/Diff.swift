import Foundation

/// `oauthprobe diff A.json B.json`: what changed between two results files, either two runs of
/// one environment (a regression) or two environments (drift, staging against production).
/// Verdicts are compared per probe variant; metadata documents key by key, endpoints relative to
/// each issuer (so two hosts serving the same paths do not differ), lists as sets.
public struct ResultsDiff: Sendable {
    public struct VerdictChange: Sendable {
        public var name: String
        public var before: String
        public var after: String
        /// The message on the side that fails or errs now, else the earlier one.
        public var message: String
    }

    public struct MetadataChange: Sendable {
        public var key: String
        public var before: String?
        public var after: String?
        /// For lists: values only in B and only in A.
        public var added: [String] = []
        public var removed: [String] = []
    }

    /// One target of A compared with one of B.
    public struct Pair: Sendable {
        public var before: String
        public var after: String
        public var newFailures: [VerdictChange] = []
        public var resolved: [VerdictChange] = []
        public var changed: [VerdictChange] = []
        public var stillFailing: [VerdictChange] = []
        public var onlyBefore: [String] = []
        public var onlyAfter: [String] = []
        public var metadata: [MetadataChange] = []

        public var drifts: Bool {
            !(newFailures.isEmpty && resolved.isEmpty && changed.isEmpty && onlyBefore.isEmpty && onlyAfter.isEmpty && metadata.isEmpty)
        }
    }

    public var pairs: [Pair]
    /// Targets present in only one file.
    public var unpairedBefore: [String]
    public var unpairedAfter: [String]

    public var drifts: Bool { pairs.contains(where: \.drifts) || !unpairedBefore.isEmpty || !unpairedAfter.isEmpty }

    /// Targets pair by name; two files of one target each pair with each other whatever their names.
    public static func compare(_ a: ResultsDocument, _ b: ResultsDocument) -> ResultsDiff {
        var pairs: [(ResultsDocument.TargetEntry, ResultsDocument.TargetEntry)] = []
        if a.targets.count == 1, b.targets.count == 1 {
            pairs = [(a.targets[0], b.targets[0])]
        } else {
            pairs = a.targets.compactMap { before in b.targets.first { $0.name == before.name }.map { (before, $0) } }
        }
        let paired = (Set(pairs.map(\.0.name)), Set(pairs.map(\.1.name)))
        return ResultsDiff(
            pairs: pairs.map { compare($0, in: a, $1, in: b) },
            unpairedBefore: a.targets.map(\.name).filter { !paired.0.contains($0) },
            unpairedAfter: b.targets.map(\.name).filter { !paired.1.contains($0) })
    }

    static func compare(_ before: ResultsDocument.TargetEntry, in a: ResultsDocument,
                        _ after: ResultsDocument.TargetEntry, in b: ResultsDocument) -> Pair {
        var pair = Pair(before: before.name, after: after.name)
        let old = a.results.filter { $0.target == before.name }
        let new = b.results.filter { $0.target == after.name }
        for result in new {
            guard let earlier = old.first(where: { $0.name == result.name }) else { pair.onlyAfter.append(result.name); continue }
            let (was, now) = (shown(earlier), shown(result))
            let message = [Verdict.fail, .error].contains(result.verdict) || was == now ? result.message : earlier.message
            let change = VerdictChange(name: result.name, before: was, after: now, message: message)
            switch (was, now) {
            case ("fail", "fail"): pair.stillFailing.append(change)
            case (_, "fail"): pair.newFailures.append(change)
            case ("fail", "pass"): pair.resolved.append(change)
            case _ where was != now: pair.changed.append(change)
            default: break
            }
        }
        pair.onlyBefore = old.map(\.name).filter { name in !new.contains { $0.name == name } }
        pair.metadata = compareMetadata(before, after)
        return pair
    }

    /// A waived failure shows as `waived`, so a waiver added or expired between runs is a change.
    static func shown(_ result: ResultsDocument.ResultEntry) -> String {
        result.waiver?.kind == .waived ? "waived" : result.verdict.rawValue
    }

    static func compareMetadata(_ before: ResultsDocument.TargetEntry, _ after: ResultsDocument.TargetEntry) -> [MetadataChange] {
        guard case .object(let old)? = before.metadata, case .object(let new)? = after.metadata else {
            if (before.metadata == nil) != (after.metadata == nil) {
                return [MetadataChange(key: "(metadata document)", before: before.metadata == nil ? "none" : "found",
                                       after: after.metadata == nil ? "none" : "found")]
            }
            return []
        }
        var changes: [MetadataChange] = []
        for key in Set(old.keys).union(new.keys).sorted() where key != "issuer" {
            let (was, now) = (old[key], new[key])
            if case .array(let wasItems)? = was, case .array(let nowItems)? = now {
                let (wasSet, nowSet) = (Set(wasItems.map(\.text)), Set(nowItems.map(\.text)))
                if wasSet != nowSet {
                    changes.append(MetadataChange(key: key, before: was?.text, after: now?.text,
                                                  added: nowSet.subtracting(wasSet).sorted(), removed: wasSet.subtracting(nowSet).sorted()))
                }
                continue
            }
            let shownBefore = was.map { relative($0.text, to: before.issuer, key: key) }
            let shownAfter = now.map { relative($0.text, to: after.issuer, key: key) }
            if shownBefore != shownAfter { changes.append(MetadataChange(key: key, before: shownBefore, after: shownAfter)) }
        }
        return changes
    }

    /// An endpoint under its issuer as `{issuer}/token/`: environments differ by host, not by that.
    static func relative(_ value: String, to issuer: String, key: String) -> String {
        let trimmed = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        guard key.hasSuffix("_endpoint") || key.hasSuffix("_uri"), value.hasPrefix(trimmed) else { return value }
        return "{issuer}" + value.dropFirst(trimmed.count)
    }

    // MARK: Text

    public func render(before fileA: String, after fileB: String) -> String {
        var lines: [String] = []
        for pair in pairs {
            let title = pair.before == pair.after ? pair.before : "\(pair.before) → \(pair.after)"
            lines.append("\(title)  (\(fileA) → \(fileB))")
            section("New failures", pair.newFailures, into: &lines, messages: true)
            section("Resolved", pair.resolved, into: &lines, messages: false)
            section("Changed error/skip/waived", pair.changed, into: &lines, messages: true)
            section("Still failing (unchanged)", pair.stillFailing, into: &lines, messages: false)
            if !pair.onlyBefore.isEmpty { lines.append("  Only in \(fileA): " + pair.onlyBefore.joined(separator: ", ")) }
            if !pair.onlyAfter.isEmpty { lines.append("  Only in \(fileB): " + pair.onlyAfter.joined(separator: ", ")) }
            if !pair.metadata.isEmpty {
                lines.append("  Metadata (\(pair.metadata.count))")
                for change in pair.metadata {
                    if !change.added.isEmpty || !change.removed.isEmpty {
                        let parts = change.added.map { "+\($0)" } + change.removed.map { "-\($0)" }
                        lines.append("    \(change.key): \(parts.joined(separator: " "))")
                    } else {
                        lines.append("    \(change.key): \(change.before ?? "(absent)") → \(change.after ?? "(absent)")")
                    }
                }
            }
            let verdicts = pair.newFailures.count + pair.resolved.count + pair.changed.count
            lines.append("  \(verdicts) verdict\(verdicts == 1 ? "" : "s") differ, \(pair.metadata.count) metadata difference\(pair.metadata.count == 1 ? "" : "s")")
            lines.append("")
        }
        for name in unpairedBefore { lines.append("target \(name) only in \(fileA)") }
        for name in unpairedAfter { lines.append("target \(name) only in \(fileB)") }
        lines.append(drifts ? "drift: the results differ" : "no drift")
        return lines.joined(separator: "\n")
    }

    private func section(_ title: String, _ changes: [VerdictChange], into lines: inout [String], messages: Bool) {
        guard !changes.isEmpty else { return }
        lines.append("  \(title) (\(changes.count))")
        for change in changes {
            lines.append("    \(change.name): \(change.before) → \(change.after)")
            if messages { lines.append("        \(change.message.replacingOccurrences(of: "\n", with: " "))") }
        }
    }
}
