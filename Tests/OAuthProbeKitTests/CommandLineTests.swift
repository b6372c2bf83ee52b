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

    /// The test bundle sits in (or beside) the folder of the products it was built with.
    static func executable() -> URL {
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()].map { $0.appendingPathComponent("oauthprobe") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    static func oauthprobe(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = executable()
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

    @Test("an issuer with a space is refused: exit 65, naming it")
    func issuerWithSpace() throws {
        let path = try TestSupport.write("name: spaced\nissuer: https://idp.example.com/my id\n")
        let run = try Self.oauthprobe(["validate", path])
        #expect(run.status == 65)
        #expect(run.errors.contains("\(path):2:9: error: issuer 'https://idp.example.com/my id' contains a space"), "\(run.errors)")
    }

    @Test("--deadline takes 90s, 5m or 1h; another value is a usage error, exit 64, saying what it takes",
          arguments: [("90s", 0), ("5m", 0), ("1h", 0), ("0s", 64), ("90", 64), ("1.5h", 64), ("soon", 64)] as [(String, Int32)])
    func deadlineFlag(value: String, status: Int32) throws {
        let path = try TestSupport.write("name: plan-only\nissuer: https://idp.example.com/id\nclients: { public: { client_id: spa, redirect_uri: \"https://spa.example/cb\" } }\n")
        let run = try Self.oauthprobe(["run", "--target", path, "--suite", TestSupport.suitesFolder, "--deadline", value, "--dry-run"])
        #expect(run.status == status, "\(run.errors)")
        if status == 64 {
            #expect(run.errors.contains("--deadline takes a whole number of seconds, minutes or hours, more than 0: 90s, 5m, 1h (not '\(value)')"), "\(run.errors)")
        }
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

    @Test("--version prints the version; --shard takes I/N")
    func versionAndShard() throws {
        #expect(try Self.oauthprobe(["--version"]).output == OAuthProbeVersion.current + "\n")
        for bad in ["0/2", "3/2", "x"] {
            #expect(try Self.oauthprobe(["run", "--target", "x.yaml", "--shard", bad]).status == 64, "\(bad)")
        }
    }

    @Test("merge writes one results file and report every format from it; overlaps and other schemas exit 65")
    func mergeAndReport() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("oauthprobe-merge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var staging = SampleRun.record(), production = SampleRun.record()
        staging.targets.removeLast()
        staging.results.removeAll { $0.target != "staging" }
        production.targets.removeFirst()
        production.results.removeAll { $0.target != "production" }
        let a = folder.appendingPathComponent("a.json").path, b = folder.appendingPathComponent("b.json").path
        try JSONReport.render(staging).write(to: URL(fileURLWithPath: a))
        try JSONReport.render(production).write(to: URL(fileURLWithPath: b))
        let all = folder.appendingPathComponent("all.json").path
        let merge = try Self.oauthprobe(["merge", a, b, "-o", all])
        #expect(merge.status == 0, "\(merge.errors)")
        #expect(try JSONReport.read(file: all).results.count == 6)

        let out = folder.appendingPathComponent("out").path
        let report = try Self.oauthprobe(["report", all, "--junit", out + "/junit.xml", "--html", out + "/report.html",
                                          "--markdown", out + "/summary.md", "--sarif", out + "/results.sarif"], environment: ["NO_COLOR": "1"])
        #expect(report.status == 1, "a failure in the results: exit as run would")
        #expect(report.output.hasSuffix("staging: 1 pass, 1 fail, 1 error, 0 skip\nproduction: 0 pass, 2 fail, 0 error, 1 skip\n"))
        for file in ["junit.xml", "report.html", "summary.md", "results.sarif"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }

        let overlap = try Self.oauthprobe(["merge", a, all, "-o", folder.appendingPathComponent("x.json").path])
        #expect(overlap.status == 65 && overlap.errors.contains("results overlap"), "\(overlap.errors)")
        let newer = folder.appendingPathComponent("newer.json").path
        try String(contentsOfFile: a, encoding: .utf8).replacingOccurrences(of: #""schema_version" : 1"#, with: #""schema_version" : 2"#)
            .write(toFile: newer, atomically: true, encoding: .utf8)
        let schema = try Self.oauthprobe(["merge", a, newer, "-o", folder.appendingPathComponent("y.json").path])
        #expect(schema.status == 65 && schema.errors == "\(newer): schema_version 2; this oauthprobe reads 1\n")
        #expect(try Self.oauthprobe(["report", newer, "--html", out + "/x.html"]).status == 65)
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

