import Crypto
import Foundation

/// SARIF 2.1.0 for GitHub code scanning and other SAST viewers: one run per target (its
/// `automationDetails.id` names the target, so two environments uploaded from one workflow do not
/// replace each other's alerts), one rule per probe, and a result per failure, per waived failure
/// (with a suppression) and per probe that could not be evaluated (`kind: open`), so an alert
/// stays open while its probe errors instead of closing as if fixed.
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

    /// - Parameter root: the user's repository. Paths under it are written relative to it
    ///   (`%SRCROOT%`), as code scanning expects; a result whose suite file lies outside (suites
    ///   installed with the tool) points at the `issuer` line of the target file instead.
    public static func render(_ record: RunRecord, root: String = FileManager.default.currentDirectoryPath) -> Data {
        var runs: [JSONValue] = []
        for target in record.targets {
            let results = record.results.filter { $0.target == target.name }
            var ruleIDs: [String] = []
            for result in results where !ruleIDs.contains(result.probeID) { ruleIDs.append(result.probeID) }
            let rules = ruleIDs.map { id in rule(results.first { $0.probeID == id }!) }
            let reported = results.filter { $0.verdict == .fail || $0.verdict == .error || $0.waiver?.kind == .waived }
            let findings = reported.map { finding($0, ruleIndex: ruleIDs.firstIndex(of: $0.probeID)!, target: target, root: root) }
            runs.append(.object([
                "tool": .object(["driver": .object([
                    "name": .string("oauthprobe"),
                    "semanticVersion": .string(OAuthProbeVersion.current),
                    "rules": .array(rules),
                ])]),
                "automationDetails": .object(["id": .string("oauthprobe/\(target.name)/")]),
                "invocations": .array([invocation(target, results: results)]),
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

    /// Unsuccessful when discovery failed or any probe errored, with a notification for each, so
    /// a viewer can tell "nothing found" from "not everything looked at".
    private static func invocation(_ target: RunRecord.TargetRecord, results: [ProbeResult]) -> JSONValue {
        var notifications: [JSONValue] = []
        if let failure = target.discoveryFailure, target.metadata == nil {
            notifications.append(.object(["level": .string("error"), "message": .object(["text": .string("Metadata discovery failed. \(failure)")])]))
        }
        for result in results where result.verdict == .error {
            notifications.append(.object([
                "level": .string("error"),
                "message": .object(["text": .string("\(result.displayID) could not be evaluated. \(result.message)")]),
                "associatedRule": .object(["id": .string(result.probeID)]),
            ]))
        }
        var invocation: [String: JSONValue] = ["executionSuccessful": .bool(notifications.isEmpty)]
        if !notifications.isEmpty { invocation["toolExecutionNotifications"] = .array(notifications) }
        return .object(invocation)
    }

    private static func rule(_ result: ProbeResult) -> JSONValue {
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

    private static func finding(_ result: ProbeResult, ruleIndex: Int, target: RunRecord.TargetRecord, root: String) -> JSONValue {
        var object: [String: JSONValue] = [
            "ruleId": .string(result.probeID),
            "ruleIndex": .number(Double(ruleIndex)),
            "message": .object(["text": .string(message(result))]),
            "locations": .array([.object(["physicalLocation": physicalLocation(result, target: target, root: root)])]),
            // Stable across runs and machines, so code scanning tracks one alert per probe variant and target.
            "partialFingerprints": .object([
                "primaryLocationLineHash": .string(lineHash("\(result.target) \(result.displayID)")),
                "oauthprobe/v1": .string("\(result.target)/\(result.displayID)"),
            ]),
            "properties": .object(["target": .string(result.target), "variant": result.variant.map(JSONValue.string) ?? .null,
                                   "verdict": .string(ReportText.label(result))]),
        ]
        if result.verdict == .error {
            // SARIF: "open" is a rule the tool could not decide; its level must then be "none".
            object["kind"] = .string("open")
            object["level"] = .string("none")
        } else {
            object["kind"] = .string("fail")
            object["level"] = .string(level(result.severity))
        }
        if let waiver = result.waiver, waiver.kind == .waived {
            object["suppressions"] = .array([.object([
                "kind": .string("external"),
                "status": .string("accepted"),
                "justification": .string("\(waiver.summary), \(waiver.source)"),
            ])])
        }
        return .object(object)
    }

    /// A first sentence short enough for an alert's title, then the details.
    static func message(_ result: ProbeResult) -> String {
        let headline = switch (result.verdict, result.waiver?.kind) {
        case (.error, _): "\(result.displayID) could not be evaluated on \(result.target)."
        case (_, .waived?): "\(result.displayID) fails on \(result.target), waived until \(result.waiver!.expires)."
        default: "\(result.displayID) fails on \(result.target)."
        }
        var text = "\(headline) \(result.title): \(result.message)"
        if let waiver = result.waiver, waiver.kind != .waived { text += " [\(waiver.summary)]" }
        return text
    }

    /// The probe's line in its suite file when that is inside the repository; else the target
    /// file's `issuer` line (suites installed with the tool); else the suite file wherever it is.
    static func physicalLocation(_ result: ProbeResult, target: RunRecord.TargetRecord, root: String) -> JSONValue {
        let (location, text): (SourceLocation, String) =
            if !isInside(result.location.file, root: root), let issuer = target.issuerLocation, isInside(issuer.file, root: root) {
                (issuer, "issuer: \(target.issuer)")
            } else if let variant = result.variant {
                (result.location, "variant: \(variant)")
            } else {
                (result.location, "id: \(result.probeID)")
            }
        // The region covers the key and value that name the probe, variant or issuer.
        return .object([
            "artifactLocation": artifact(location.file, root: root),
            "region": .object([
                "startLine": .number(Double(location.line)), "startColumn": .number(Double(location.column)),
                "endLine": .number(Double(location.line)), "endColumn": .number(Double(location.column + text.utf16.count)),
            ]),
        ])
    }

    /// `hash:1`, the form code scanning's own fingerprints take.
    static func lineHash(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined() + ":1"
    }

    static func isInside(_ file: String, root: String) -> Bool {
        !ReportText.relativePath(file, to: root).hasPrefix("/")
    }

    /// A path under the root relative to `%SRCROOT%`, any other as an absolute file URI.
    static func artifact(_ file: String, root: String) -> JSONValue {
        let relative = ReportText.relativePath(file, to: root)
        if !relative.hasPrefix("/") {
            return .object(["uri": .string(relative), "uriBaseId": .string("%SRCROOT%")])
        }
        return .object(["uri": .string(URL(fileURLWithPath: relative).absoluteString)])
    }

    private static func level(_ severity: Severity) -> String { severity >= .high ? "error" : "warning" }

    /// `token-reuse.code-cross-client` → `TokenReuseCodeCrossClient`, the name form SARIF viewers show.
    private static func ruleName(_ id: String) -> String {
        id.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
