extension Plan {
    /// The part of the plan one shard runs. Every probe variant on every target is named
    /// `TARGET ID[variant]`; the names are sorted and dealt round-robin, so the split depends only
    /// on the targets and suites (the same on every machine, whatever the concurrency) and each
    /// shard gets an even share of every target. Returns each kept item's position in the whole plan.
    public func shard(_ shard: Shard) -> (plan: Plan, positions: [Int]) {
        let names = items.map { "\(targets[$0.targetIndex].name) \($0.displayID)" }
        let dealt = names.indices.sorted { (names[$0], $0) < (names[$1], $1) }
        let kept = dealt.enumerated().filter { $0.offset % shard.count == shard.index - 1 }.map(\.element).sorted()
        return (Plan(targets: targets, items: kept.map { items[$0] }), kept)
    }
}
