import Foundation

/// Everything one run produced: what each target said about itself, and every result.
/// Reports read this and nothing else.
public struct RunRecord: Sendable {
    public struct TargetRecord: Sendable {
        public var name: String
        public var issuer: String
        /// The metadata document as fetched, if any (it holds no secrets).
        public var metadata: JSONValue?
        public var metadataURL: String?
        /// Why metadata could not be fetched, if it could not.
        public var discoveryFailure: String?
        /// What the run asked of this server.
        public var load = TargetLoad()
        /// What discovery noticed without judging: another issuer named, endpoints on another origin.
        public var discoveryProblems: [String] = []
    }

    public var targets: [TargetRecord]
    public var results: [ProbeResult]
    public var started: Date
    public var finished: Date

    public init(targets: [TargetRecord], results: [ProbeResult], started: Date, finished: Date) {
        self.targets = targets
        self.results = results
        self.started = started
        self.finished = finished
    }
}
