import Foundation
import Yams

/// Everything a run needs from files, loaded together so every problem is reported at once.
public struct Inputs: Sendable {
    public var targets: [Target]
    public var suites: [Suite]
    public var diagnostics: [Diagnostic]

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public static func load(targets targetFiles: [String], suites suitePaths: [String],
                            environment: [String: String] = ProcessInfo.processInfo.environment) -> Inputs {
        var diagnostics: [Diagnostic] = []
        var targets: [Target] = []
        let loader = TargetLoader(environment: environment)
        for file in targetFiles {
            let (target, problems) = loader.load(file: file)
            diagnostics += problems
            if let target {
                if let other = targets.first(where: { $0.name == target.name }) {
                    diagnostics.append(Diagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1),
                                                  "target name '\(target.name)' is also used by \(other.file); reports need distinct names"))
                }
                targets.append(target)
            }
        }
        let (suites, suiteProblems) = SuiteLoader().load(paths: suitePaths)
        return Inputs(targets: targets, suites: suites, diagnostics: diagnostics + suiteProblems)
    }

    /// The Suites/ folder that ships with the tool: `OAUTHPROBE_SUITES`, else the nearest folder
    /// above the executable with `Suites` (a build inside the checkout) or `share/oauthprobe/Suites`
    /// (installed: PREFIX/bin/oauthprobe beside PREFIX/share/oauthprobe/Suites), else `./Suites`.
    public static func defaultSuitePath(environment: [String: String] = ProcessInfo.processInfo.environment,
                                        executable: String = runningExecutable()) -> String {
        if let path = environment["OAUTHPROBE_SUITES"] { return path }
        var directory = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" {
            for relative in ["Suites", "share/oauthprobe/Suites"] {
                let candidate = directory.appendingPathComponent(relative)
                if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("README.md").path) { return candidate.path }
            }
            directory.deleteLastPathComponent()
        }
        return "Suites"
    }

    /// This process's executable, wherever it was started from: `argv[0]` is only a name when the
    /// tool was found on PATH.
    public static func runningExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? Bundle.main.executablePath ?? CommandLine.arguments[0]
    }

    /// Checks files of any kind, telling suites (`probes:`), targets (`issuer:`) and baselines
    /// (`waivers:`) apart by their keys.
    public static func validate(files: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var suiteFiles: [String] = []
        for file in files {
            switch kind(of: file) {
            case .suite: suiteFiles.append(file)
            case .target: diagnostics += TargetLoader(environment: environment).load(file: file).diagnostics
            case .baseline: diagnostics += BaselineLoader().load(file: file).diagnostics
            case .unknown(let reason): diagnostics.append(Diagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), reason))
            }
        }
        if !suiteFiles.isEmpty { diagnostics += SuiteLoader().load(paths: suiteFiles).diagnostics }
        return diagnostics
    }

    enum Kind { case suite, target, baseline, unknown(String) }

    static func kind(of file: String) -> Kind {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else { return .unknown("no such file") }
        if isDirectory.boolValue { return .suite }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            return .unknown("cannot read the file")
        }
        // Top-level keys of a block mapping start a line; reading them spares parsing a large file
        // twice. Otherwise (flow style) parse it; a file that does not parse is reported by the
        // suite loader, which names the syntax error.
        var keys = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard let first = line.first, first.isLetter, let colon = line.firstIndex(of: ":") else { return nil }
            return String(line[..<colon])
        })
        if keys.isDisjoint(with: ["probes", "issuer", "clients", "waivers"]) {
            guard case .mapping(let mapping)? = try? Yams.compose(yaml: text) else { return .suite }
            keys = Set(mapping.keys.compactMap(\.string))
        }
        if keys.contains("probes") { return .suite }
        if keys.contains("issuer") || keys.contains("clients") { return .target }
        if keys.contains("waivers") { return .baseline }
        return .unknown("neither a suite (no 'probes:'), a target (no 'issuer:') nor a baseline (no 'waivers:')")
    }
}

/// Exit statuses of interface.md.
public enum ExitStatus {
    public static let success: Int32 = 0
    public static let findings: Int32 = 1
    public static let errors: Int32 = 2
    public static let usage: Int32 = 64
    public static let invalidInput: Int32 = 65
    /// A report file cannot be written (sysexits' EX_CANTCREAT).
    public static let cannotWriteReport: Int32 = 73

    public static func of(_ results: [ProbeResult]) -> Int32 {
        if results.contains(where: { $0.verdict == .fail }) { return findings }
        if results.contains(where: { $0.verdict == .error }) { return errors }
        return success
    }
}
