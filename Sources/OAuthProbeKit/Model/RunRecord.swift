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
        /// The target file, and where its `issuer` is written: reports point there when the
        /// suites live outside the user's repository.
        public var file: String? = nil
        public var issuerLocation: SourceLocation? = nil

        public init(name: String, issuer: String, metadata: JSONValue? = nil, metadataURL: String? = nil,
                    discoveryFailure: String? = nil, load: TargetLoad = TargetLoad(), discoveryProblems: [String] = [],
                    file: String? = nil, issuerLocation: SourceLocation? = nil) {
            self.name = name
            self.issuer = issuer
            self.metadata = metadata
            self.metadataURL = metadataURL
            self.discoveryFailure = discoveryFailure
            self.load = load
            self.discoveryProblems = discoveryProblems
            self.file = file
            self.issuerLocation = issuerLocation
        }
    }

    public var targets: [TargetRecord]
    public var results: [ProbeResult]
    public var started: Date
    public var finished: Date
    /// Set for one part of a sharded run (`--shard I/N`).
    public var shard: Shard?
    /// How long the run was allowed (`--deadline`), if it was limited.
    public var deadline: Duration?

    public init(targets: [TargetRecord], results: [ProbeResult], started: Date, finished: Date, shard: Shard? = nil,
                deadline: Duration? = nil) {
        self.targets = targets
        self.results = results
        self.started = started
        self.finished = finished
        self.shard = shard
        self.deadline = deadline
    }
}
