import Foundation
import Yams

/// Walks a YAML document node by node, collecting every problem with its `file:line:col`
/// instead of stopping at the first, so a user fixes a file in one pass.
final class YAMLReader {
    let file: String
    private var collected: [Diagnostic] = []
    private var errorLocations: Set<SourceLocation> = []

    /// Problems shown per file: past these a user fixes the first ones and runs again.
    static let shownDiagnostics = 100
    /// Names (a target, a probe id, a step): they appear on every line of every report.
    static let longestName = 100
    /// Any single value: a URL, a scope, a secret.
    static let longestValue = 65_536
    /// A message quotes what it is about; a huge value is cut.
    static let longestMessage = 500

    /// In file order, as a user reads them, whatever order the checks ran in; the first
    /// `shownDiagnostics`, then a count of the rest.
    var diagnostics: [Diagnostic] {
        let sorted = collected.enumerated().sorted {
            ($0.element.location.line, $0.element.location.column, $0.offset) < ($1.element.location.line, $1.element.location.column, $1.offset)
        }.map(\.element)
        guard sorted.count > Self.shownDiagnostics else { return sorted }
        let omitted = sorted.count - Self.shownDiagnostics
        return Array(sorted.prefix(Self.shownDiagnostics))
            + [Diagnostic(.error, at: sorted[Self.shownDiagnostics].location, "…and \(omitted) more problems")]
    }

    init(file: String) { self.file = file }

    var hasErrors: Bool { !errorLocations.isEmpty }

    func hasErrors(at location: SourceLocation) -> Bool { errorLocations.contains(location) }

    /// More problems than are shown: costly hints are not worth working out.
    var isSaturated: Bool { collected.count >= Self.shownDiagnostics }

    /// Parses the text; syntax errors and duplicate keys become diagnostics.
    func compose(_ text: String) -> Node? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                error(at: SourceLocation(file: file, line: 1, column: 1), "the file is empty")
                return nil
            }
            return node
        } catch let yamlError as YamlError {
            switch yamlError {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                 .composer(_, let problem, let mark, _):
                error(at: location(of: mark), "YAML syntax: \(problem)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                error(at: location(of: context.mark), "duplicate key \(duplicates.joined(separator: ", "))")
            default:
                error(at: SourceLocation(file: file, line: 1, column: 1), "YAML: \(yamlError)")
            }
            return nil
        } catch {
            self.error(at: SourceLocation(file: file, line: 1, column: 1), "YAML: \(error)")
            return nil
        }
    }

    func location(of node: Node) -> SourceLocation {
        node.mark.map(location(of:)) ?? SourceLocation(file: file, line: 1, column: 1)
    }

    func location(of mark: Mark) -> SourceLocation {
        SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    func error(at location: SourceLocation, _ message: String) {
        collected.append(Diagnostic(.error, at: location, Self.bounded(message)))
        errorLocations.insert(location)
    }

    func error(_ node: Node, _ message: String) { error(at: location(of: node), message) }

    func warning(_ node: Node, _ message: String) {
        collected.append(Diagnostic(.warning, at: location(of: node), Self.bounded(message)))
    }

    private static func bounded(_ message: String) -> String {
        message.count > longestMessage ? message.prefix(longestMessage) + "…" : message
    }

    // MARK: Shapes

    func mapping(_ node: Node, _ what: String) -> MappingView? {
        guard case .mapping(let mapping) = node else {
            error(node, "\(what) must be a mapping")
            return nil
        }
        var entries: [MappingView.Entry] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                error(key, "\(what): keys must be plain words")
                continue
            }
            entries.append(.init(key: scalar.string, keyNode: key, value: value))
        }
        return MappingView(node: node, entries: entries)
    }

    func sequence(_ node: Node, _ what: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            error(node, "\(what) must be a list")
            return nil
        }
        return Array(sequence)
    }

    func string(_ node: Node, _ what: String, longest: Int = longestValue) -> String? {
        guard case .scalar(let scalar) = node else {
            error(node, "\(what) must be a single value, not a list or mapping")
            return nil
        }
        guard scalar.string.count <= longest else {
            error(node, "\(what) is \(scalar.string.count) characters long; at most \(longest)")
            return nil
        }
        return scalar.string
    }

    /// A name that reports print on every line: short, one line, printable.
    func name(_ node: Node, _ what: String) -> String? {
        guard let text = string(node, what, longest: Self.longestName) else { return nil }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            error(node, "\(what) must be one line of printable characters")
            return nil
        }
        return text
    }

    /// A string, or a list of strings.
    func strings(_ node: Node, _ what: String) -> [String]? {
        if case .scalar = node { return string(node, what).map { [$0] } }
        guard let items = sequence(node, what) else { return nil }
        return items.compactMap { string($0, what) }
    }

    func bool(_ node: Node, _ what: String) -> Bool? {
        guard let text = string(node, what) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            error(node, "\(what) must be true or false, not '\(text)'")
            return nil
        }
    }

    func int(_ node: Node, _ what: String) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let value = Int(text) else {
            error(node, "\(what) must be a whole number, not '\(text)'")
            return nil
        }
        return value
    }

    func double(_ node: Node, _ what: String) -> Double? {
        guard let text = string(node, what) else { return nil }
        guard let value = Double(text), value.isFinite else {
            error(node, "\(what) must be a number, not '\(text)'")
            return nil
        }
        return value
    }

    func oneOf<Choice: RawRepresentable & CaseIterable>(_ node: Node, _ what: String, _: Choice.Type) -> Choice?
    where Choice.RawValue == String {
        guard let text = string(node, what) else { return nil }
        guard let choice = Choice(rawValue: text) else {
            let names = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            error(node, "\(what) '\(text)' is not one of: \(names)")
            return nil
        }
        return choice
    }
}

/// A mapping whose keys are checked: unknown keys and missing required keys are reported at
/// the place they belong.
struct MappingView {
    struct Entry {
        var key: String
        var keyNode: Node
        var value: Node
    }

    let node: Node
    let entries: [Entry]

    subscript(key: String) -> Node? { entries.first { $0.key == key }?.value }

    var keys: [String] { entries.map(\.key) }

    func entry(_ key: String) -> Entry? { entries.first { $0.key == key } }

    /// Reports keys outside `allowed` and absent `required` keys.
    func check(_ reader: YAMLReader, _ what: String, allowed: [String], required: [String] = []) {
        for entry in entries where !allowed.contains(entry.key) {
            let hint = reader.isSaturated ? "" : closest(to: entry.key, in: allowed).map { "; did you mean '\($0)'?" } ?? ""
            reader.error(entry.keyNode, "\(what): unknown key '\(entry.key)'\(hint)")
        }
        for key in required where self[key] == nil {
            reader.error(node, "\(what): missing '\(key)'")
        }
    }

    private func closest(to word: String, in candidates: [String]) -> String? {
        candidates
            .map { ($0, editDistance(word, $0)) }
            .filter { $0.1 <= max(2, word.count / 3) }
            .min { $0.1 < $1.1 }?.0
    }
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in stride(from: 1, through: b.count, by: 1) {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}
