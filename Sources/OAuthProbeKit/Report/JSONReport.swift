import Foundation

/// The canonical record of a run (`--json FILE`), versioned so `oauthprobe diff` and other tools
/// can read it later. The shape is documented in docs/results-schema.md; a change that breaks a
/// reader raises `schemaVersion`.
public struct ResultsDocument: Codable, Sendable {
    public static let currentSchemaVersion = 1

    public struct Tool: Codable, Sendable {
        public var name: String
        public var version: String
    }

    public struct Counts: Codable, Sendable, Equatable {
        public var pass = 0, fail = 0, error = 0, skip = 0, waived = 0
    }

    public struct TargetEntry: Codable, Sendable {
        public var name: String
        public var issuer: String
        public var metadataUrl: String?
        /// The metadata document as fetched: what `diff` compares between environments.
        public var metadata: JSONValue?
        public var discoveryFailure: String?
        /// What discovery noticed without judging: another issuer, endpoints on another origin.
        public var discoveryProblems: [String]?
        public var counts: Counts
        /// What the run asked of the server (absent in files written before it was counted).
        public var load: TargetLoad?
        /// The target file and its `issuer` line, where SARIF points when the suites live elsewhere.
        public var file: String?
        public var issuerLocation: Location?
    }

    public struct Location: Codable, Sendable {
        public var file: String
        public var line: Int
        public var column: Int
    }

    public struct ResultEntry: Codable, Sendable {
        public var target: String
        public var suite: String
        public var id: String
        public var variant: String?
        /// `id[variant]`: the name every report uses.
        public var name: String
        public var title: String
        public var practice: String
        public var refs: [String]
        public var severity: Severity
        public var verdict: Verdict
        public var message: String
        /// For a failure, the step whose expectation did not hold (what a waiver's `step` names).
        public var failedStep: String?
        public var durationSeconds: Double
        public var location: Location
        public var waiver: WaiverStatus?
        /// How many times the probe ran: after a server failure it runs again alone (absent in
        /// files written before retries existed).
        public var attempts: Int?
        /// A curl command for the exchange that decided the verdict, secrets as placeholders.
        public var reproduce: String?
        public var evidence: [RecordedExchange]
        /// The result's place in the whole plan (all shards), so merged shards keep one run's order.
        public var position: Int?
    }

    public var schemaVersion: Int
    public var tool: Tool
    public var started: Date
    public var finished: Date
    public var targets: [TargetEntry]
    public var results: [ResultEntry]
    /// Set by `run --shard I/N`: which part of the plan this file holds.
    public var shard: Shard?
    /// Set by `run --deadline`: the seconds the run was allowed.
    public var deadlineSeconds: Int?
}

public enum JSONReport {
    public static func document(_ record: RunRecord) -> ResultsDocument {
        ResultsDocument(
            schemaVersion: ResultsDocument.currentSchemaVersion,
            tool: .init(name: "oauthprobe", version: OAuthProbeVersion.current),
            started: record.started, finished: record.finished,
            targets: record.targets.map { target in
                .init(name: target.name, issuer: target.issuer, metadataUrl: target.metadataURL, metadata: target.metadata,
                      discoveryFailure: target.discoveryFailure, discoveryProblems: target.discoveryProblems,
                      counts: counts(record.results.filter { $0.target == target.name }), load: target.load,
                      file: target.file, issuerLocation: target.issuerLocation.map(location))
            },
            results: record.results.map { result in
                .init(target: result.target, suite: result.suite, id: result.probeID, variant: result.variant, name: result.displayID,
                      title: result.title, practice: result.practice, refs: result.refs, severity: result.severity,
                      verdict: result.verdict, message: result.message, failedStep: result.failedStep, durationSeconds: Double(ReportText.seconds(result.duration))!,
                      location: location(result.location), waiver: result.waiver, attempts: result.attempts,
                      reproduce: ReportText.replay(of: result.evidence), evidence: result.evidence, position: result.position)
            },
            shard: record.shard, deadlineSeconds: record.deadline.map { Int($0.components.seconds) })
    }

    static func location(_ location: SourceLocation) -> ResultsDocument.Location {
        .init(file: location.file, line: location.line, column: location.column)
    }

    public static func render(_ record: RunRecord) -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Every field is a plain value; encoding cannot fail.
        return try! encoder.encode(document(record)) + Data("\n".utf8)
    }

    public struct ReadFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads a results file, refusing a schema this version does not know.
    public static func read(file: String) throws -> ResultsDocument {
        guard let data = FileManager.default.contents(atPath: file) else { throw ReadFailure(description: "\(file): cannot read the file") }
        return try read(data, file: file)
    }

    public static func read(_ data: Data, file: String) throws -> ResultsDocument {
        struct Version: Decodable { var schemaVersion: Int? }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        guard let version = try? decoder.decode(Version.self, from: data), let number = version.schemaVersion else {
            throw ReadFailure(description: "\(file): not an oauthprobe results file (no schema_version)")
        }
        guard number == ResultsDocument.currentSchemaVersion else {
            throw ReadFailure(description: "\(file): schema_version \(number); this oauthprobe reads \(ResultsDocument.currentSchemaVersion)")
        }
        do {
            return try decoder.decode(ResultsDocument.self, from: data)
        } catch let error as DecodingError {
            throw ReadFailure(description: "\(file): \(describe(error))")
        } catch {
            throw ReadFailure(description: "\(file): \(error)")
        }
    }

    /// `results[3].verdict: …`: where in the file, and what is wrong there.
    static func describe(_ error: DecodingError) -> String {
        // Keys as the file writes them: `durationSeconds` → `duration_seconds`.
        func snake(_ key: String) -> String { key.map { $0.isUppercase ? "_\($0.lowercased())" : String($0) }.joined() }
        func path(_ keys: [CodingKey]) -> String {
            String(keys.map { $0.intValue.map { "[\($0)]" } ?? ".\(snake($0.stringValue))" }.joined().drop { $0 == Character(".") })
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])): missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// Verdicts counted as reports show them: a waived failure counts as waived, not as a skip.
    static func counts(_ results: [ProbeResult]) -> ResultsDocument.Counts {
        var counts = ResultsDocument.Counts()
        for result in results {
            switch result.verdict {
            case .pass: counts.pass += 1
            case .fail: counts.fail += 1
            case .error: counts.error += 1
            case .skip where result.waiver?.kind == .waived: counts.waived += 1
            case .skip: counts.skip += 1
            }
        }
        return counts
    }
}
