import Foundation
import Yams

/// Reads a baseline file: a top-level `waivers:` list, each with `probe` (an id glob), an optional
/// `target`, an optional `step` (the step whose expectation failed), a `reason` and an `expires` date. Expired waivers load (they make failures count
/// again) but are warned about, so `validate` shows what needs looking at.
public struct BaselineLoader {
    /// `YYYY-MM-DD`, the day expired waivers are measured against.
    public var today: String

    public init(today: String = Baseline.day(of: Date())) { self.today = today }

    public func load(file path: String) -> (baseline: Baseline?, diagnostics: [Diagnostic]) {
        let reader = YAMLReader(file: path)
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            reader.error(at: SourceLocation(file: path, line: 1, column: 1), "cannot read the file")
            return (nil, reader.diagnostics)
        }
        guard let root = reader.compose(text), let map = reader.mapping(root, "a baseline file") else { return (nil, reader.diagnostics) }
        map.check(reader, "baseline", allowed: ["waivers"], required: ["waivers"])
        let waivers = map["waivers"].flatMap { reader.sequence($0, "waivers") }?.compactMap { waiver($0, reader) } ?? []
        return (reader.hasErrors ? nil : Baseline(file: path, waivers: waivers), reader.diagnostics)
    }

    private func waiver(_ node: Node, _ reader: YAMLReader) -> Waiver? {
        guard let map = reader.mapping(node, "a waiver") else { return nil }
        map.check(reader, "waiver", allowed: ["probe", "target", "step", "reason", "expires"], required: ["probe", "reason", "expires"])
        let probe = map["probe"].flatMap { reader.string($0, "waiver probe") }
        let target = map["target"].flatMap { reader.string($0, "waiver target") }
        let step = map["step"].flatMap { reader.string($0, "waiver step") }
        if map["step"] == nil {
            reader.warning(node, "waiver names no step: a new failure at another step would also be waived")
        }
        let reason = map["reason"].flatMap { reader.string($0, "waiver reason") }
        if let reasonNode = map["reason"], reason?.trimmingCharacters(in: .whitespaces).isEmpty == true {
            reader.error(reasonNode, "waiver reason must say why the failure is accepted")
        }
        var expires: String?
        if let node = map["expires"], let text = reader.string(node, "waiver expires") {
            if Self.isDate(text) {
                expires = text
                if text < today { reader.warning(node, "waiver expired on \(text): the failures it covered count again") }
            } else {
                reader.error(node, "waiver expires must be a date as YYYY-MM-DD, not '\(text)'")
            }
        }
        guard let probe, let reason, let expires else { return nil }
        return Waiver(probe: probe, target: target, step: step, reason: reason, expires: expires, location: reader.location(of: node))
    }

    /// A real calendar day written as `YYYY-MM-DD` (so text comparison orders days).
    static func isDate(_ text: String) -> Bool {
        guard text.wholeMatch(of: #/\d{4}-\d{2}-\d{2}/#) != nil else { return false }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.date(from: text).map { Baseline.day(of: $0) == text } ?? false
    }
}
