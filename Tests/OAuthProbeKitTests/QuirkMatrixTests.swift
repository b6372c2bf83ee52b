import Foundation
import Testing
@testable import OAuthProbeKit

/// The quirk matrix: behaviours of real, conforming servers (a 200 error page, refresh tokens
/// only with offline_access, a rate limiter in front…) switched on per issuer of the DOT mutant
/// server (Tests/Servers/dot/quirks.json). The kill matrix shows each probe can fail; this shows
/// its verdict stays right where another vendor answers differently: a quirk alone on the clean
/// configuration fails and errors nothing, and every mutation aimed at a probe the quirk
/// touches still fails with the quirk on.
enum QuirkServer {
    struct Quirk: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var behaviour: String
        var vendors: [String]
        var sources: [String]
        /// Probe ids (every variant) or `id[variant]`s whose judgement the quirk exercises.
        var touches: [String]
        /// Probe variants whose verdict on the quirk alone may differ from clean's (reviewed).
        var collateral: [String]?
        /// Mutations the quirk makes meaningless (it removes the code path they break).
        var exclude: [String]?

        var testDescription: String { name }
        /// The quirk alone, on the clean configuration.
        var issuer: String { "clean--\(name)" }

        func touches(_ displayID: String) -> Bool {
            touches.contains { $0 == displayID || displayID.hasPrefix("\($0)[") }
        }
    }

    /// A mutation with a quirk on: the variants both aim at must still fail.
    struct Combination: Sendable, CustomTestStringConvertible {
        var mutation: String
        var quirk: String
        var aims: [String]
        var issuer: String { "\(mutation)--\(quirk)" }
        var testDescription: String { issuer }
    }

    static let quirks: [Quirk] = {
        guard let data = try? Data(contentsOf: MutantServer.folder.appendingPathComponent("quirks.json")),
              let quirks = try? JSONDecoder().decode([Quirk].self, from: data) else { return [] }
        return quirks
    }()

    static let combinations: [Combination] = quirks.flatMap { quirk in
        MutantServer.mutations.compactMap { mutation -> Combination? in
            guard mutation.expect == "fail", !(quirk.exclude ?? []).contains(mutation.name) else { return nil }
            let aims = mutation.aims.filter(quirk.touches)
            return aims.isEmpty ? nil : Combination(mutation: mutation.name, quirk: quirk.name, aims: aims)
        }
    }

    /// On a quirk alone: every probe of the suite files of the probes it touches, but slow ones.
    static func runs(_ item: PlannedProbe, alone quirk: Quirk, catalogue: [PlannedProbe]) -> Bool {
        guard item.probe.optIn != "slow" else { return false }
        let suites = Set(catalogue.filter { quirk.touches($0.displayID) }.map(\.suite.name))
        return suites.contains(item.suite.name)
    }
}

struct QuirkKill: Sendable, CustomTestStringConvertible {
    var combination: QuirkServer.Combination
    var probe: String
    var testDescription: String { "\(probe) on \(combination.issuer)" }
}

@Suite("Quirk matrix on the mutant server", .enabled(if: ReferenceServers.enabled, "set OAUTHPROBE_REFERENCE_SERVERS=1 (scripts/test does)"),
       .serialized)
struct QuirkMatrixTests {
    @Test("the quirk manifest names vendors, sources and known probes, and every issuer has a target file")
    func manifest() throws {
        try #require(!QuirkServer.quirks.isEmpty, "Tests/Servers/dot/quirks.json is missing or unreadable")
        let probes = Set(MutantServer.catalogue.flatMap { [$0.probe.id, $0.displayID] })
        for quirk in QuirkServer.quirks {
            // A behaviour no vendor was found to show keeps an empty vendor list, and its sources say so.
            #expect(!quirk.sources.isEmpty, "\(quirk.name): sources")
            #expect(quirk.touches.allSatisfy(probes.contains), "\(quirk.name) touches unknown probes: \(quirk.touches.filter { !probes.contains($0) })")
            #expect(FileManager.default.fileExists(atPath: MutantServer.targetFile(quirk.issuer)), "\(quirk.issuer): run Tests/Servers/dot/setup.sh")
        }
        for combination in QuirkServer.combinations {
            #expect(FileManager.default.fileExists(atPath: MutantServer.targetFile(combination.issuer)), "\(combination.issuer): run Tests/Servers/dot/setup.sh")
        }
    }

    @Test("a quirk alone on the clean configuration fails nothing, errors nothing, and changes only its listed collateral",
          arguments: QuirkServer.quirks)
    func alone(_ quirk: QuirkServer.Quirk) async {
        let results = await MutantServer.results(quirk.issuer)
        #expect(results.contains { quirk.touches($0.displayID) }, "no probe the quirk touches ran on \(quirk.issuer)")
        let clean = Dictionary(uniqueKeysWithValues: await MutantServer.results("clean").map { ($0.displayID, $0.verdict) })
        for result in results {
            #expect(result.verdict != .fail && result.verdict != .error, "\(quirk.name) — \(result.displayID): \(result.verdict) \(result.message)")
            if clean[result.displayID] != result.verdict {
                #expect((quirk.collateral ?? []).contains(result.displayID),
                        "\(quirk.name) — \(result.displayID): \(result.verdict) where clean gives \(clean[result.displayID].map(\.rawValue) ?? "nothing"): \(result.message)")
            }
        }
    }

    @Test("a mutation still fails the variants it aims at with a quirk that touches them on",
          arguments: QuirkServer.combinations.flatMap { combination in combination.aims.map { QuirkKill(combination: combination, probe: $0) } })
    func combined(_ kill: QuirkKill) async throws {
        let results = await MutantServer.results(kill.combination.issuer)
        let result = try #require(results.first { $0.displayID == kill.probe }, "\(kill.probe) did not run on \(kill.combination.issuer)")
        #expect(result.verdict == .fail, "\(result.message)")
    }
}

@Suite("Quirk matrix documentation")
struct QuirkMatrixDocumentationTests {
    @Test("the README's kill-matrix and quirk-matrix tables are what the manifests say (scripts/matrix-tables)")
    func tablesCurrent() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestSupport.repositoryRoot.appendingPathComponent("scripts/matrix-tables").path, "--check"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
    }

    @Test("the README's quirk table names every quirk", arguments: QuirkServer.quirks)
    func listed(_ quirk: QuirkServer.Quirk) throws {
        let readme = try String(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let row = readme.split(separator: "\n").first { $0.hasPrefix("| `\(quirk.name)` |") }
        #expect(row != nil, "README.md: no quirk table row for \(quirk.name)")
    }
}
