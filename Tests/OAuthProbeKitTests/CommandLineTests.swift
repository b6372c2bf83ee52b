import Foundation
import Testing
@testable import OAuthProbeKit

/// The built `oauthprobe` executable, run as a user would.
@Suite("Command line")
struct CommandLineTests {
    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    static func oauthprobe(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        // The test bundle sits in (or beside) the folder of the products it was built with.
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()].map { $0.appendingPathComponent("oauthprobe") }
        process.executableURL = candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Both pipes at once: a process that fills one while the other is read would never end.
        nonisolated(unsafe) var err = Data()
        let reading = DispatchGroup()
        DispatchQueue.global().async(group: reading) { err = errors.fileHandleForReading.readDataToEndOfFile() }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }

    @Test("an invalid target gets file:line:col on stderr, exit 65, and nothing is sent")
    func invalidTarget() throws {
        // The issuer would refuse connections; an attempt to reach it would show as an error verdict.
        let path = try TestSupport.write("""
            name: broken
            issuer: https://127.0.0.1:9/o
            clients:
              public: { client_id: spa }
            """)
        let run = try Self.oauthprobe(["run", "--target", path])
        #expect(run.status == 65)
        #expect(run.errors == "\(path):4:11: error: clients.public: missing 'redirect_uri'\n")
        #expect(run.output.isEmpty, "nothing planned, nothing run")
        let validate = try Self.oauthprobe(["validate", path])
        #expect(validate.status == 65)
        #expect(validate.errors == run.errors)
    }

    @Test("validate accepts the shipped suites")
    func validateSuites() throws {
        let run = try Self.oauthprobe(["validate", TestSupport.suitesFolder])
        #expect(run.status == 0, "\(run.errors)")
    }

    @Test("list prints the catalogue grouped by seed heading")
    func list() throws {
        let run = try Self.oauthprobe(["list", "--suite", TestSupport.suitesFolder])
        #expect(run.status == 0)
        let lines = run.output.split(separator: "\n").map(String.init)
        let headings = lines.filter { Practice.headings.contains($0) }
        #expect(headings == headings.sorted { Practice.order(of: $0) < Practice.order(of: $1) })
        #expect(run.output.contains("  redirect-uri.unregistered  (critical)  [14 variants]"))
    }

    @Test("a bad command line exits 64")
    func usage() throws {
        #expect(try Self.oauthprobe(["run"]).status == 64)
        #expect(try Self.oauthprobe(["run", "--target", "x.yaml", "--concurrency", "0"]).status == 64)
    }

    @Test("--dry-run prints the plan and sends nothing")
    func dryRun() throws {
        let path = try TestSupport.write("""
            name: plan-only
            issuer: https://127.0.0.1:9/o
            clients:
              public: { client_id: spa, redirect_uri: https://spa.example/cb }
            """)
        let run = try Self.oauthprobe(["run", "--target", path, "--dry-run", "--only", "pkce.*", "--only", "token-reuse.refresh-cross-client"])
        #expect(run.status == 0)
        #expect(run.output.contains("skip  pkce.required-public: the target has no user to sign in"))
        #expect(run.output.contains("skip  token-reuse.refresh-cross-client: the target has no client roles confidential, confidential_b"))
    }

    @Test("200,000 unknown keys are rejected in seconds, with the first 100 problems and a count of the rest")
    func manyUnknownKeys() throws {
        var text = "name: many\nissuer: https://idp.example.com\nclients:\n  service: { client_id: svc, secret: \"${env:HOME}\" }\n"
        for index in 0..<200_000 { text += "key\(index): value\n" }
        let path = try TestSupport.write(text)
        let started = ContinuousClock.now
        let run = try Self.oauthprobe(["validate", path])
        let elapsed = ContinuousClock.now - started
        #expect(run.status == 65)
        #expect(elapsed < .seconds(30), "took \(elapsed)")
        let lines = run.errors.split(separator: "\n")
        #expect(lines.count == 101, "100 problems and the count of the rest: \(lines.count)")
        #expect(lines.last?.hasSuffix("…and 199900 more problems") == true, "\(lines.suffix(2))")
    }

    @Test("a report that cannot be written exits 73 before any probe runs, saying which file and why",
          arguments: [("a folder", "is a folder"), ("under a file", "is a file, not a folder")])
    func unwritableReport(kind: String, reason: String) async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: "plain")
            let folder = (path as NSString).deletingLastPathComponent
            var report = folder
            if kind == "under a file" {
                try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
                report = folder + "/notes.txt/results.json"
            }
            let run = try Self.oauthprobe(["run", "--target", path, "--suite", TestSupport.suitesFolder, "--only", "authz.state-echoed",
                                           "--junit", folder + "/junit.xml", "--json", report], environment: HostileTarget.environment)
            #expect(run.status == 73, "\(run.errors)")
            #expect(run.errors.contains("cannot write the JSON report to \(report)") && run.errors.contains(reason), "\(run.errors)")
            #expect(try await server.log().isEmpty, "checked before any probe ran")
            #expect(!FileManager.default.fileExists(atPath: folder + "/junit.xml"))
        }
    }
}

