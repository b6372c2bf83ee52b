import Foundation

/// A results file read back into the run it records, so `oauthprobe report` and `merge` write
/// every format without probing again. Keys this version does not know are ignored, so files
/// from a newer oauthprobe of the same schema version still read.
extension RunRecord {
    public init(_ document: ResultsDocument) {
        self.init(
            targets: document.targets.map { target in
                TargetRecord(name: target.name, issuer: target.issuer, metadata: target.metadata, metadataURL: target.metadataUrl,
                             discoveryFailure: target.discoveryFailure, load: target.load ?? TargetLoad(),
                             discoveryProblems: target.discoveryProblems ?? [], file: target.file,
                             issuerLocation: target.issuerLocation.map(SourceLocation.init))
            },
            results: document.results.map(ProbeResult.init),
            started: document.started, finished: document.finished, shard: document.shard,
            deadline: document.deadlineSeconds.map { .seconds($0) })
    }
}

extension ProbeResult {
    init(_ entry: ResultsDocument.ResultEntry) {
        self.init(target: entry.target, suite: entry.suite, probeID: entry.id, variant: entry.variant, title: entry.title,
                  practice: entry.practice, refs: entry.refs, severity: entry.severity, verdict: entry.verdict,
                  message: entry.message, evidence: entry.evidence,
                  duration: .milliseconds(Int((entry.durationSeconds * 1_000).rounded())),
                  location: SourceLocation(entry.location), waiver: entry.waiver, position: entry.position)
        attempts = entry.attempts ?? 1
        failedStep = entry.failedStep
    }
}

extension SourceLocation {
    init(_ location: ResultsDocument.Location) {
        self.init(file: location.file, line: location.line, column: location.column)
    }
}

extension JSONReport {
    /// The run a results file records.
    public static func record(file: String) throws -> RunRecord {
        RunRecord(try read(file: file))
    }
}
