/// The catalogue as `oauthprobe list` prints it: probes grouped by seed heading.
public enum Catalogue {
    public static func render(_ suites: [Suite]) -> String {
        let probes = suites.flatMap(\.probes)
        let practices = Set(probes.map(\.practice)).sorted { Practice.order(of: $0) < Practice.order(of: $1) }
        var lines: [String] = []
        for practice in practices {
            if !lines.isEmpty { lines.append("") }
            lines.append(practice)
            for probe in probes where probe.practice == practice {
                let variants = probe.variants.isEmpty ? "" : "  [\(probe.variants.count) variants]"
                lines.append("  \(probe.id)  (\(probe.severity.rawValue))\(variants)")
                lines.append("      \(probe.title)")
                lines.append("      \(probe.refs.joined(separator: "; "))")
            }
        }
        let variantCount = probes.reduce(0) { $0 + max(1, $1.variants.count) }
        lines.append("")
        lines.append("\(probes.count) probes, \(variantCount) with their variants")
        return lines.joined(separator: "\n")
    }
}
