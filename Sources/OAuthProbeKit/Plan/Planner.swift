import Foundation

/// Expands every probe into its variants for every target and decides, from the files alone,
/// which cannot run there (missing role, user or resource).
public enum Planner {
    /// - Parameter only: id globs (`pkce.*`); a probe is kept if its id or a variant's full id matches one.
    public static func plan(targets: [Target], suites: [Suite], only: [String] = []) -> Plan {
        var items: [PlannedProbe] = []
        for (index, target) in targets.enumerated() {
            for suite in suites {
                for probe in suite.probes {
                    let variants: [Variant?] = probe.variants.isEmpty ? [nil] : probe.variants
                    for variant in variants {
                        var item = PlannedProbe(targetIndex: index, suite: suite, probe: probe, variant: variant)
                        guard only.isEmpty || only.contains(where: { glob($0, matches: probe.id) || glob($0, matches: item.displayID) })
                        else { continue }
                        item.skipReason = missingPieces(of: probe, on: target)
                        items.append(item)
                    }
                }
            }
        }
        return Plan(targets: targets, items: items)
    }

    /// What the target lacks for this probe, in words, or nil.
    static func missingPieces(of probe: Probe, on target: Target) -> String? {
        var missing: [String] = []
        let roles = probe.roles.filter { target.clients[$0] == nil }
        if !roles.isEmpty { missing.append("client role\(roles.count > 1 ? "s" : "") \(roles.map(\.rawValue).joined(separator: ", "))") }
        if probe.needsUser && target.user == nil { missing.append("user to sign in") }
        if probe.endpoints.contains(.resource) && target.resourceURL == nil { missing.append("resource.url") }
        return missing.isEmpty ? nil : "the target has no \(missing.joined(separator: " and "))"
    }

    static func glob(_ pattern: String, matches text: String) -> Bool {
        fnmatch(pattern, text, 0) == 0
    }
}
