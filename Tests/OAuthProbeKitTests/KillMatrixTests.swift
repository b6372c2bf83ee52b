import Foundation
import Testing
@testable import OAuthProbeKit

/// The kill matrix: the DOT mutant server (Tests/Servers/dot/mutants) breaks one practice per
/// issuer; each probe variant must fail on the mutation aimed at it, and pass (or skip by name) on
/// the clean issuer. A pass is only worth signing off if the probe has been seen failing.
enum MutantServer {
    struct Mutation: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        /// The probe variants this mutation must turn to `expect`.
        var aims: [String]
        var breaks: String
        /// `fail` for a mutation, `pass` for a control twin that breaks nothing the probe judges.
        var expect: String
        /// For mutations that break the answers rather than a practice: what the harness must make of them.
        var judgement: String?
        /// Probe variants not aimed at that this mutation may turn from their clean verdict, as
        /// observed and reviewed: listed, so no other change goes unnoticed.
        var collateral: [String]?

        var testDescription: String { name }
        var target: String { "mutant-\(name)" }
    }

    static let folder = ReferenceServers.servers.appendingPathComponent("dot")
    static let mutations: [Mutation] = {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("mutants.json")),
              let mutations = try? JSONDecoder().decode([Mutation].self, from: data) else { return [] }
        return mutations
    }()

    static func targetFile(_ issuer: String) -> String {
        folder.appendingPathComponent("state/targets/\(issuer).yaml").path
    }

    /// Mutations that break what a token endpoint answers to a refusal, and what the harness must conclude.
    static let brokenRefusals: [String: Verdict] = ["refusal-200-empty": .error, "refusal-with-token": .fail]

    /// The probes whose verdict rests on a refused token request (`expect: { tokens: none }`).
    static func restsOnRefusal(_ probe: Probe) -> Bool {
        probe.steps.contains { $0.expect.contains(where: \.isRefusal) }
    }

    /// Mutations that put something in front of the server whose answers decide nothing (a WAF's
    /// block page, a resource that serves anonymous requests): the probes they reach.
    static func reached(by mutation: String, _ probe: Probe) -> Bool? {
        switch mutation {
        case "waf-blocks-attacks": probe.id == "redirect-uri.unregistered"
        case "resource-open": probe.steps.contains { if case .resource = $0.action { true } else { false } }
        default: nil
        }
    }

    /// Whether the probe variant calls the target's own resource (`resource.url`), not userinfo
    /// or the second API: what resource-open serves without a token.
    static func callsResource(_ item: PlannedProbe) -> Bool {
        item.probe.steps.contains { step in
            guard case .resource(let parameters) = step.action else { return false }
            guard var url = parameters.url?.description else { return true }
            for (key, value) in item.variant?.values ?? [:] { url = url.replacingOccurrences(of: "{{variant.\(key)}}", with: value.description) }
            return url.contains("endpoints.resource") || url.contains("resource.url")
        }
    }

    /// The redirect-uri.unregistered variants whose redirect_uri holds `attacker` or `*`, which
    /// waf-blocks-attacks blocks (mutants.json).
    static let wafBlocked: Set<String> = ["other-host", "subdomain", "userinfo", "path-suffix", "dot-segments", "extra-query", "fragment", "wildcard-host"]

    static func hasBrowserStep(_ probe: Probe) -> Bool {
        probe.steps.contains { if case .authorize = $0.action { true } else { false } }
    }

    /// What runs on each mutation: everything on the clean issuer and on the sign-in mutant; the
    /// refusal-dependent probes on the broken-refusal mutants; elsewhere every variant of each aimed
    /// probe and the rest of its suite file, so a change outside the aim shows as collateral. A
    /// slow probe (it waits out a lifetime) runs on no other mutation than the ones aimed at it.
    static func runs(_ item: PlannedProbe, on mutation: Mutation, catalogue: [PlannedProbe]) -> Bool {
        if mutation.name == "clean" || mutation.name == "login-other-origin" { return true }
        // A slow probe waits out a lifetime: it runs only where it is aimed.
        if item.probe.optIn == "slow" { return mutation.aims.contains { $0.hasPrefix(item.probe.id) } }
        if brokenRefusals[mutation.name] != nil { return restsOnRefusal(item.probe) }
        if let reached = reached(by: mutation.name, item.probe) { return reached }
        let aimedProbes = Set(mutation.aims.map { String($0.prefix { $0 != "[" }) })
        let aimedSuites = Set(catalogue.filter { aimedProbes.contains($0.probe.id) }.map(\.suite.name))
        return aimedSuites.contains(item.suite.name)
    }

    static var catalogue: [PlannedProbe] { run.plan.items.filter { $0.targetIndex == 0 } }

    /// One run over every issuer at once (each mutation, each quirk alone and each mutation with
    /// a quirk that touches its aim): results by issuer name.
    static let run: (plan: Plan, results: Task<[String: [ProbeResult]], Never>) = {
        let issuers = mutations.map(\.name) + QuirkServer.quirks.map(\.issuer) + QuirkServer.combinations.map(\.issuer)
        let inputs = Inputs.load(targets: issuers.map(targetFile), suites: [TestSupport.suitesFolder])
        var plan = Planner.plan(targets: inputs.targets, suites: inputs.suites)
        let byTarget = Dictionary(uniqueKeysWithValues: mutations.map { ($0.target, $0) })
        let quirksAlone = Dictionary(uniqueKeysWithValues: QuirkServer.quirks.map { ("mutant-\($0.issuer)", $0) })
        let combinations = Dictionary(uniqueKeysWithValues: QuirkServer.combinations.map { ("mutant-\($0.issuer)", $0) })
        let full = plan
        let catalogue = plan.items.filter { $0.targetIndex == 0 }
        plan.items = plan.items.filter { item in
            let target = plan.targets[item.targetIndex].name
            if let mutation = byTarget[target] { return runs(item, on: mutation, catalogue: catalogue) }
            if let quirk = quirksAlone[target] { return QuirkServer.runs(item, alone: quirk, catalogue: catalogue) }
            return combinations[target]?.aims.contains(item.displayID) ?? false
        }
        let task = Task { () -> [String: [ProbeResult]] in
            precondition(!inputs.hasErrors, "\(inputs.diagnostics)")
            let record = await Runner(options: RunOptions(concurrency: 6, timeout: .seconds(30))).run(plan)
            return Dictionary(grouping: record.results) { String($0.target.dropFirst("mutant-".count)) }
        }
        return (full, task)
    }()

    static func results(_ mutation: String) async -> [ProbeResult] {
        await run.results.value[mutation] ?? []
    }
}

/// One aimed probe variant on its mutation.
struct Kill: Sendable, CustomTestStringConvertible {
    var mutation: String
    var probe: String
    var verdict: Verdict
    var breaks: String
    var testDescription: String { "\(probe) on \(mutation) → \(verdict.rawValue)" }
}

let kills: [Kill] = MutantServer.mutations.flatMap { mutation in
    mutation.aims.map { Kill(mutation: mutation.name, probe: $0, verdict: mutation.expect == "pass" ? .pass : .fail, breaks: mutation.breaks) }
}

@Suite("Kill matrix on the mutant server", .enabled(if: ReferenceServers.enabled, "set OAUTHPROBE_REFERENCE_SERVERS=1 (scripts/test does)"),
       .serialized)
struct KillMatrixTests {
    @Test("the manifest lists the clean issuer and a target file for every mutation")
    func manifest() throws {
        try #require(MutantServer.mutations.contains { $0.name == "clean" }, "Tests/Servers/dot/mutants.json is missing or unreadable")
        for mutation in MutantServer.mutations {
            #expect(FileManager.default.fileExists(atPath: MutantServer.targetFile(mutation.name)), "\(mutation.name): run Tests/Servers/dot/setup.sh")
        }
    }

    @Test("every probe variant of the catalogue is killed by some mutation")
    func everyVariantKilled() {
        let killed = Set(kills.filter { $0.verdict == .fail }.map(\.probe))
        let catalogue = Set(MutantServer.catalogue.map(\.displayID))
        #expect(catalogue.subtracting(killed).isEmpty, "no mutation kills: \(catalogue.subtracting(killed).sorted())")
        #expect(killed.subtracting(catalogue).isEmpty, "the manifest aims at unknown probes: \(killed.subtracting(catalogue).sorted())")
    }

    @Test("the clean issuer passes every probe variant, or skips it naming why")
    func clean() async {
        let results = await MutantServer.results("clean")
        #expect(results.count == MutantServer.catalogue.count)
        for result in results where result.verdict != .pass {
            #expect(result.verdict == .skip && result.message.hasPrefix("not applicable: "), "\(result.displayID): \(result.verdict) \(result.message)")
        }
    }

    @Test("each mutation turns the probe variant it aims at", arguments: kills)
    func kill(_ kill: Kill) async throws {
        let results = await MutantServer.results(kill.mutation)
        let result = try #require(results.first { $0.displayID == kill.probe }, "\(kill.probe) did not run on \(kill.mutation)")
        #expect(result.verdict == kill.verdict, "\(kill.breaks) — got: \(result.message)")
    }

    @Test("a mutation changes nothing beyond its aim but what its manifest entry lists as collateral",
          arguments: MutantServer.mutations.filter { !$0.aims.isEmpty })
    func collateral(_ mutation: MutantServer.Mutation) async {
        let clean = Dictionary(uniqueKeysWithValues: await MutantServer.results("clean").map { ($0.displayID, $0.verdict) })
        let changed = await MutantServer.results(mutation.name)
            .filter { !mutation.aims.contains($0.displayID) && clean[$0.displayID] != $0.verdict }
        let observed = Set(changed.map(\.displayID))
        #expect(observed.isSubset(of: Set(mutation.collateral ?? [])),
                "collateral of \(mutation.name): \(changed.map { "\($0.displayID) → \($0.verdict): \($0.message)" })")
    }

    @Test("a refusal answered with 200 {} is no verdict; one that carries an access token is a finding",
          arguments: MutantServer.brokenRefusals.keys.sorted())
    func brokenRefusals(_ name: String) async {
        let results = await MutantServer.results(name)
        #expect(!results.isEmpty)
        let clean = Dictionary(uniqueKeysWithValues: await MutantServer.results("clean").map { ($0.displayID, $0.verdict) })
        for result in results {
            // Where a refusal the probe expects was sent, its broken answer decides; a refusal it
            // requires (a control) cannot be met either way; where the server took another path
            // (no code to redeem, no refresh token), the probe judges as on clean.
            let steps = MutantServer.catalogue.first { $0.displayID == result.displayID }?.probe.steps ?? []
            func sent(_ refusals: (Step) -> [OAuthProbeKit.Expectation]) -> Bool {
                let names = Set(steps.filter { step in refusals(step).contains(where: \.isRefusal) }.map(\.name))
                return result.evidence.contains { names.contains($0.step) }
            }
            let expected: Verdict? = sent { $0.require } ? .error : sent { $0.expect } ? MutantServer.brokenRefusals[name] : clean[result.displayID]
            #expect(result.verdict == expected, "\(result.displayID): \(result.message)")
        }
    }

    @Test("a WAF's block page at an attack step is no refusal: the variants it blocks are errors, the others as on clean")
    func wafBlockPage() async {
        let results = await MutantServer.results("waf-blocks-attacks")
        #expect(results.count == 14)
        let clean = Dictionary(uniqueKeysWithValues: await MutantServer.results("clean").map { ($0.displayID, $0.verdict) })
        for result in results {
            let expected = MutantServer.wafBlocked.contains(result.variant ?? "") ? Verdict.error : clean[result.displayID]
            #expect(result.verdict == expected, "\(result.displayID): \(result.message)")
        }
    }

    @Test("a resource that serves anonymous requests judges no token: its probes are errors naming why; others as on clean")
    func openResource() async {
        let results = await MutantServer.results("resource-open")
        #expect(!results.isEmpty)
        let clean = Dictionary(uniqueKeysWithValues: await MutantServer.results("clean").map { ($0.displayID, $0.verdict) })
        for result in results {
            let item = MutantServer.catalogue.first { $0.displayID == result.displayID }
            if clean[result.displayID] == .skip || !(item.map(MutantServer.callsResource) ?? true) {
                #expect(result.verdict == clean[result.displayID], "\(result.displayID): \(result.verdict) \(result.message)")
            } else {
                #expect(result.verdict == .error && result.message.contains("without a token"), "\(result.displayID): \(result.verdict) \(result.message)")
            }
        }
    }

    @Test("a sign-in page on another origin makes every browser probe an error, never a verdict")
    func signInElsewhere() async {
        let results = await MutantServer.results("login-other-origin")
        #expect(results.count == MutantServer.catalogue.count)
        let clean = Dictionary(uniqueKeysWithValues: await MutantServer.results("clean").map { ($0.displayID, $0.verdict) })
        for result in results {
            let browser = MutantServer.catalogue.first { $0.displayID == result.displayID }.map { MutantServer.hasBrowserStep($0.probe) } ?? true
            let expected = browser ? Verdict.error : clean[result.displayID]
            #expect(result.verdict == expected, "\(result.displayID): \(result.message)")
        }
    }
}

@Suite("Kill matrix documentation")
struct KillMatrixDocumentationTests {
    @Test("the README's kill matrix names every aimed mutation beside its probe variant", arguments: kills)
    func listed(_ kill: Kill) throws {
        let readme = try String(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `\(kill.probe)` |") }
        #expect(rows.contains { $0.contains("`\(kill.mutation)`") }, "README.md: no kill matrix row names \(kill.mutation) for \(kill.probe)")
    }
}
