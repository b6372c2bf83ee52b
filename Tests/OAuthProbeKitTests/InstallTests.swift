import Foundation
import Testing
@testable import OAuthProbeKit

/// The tool as a user installs it: `scripts/install PREFIX`, then run from PREFIX/bin with the
/// build folder off PATH and the working folder elsewhere, so the suites must be found beside
/// the binary. To stay fast, `scripts/install` is given this test run's own debug binary
/// (OAUTHPROBE_BINARY) instead of building for release; the release build and its tarball are
/// checked by the opt-in package test below.
@Suite("Installed tool", .serialized, .timeLimit(.minutes(20)))
struct InstallTests {
    static func run(_ executable: String, _ arguments: [String], in folder: URL, environment: [String: String] = [:]) throws -> CommandLineTests.Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        // PATH without the build folder; no OAUTHPROBE_SUITES to lean on.
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "NO_COLOR": "1"].merging(environment) { $1 }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandLineTests.Run(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }

    static func temporaryFolder(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("oauthprobe-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// `scripts/install PREFIX` with this build's binary.
    static let installed = Task { () throws -> URL in
        let prefix = try temporaryFolder("prefix")
        let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/install").path
        let install = try run("/bin/bash", [script, prefix.path], in: TestSupport.repositoryRoot,
                              environment: ["OAUTHPROBE_BINARY": CommandLineTests.executable().path])
        guard install.status == 0 else { throw FixtureError(description: "scripts/install failed: \(install.errors)") }
        return prefix
    }

    @Test("the default suites: PREFIX/share/oauthprobe/Suites beside PREFIX/bin, Suites in a checkout, OAUTHPROBE_SUITES first")
    func defaultSuites() throws {
        let prefix = try Self.temporaryFolder("layout")
        let suites = prefix.appendingPathComponent("share/oauthprobe/Suites")
        try FileManager.default.createDirectory(at: suites, withIntermediateDirectories: true)
        try Data().write(to: suites.appendingPathComponent("README.md"))
        let binary = prefix.appendingPathComponent("bin/oauthprobe").path
        #expect(Inputs.defaultSuitePath(environment: [:], executable: binary) == suites.path)
        #expect(Inputs.defaultSuitePath(environment: ["OAUTHPROBE_SUITES": "/x"], executable: binary) == "/x")
        let checkout = TestSupport.repositoryRoot.appendingPathComponent(".build/debug/oauthprobe").path
        #expect(Inputs.defaultSuitePath(environment: [:], executable: checkout) == TestSupport.suitesFolder)
    }

    @Test("--version, list and validate work from the install prefix, the suites found beside the binary")
    func offline() async throws {
        let prefix = try await Self.installed.value
        let tool = prefix.appendingPathComponent("bin/oauthprobe").path
        let work = try Self.temporaryFolder("work")
        #expect(FileManager.default.fileExists(atPath: prefix.appendingPathComponent("share/oauthprobe/Suites/redirect-uris.yaml").path))
        #expect(try Self.run(tool, ["--version"], in: work).output == OAuthProbeVersion.current + "\n")
        let list = try Self.run(tool, ["list"], in: work)
        #expect(list.status == 0, "\(list.errors)")
        #expect(list.output.contains("  redirect-uri.unregistered  (critical)  [14 variants]"))
        try """
            name: staging
            issuer: https://idp.example.com
            clients:
              public: { client_id: spa, redirect_uri: https://spa.example.com/cb }
            """.write(to: work.appendingPathComponent("staging.yaml"), atomically: true, encoding: .utf8)
        let validate = try Self.run(tool, ["validate", "staging.yaml", prefix.appendingPathComponent("share/oauthprobe/Suites").path], in: work)
        #expect(validate.status == 0, "\(validate.errors)")
        let plan = try Self.run(tool, ["run", "--target", "staging.yaml", "--dry-run"], in: work)
        #expect(plan.status == 0 && plan.output.contains("redirect-uri.unregistered"), "\(plan.errors)")
    }

    @Test("a run against the hardened reference server from the install prefix, reports beside the user's files",
          .enabled(if: ReferenceServers.enabled, "set OAUTHPROBE_REFERENCE_SERVERS=1 (scripts/test does)"))
    func live() async throws {
        let prefix = try await Self.installed.value
        let tool = prefix.appendingPathComponent("bin/oauthprobe").path
        let work = try Self.temporaryFolder("work")
        // The PKCE probes hardened passes (it fails pkce.verifier-length: DOT checks no verifier's form).
        let only = ["pkce.required-public", "pkce.plain-rejected", "pkce.verifier-mismatch", "pkce.downgrade"].flatMap { ["--only", $0] }
        let run = try Self.run(tool, ["run", "--target", ReferenceServers.targetFiles[0]] + only
                                      + ["--json", "out/results.json", "--sarif", "out/results.sarif", "--junit", "out/junit.xml"], in: work)
        #expect(run.status == 0, "\(run.output)\(run.errors)")
        let document = try JSONReport.read(file: work.appendingPathComponent("out/results.json").path)
        #expect(document.results.count == 4 && document.results.allSatisfy { $0.verdict == .pass })
        #expect(document.results.allSatisfy { $0.location.file.hasPrefix(prefix.path + "/share/oauthprobe/Suites/") })
    }

    @Test("scripts/package: a release tarball whose binary needs no Swift runtime, only libcurl and libxml2",
          .enabled(if: ProcessInfo.processInfo.environment["OAUTHPROBE_PACKAGE_TEST"] == "1", "a release build takes 7 minutes or more: set OAUTHPROBE_PACKAGE_TEST=1"))
    func package() async throws {
        let out = try Self.temporaryFolder("dist")
        let script = TestSupport.repositoryRoot.appendingPathComponent("scripts/package").path
        // `swift test` holds .build locked: the release build gets its own folder (kept, so a
        // second run is quick), and the caller's environment, which SwiftPM keys its build on.
        let scratch = TestSupport.repositoryRoot.appendingPathComponent(".build-package").path
        let built = try Self.run("/bin/bash", [script, out.path], in: TestSupport.repositoryRoot,
                                 environment: ProcessInfo.processInfo.environment.merging(["OAUTHPROBE_BUILD_PATH": scratch]) { $1 })
        #expect(built.status == 0, "\(built.errors)")
        let tarball = built.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let unpacked = try Self.temporaryFolder("unpacked")
        #expect(try Self.run("/bin/tar", ["-xzf", tarball, "-C", unpacked.path, "--strip-components=1"], in: unpacked).status == 0)
        let tool = unpacked.appendingPathComponent("bin/oauthprobe").path
        let libraries = try Self.run("/usr/bin/ldd", [tool], in: unpacked).output
        #expect(!libraries.contains("libswift") && !libraries.contains("libFoundation"), "\(libraries)")
        #expect(libraries.contains("libcurl") && libraries.contains("libxml2"))
        let list = try Self.run(tool, ["list"], in: unpacked)
        #expect(list.status == 0 && list.output.contains("redirect-uri.unregistered"), "\(list.errors)")
    }
}
