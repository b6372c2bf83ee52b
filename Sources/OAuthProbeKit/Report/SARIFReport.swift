import Foundation

/// SARIF 2.1.0 for GitHub code scanning and other SAST viewers: one run per target (its
/// `automationDetails.id` names the target, so two environments uploaded from one workflow do not
/// replace each other's alerts), one rule per probe, one result per failure located at the probe's
/// line in its suite file.
public enum SARIFReport {
    static let schema = "https://json.schemastore.org/sarif-2.1.0.json"

    /// GitHub's scale (0.1–10): critical ≥ 9, high ≥ 7, medium ≥ 4, low below.
    static func securitySeverity(_ severity: Severity) -> String {
        switch severity {
        case .critical: "9.5"
        case .high: "8.0"
        case .medium: "5.5"
        case .low: "3.0"
        }
    }

    /// - Parameter root: suite file paths under it are written relative to it (`%SRCROOT%`), as
    ///   code scanning expects paths inside the repository.
    public static func render(_ record: RunRecord, root: String = FileManager.default.currentDirectoryPath) -> Data {
        var runs: [JSONValue] = []
        for target in record.targets {
            let results = record.results.filter { $0.target == target.name }
            var ruleIDs: [String] = []
            for result in results where !ruleIDs.contains(result.probeID) { ruleIDs.append(result.probeID) }
            let rules = ruleIDs.map { id in rule(results.first { $0.probeID == id }!, root: root) }
            let findings = results.filter { $0.verdict == .fail }.map { finding($0, ruleIndex: ruleIDs.firstIndex(of: $0.probeID)!, root: root) }
            runs.append(.object([
                "tool": .object(["driver": .object([
                    "name": .string("oauthprobe"),
                    "semanticVersion": .string(OAuthProbeVersion.current),
                    "rules": .array(rules),
                ])]),
                "automationDetails": .object(["id": .string("oauthprobe/\(target.name)/")]),
                "originalUriBaseIds": .object(["%SRCROOT%": .object(["uri": .string(URL(fileURLWithPath: root, isDirectory: true).absoluteString)])]),
                "properties": .object(["target": .string(target.name), "issuer": .string(target.issuer)]),
                "results": .array(findings),
            ]))
        }
        let log = JSONValue.object([
            "$schema": .string(schema),
            "version": .string("2.1.0"),
            "runs": .array(runs),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try! encoder.encode(log) + Data("\n".utf8)
    }

    private static func rule(_ result: ProbeResult, root: String) -> JSONValue {
        let links = result.refs.map { ref in SpecLinks.url(for: ref).map { "[\(ref)](\($0))" } ?? ref }
        let help = "Practice: \(result.practice). Passes when the server does what the practice requires; see \(result.refs.joined(separator: ", "))."
        var rule: [String: JSONValue] = [
            "id": .string(result.probeID),
            "name": .string(ruleName(result.probeID)),
            "shortDescription": .object(["text": .string(result.title)]),
            "fullDescription": .object(["text": .string("\(result.title) (\(result.practice); \(result.refs.joined(separator: "; ")))")]),
            "help": .object(["text": .string(help),
                             "markdown": .string("**\(result.practice)**: \(result.title)\n\nSpecifications: \(links.joined(separator: ", "))")]),
            "defaultConfiguration": .object(["level": .string(level(result.severity))]),
            "properties": .object([
                "security-severity": .string(securitySeverity(result.severity)),
                "tags": .array(["security", "oauth", result.practice].map(JSONValue.string)),
                "precision": .string("high"),
            ]),
        ]
        if let uri = result.refs.lazy.compactMap(SpecLinks.url).first { rule["helpUri"] = .string(uri) }
        return .object(rule)
    }

    private static func finding(_ result: ProbeResult, ruleIndex: Int, root: String) -> JSONValue {
        var message = "\(result.target): \(result.displayID) — \(result.message)"
        if let waiver = result.waiver { message += " [\(waiver.summary)]" }
        return .object([
            "ruleId": .string(result.probeID),
            "ruleIndex": .number(Double(ruleIndex)),
            "level": .string(level(result.severity)),
            "message": .object(["text": .string(message)]),
            "locations": .array([.object(["physicalLocation": .object([
                "artifactLocation": artifact(result.location.file, root: root),
                "region": .object(["startLine": .number(Double(result.location.line)),
                                   "startColumn": .number(Double(result.location.column))]),
            ])])]),
            // Stable across runs, so code scanning tracks one alert per probe variant and target.
            "partialFingerprints": .object(["oauthprobe/v1": .string("\(result.target)/\(result.displayID)")]),
            "properties": .object(["target": .string(result.target), "variant": result.variant.map(JSONValue.string) ?? .null]),
        ])
    }

    /// A path under the root relative to `%SRCROOT%`, any other as an absolute file URI.
    static func artifact(_ file: String, root: String) -> JSONValue {
        let absolute = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: root, isDirectory: true)).standardizedFileURL.path
        let prefix = URL(fileURLWithPath: root, isDirectory: true).standardizedFileURL.path + "/"
        if absolute.hasPrefix(prefix) {
            return .object(["uri": .string(String(absolute.dropFirst(prefix.count))), "uriBaseId": .string("%SRCROOT%")])
        }
        return .object(["uri": .string(URL(fileURLWithPath: absolute).absoluteString)])
    }

    private static func level(_ severity: Severity) -> String { severity >= .high ? "error" : "warning" }

    /// `token-reuse.code-cross-client` → `TokenReuseCodeCrossClient`, the name form SARIF viewers show.
    private static func ruleName(_ id: String) -> String {
        id.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
