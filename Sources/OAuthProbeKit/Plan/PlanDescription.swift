/// The plan as `run --dry-run` prints it: what would run on each target, and what would be
/// skipped and why. Nothing is sent to build it.
public enum PlanDescription {
    public static func render(_ plan: Plan) -> String {
        var lines: [String] = []
        for (index, target) in plan.targets.enumerated() {
            let items = plan.items.filter { $0.targetIndex == index }
            lines.append("\(target.name) (\(target.issuer)): \(items.count) probe variants")
            for item in items {
                if let reason = item.skipReason {
                    lines.append("  skip  \(item.displayID): \(reason)")
                } else {
                    let steps = item.probe.steps.map { "\($0.name) (\($0.action.keyword))" }.joined(separator: " → ")
                    lines.append("  run   \(item.displayID): \(steps)")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
