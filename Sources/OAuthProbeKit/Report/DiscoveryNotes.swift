/// What discovery found wrong on each target, for the console: a failure (every probe then
/// gives `error`) and the problems it noticed without judging (another issuer, endpoints on
/// another origin). One line each, `TARGET: …`.
public enum DiscoveryNotes {
    public static func lines(_ targets: [RunRecord.TargetRecord]) -> [String] {
        targets.flatMap { target in
            (target.discoveryFailure.map { ["\(target.name): metadata discovery failed: \($0)"] } ?? [])
                + target.discoveryProblems.map { "\(target.name): \($0)" }
        }
    }
}
