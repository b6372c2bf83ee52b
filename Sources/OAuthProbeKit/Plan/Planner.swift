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
        // Optional values of the target file that the probe's templates need.
        let paths = Set(probe.references.map { $0.path.prefix(2).joined(separator: ".") })
        if paths.contains("target.unallowed_scope") && target.unallowedScope == nil { missing.append("unallowed_scope") }
        if paths.contains(where: { $0.hasPrefix("resource_b.") }) && target.resourceB == nil { missing.append("resource_b (a second API with its own audience)") }
        for path in paths.sorted() where path.hasPrefix("policy.") && target.policy.values[String(path.dropFirst(7))] == nil {
            missing.append(path)
        }
        missing += identityOnlyRoles(of: probe, on: target).map { role in
            "API scope for the \(role.rawValue) client (its scope, \(target.clients[role]?.scope ?? ""), is identity scopes alone, which a grant without a user does not ask for)"
        }
        if !missing.isEmpty { return "the target has no \(missing.joined(separator: " and "))" }
        if let optIn = probe.optIn, !target.policy.optIn.contains(optIn) {
            return "opt-in probe: add '\(optIn)' to the target's policy.opt_in to run it (it \(Self.optInReasons[optIn] ?? "needs the owner's consent"))"
        }
        return nil
    }

    /// Roles whose API scopes the probe asks for (`clients.ROLE.api_scope`, or a client_credentials
    /// step with the client's scope) but whose scope holds identity scopes alone.
    static func identityOnlyRoles(of probe: Probe, on target: Target) -> [ClientRole] {
        let referenced = probe.references.filter { $0.path.count == 3 && $0.path[0] == "clients" && $0.path[2] == "api_scope" }
            .compactMap { ClientRole(rawValue: $0.path[1]) }
        let granted = probe.steps.compactMap { step -> ClientRole? in
            if case .clientCredentials(let parameters) = step.action, parameters.scope == nil { parameters.client } else { nil }
        }
        return Set(referenced + granted).sorted { $0.rawValue < $1.rawValue }.filter { role in
            guard let scope = target.clients[role]?.scope else { return false }
            return IdentityScopes.apiScopes(of: scope).isEmpty
        }
    }

    /// What each opt-in does that a production owner must agree to, or the policy beyond the
    /// RFCs' MUSTs it holds the server to.
    static let optInReasons = [
        "secret_in_query": "sends a confidential client's real secret in a URL query, where servers and proxies log it",
        "slow": "waits out a lifetime the server must enforce, up to policy.max_code_lifetime seconds",
        "dpop_replay": "judges a policy RFC 9449 §11.1 leaves to the server: that a resource remembers the jti of DPoP proofs it has seen and refuses a replay",
    ]

    /// An exact id first: in a glob, `[host-case]` would be a character class.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        pattern == text || fnmatch(pattern, text, 0) == 0
    }
}
