import Foundation
import Testing
@testable import OAuthProbeKit

/// docs/results-schema.md lists every key a results file carries, and nothing it does not: the
/// keys of a run with every optional part set, compared with the keys the document's table names.
@Suite("The results file as documented")
struct ResultsSchemaDocTests {
    static let schema = TestSupport.repositoryRoot.appendingPathComponent("docs/results-schema.md")

    @Test("the keys a results file holds are the keys docs/results-schema.md lists")
    func keysMatch() throws {
        let json = try JSONSerialization.jsonObject(with: JSONReport.render(Self.everything()))
        let written = Self.paths(of: json)
        let documented = try Self.documentedPaths(in: String(contentsOf: Self.schema, encoding: .utf8))
        #expect(written.subtracting(documented).sorted() == [], "written but not documented")
        #expect(documented.subtracting(written).sorted() == [], "documented but not written")
        #expect(written.isSuperset(of: ["results.attempts", "targets.load.endpoints_given_up", "targets.issuer_location.line", "deadline_seconds"]))
    }

    /// Values whose keys are data (a metadata document, fingerprints): their inside is not listed.
    static let opaque: Set<String> = ["targets.metadata", "results.evidence.placeholders"]

    /// Dotted key paths, arrays left out of the name: `results.evidence.step`.
    static func paths(of value: Any, at path: String = "") -> Set<String> {
        if opaque.contains(path) { return [] }
        if let array = value as? [Any] { return array.reduce(into: []) { $0.formUnion(paths(of: $1, at: path)) } }
        guard let object = value as? [String: Any] else { return [] }
        return object.reduce(into: []) { found, entry in
            let key = path.isEmpty ? entry.key : "\(path).\(entry.key)"
            found.insert(key)
            found.formUnion(paths(of: entry.value, at: key))
        }
    }

    /// The keys of the document's table: `targets[].file`, `.issuer_location` in the first column
    /// (a leading dot continues the one before), the fields of `{…}` in the type column, and for
    /// an `object` whose fields the meaning lists in backticks, those.
    static func documentedPaths(in markdown: String) throws -> Set<String> {
        var paths: Set<String> = []
        for line in markdown.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.replacingOccurrences(of: "\\|", with: "/").split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            try #require(cells.count >= 3, "\(line)")
            let names = spans(cells[0])
            let base = names.first.flatMap { first in first.lastIndex(of: ".").map { String(first[..<$0]) } } ?? ""
            let keys = names.map { $0.hasPrefix(".") ? base + $0 : $0 }.map(clean)
            paths.formUnion(keys)
            let types = split(cells[1])
            for (index, key) in keys.enumerated() {
                let type = types.count == keys.count ? types[index] : cells[1]
                if let fields = braced(type) {
                    paths.formUnion(fieldPaths(fields, under: key))
                } else if type.hasPrefix("object"), let listed = spans(cells[2]).first(where: { $0.contains(",") }) {
                    paths.formUnion(fieldPaths(listed.hasPrefix("{") ? braced(listed) ?? listed : listed, under: key))
                }
            }
        }
        return paths.filter { path in !opaque.contains { path.hasPrefix($0 + ".") } }
    }

    /// `step, client_authentication? {role, client_id}, …` as paths under `key`.
    static func fieldPaths(_ list: String, under key: String) -> Set<String> {
        split(list).reduce(into: []) { found, field in
            let name = key + "." + String(field.prefix { $0.isLetter || $0 == "_" })
            found.insert(name)
            if let inner = braced(field) { found.formUnion(fieldPaths(inner, under: name)) }
        }
    }

    /// The texts between backticks.
    static func spans(_ cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// What the first `{…}` holds.
    static func braced(_ text: String) -> String? {
        guard let open = text.firstIndex(of: "{") else { return nil }
        var depth = 0
        for index in text[open...].indices {
            if text[index] == "{" { depth += 1 }
            if text[index] == "}" { depth -= 1 }
            if depth == 0 { return String(text[text.index(after: open)..<index]) }
        }
        return nil
    }

    /// Split at the commas outside braces.
    static func split(_ text: String) -> [String] {
        var parts: [String] = [], current = "", depth = 0
        for character in text {
            if character == "{" { depth += 1 }
            if character == "}" { depth -= 1 }
            if character == ",", depth == 0 {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        return parts + [current.trimmingCharacters(in: .whitespaces)]
    }

    /// `results[].refs[]` → `results.refs`.
    static func clean(_ key: String) -> String {
        key.replacingOccurrences(of: "[]", with: "").replacingOccurrences(of: "?", with: "")
    }

    /// A run with every optional part of the results file set.
    static func everything() -> RunRecord {
        var load = TargetLoad()
        load.requests = 9
        load.concurrencyLowered = "4 → 2 probes at once after a server failure in pkce.required-public"
        load.endpointsGivenUp = ["3 consecutive timeouts at https://idp.example/token: the run sends nothing more there"]
        var target = RunRecord.TargetRecord(name: "staging", issuer: "https://idp.example", metadata: .object(["issuer": .string("https://idp.example")]),
                                            metadataURL: "https://idp.example/.well-known/openid-configuration",
                                            discoveryFailure: "none really", load: load, discoveryProblems: ["another issuer"],
                                            file: "staging.yaml", issuerLocation: SourceLocation(file: "staging.yaml", line: 2, column: 1))
        target.load.retries = 1
        var exchange = SampleRun.result("pkce.required-public", .fail, target: "staging").evidence[0]
        exchange.transportError = "the request timed out"
        exchange.caFile = "ca.pem"
        var result = SampleRun.result("pkce.required-public", variant: "v", .skip, target: "staging")
        result.evidence = [exchange]
        result.waiver = WaiverStatus(kind: .waived, reason: "vendor ticket", expires: "2030-01-01", source: "baseline.yaml:3:5")
        result.attempts = 2
        result.failedStep = "redeem"
        result.position = 0
        return RunRecord(targets: [target], results: [result], started: Date(), finished: Date(), shard: Shard(index: 1, count: 2),
                         deadline: .seconds(90))
    }
}
