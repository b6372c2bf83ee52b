/// One part of a run split across machines: `--shard 2/3` is the second of three.
public struct Shard: Sendable, Hashable, Codable, CustomStringConvertible {
    /// From 1, as CI systems number parallel jobs (GitLab's `CI_NODE_INDEX`, a matrix of 1…N).
    public var index: Int
    public var count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, (1...count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// `I/N` with 1 ≤ I ≤ N.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { return nil }
        self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }
}
