import ArgumentParser
import Foundation
import OAuthProbeKit

/// `oauthprobe run`: load, plan, run, report.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the suites against one or more targets."
    )

    @Option(name: .customLong("target"), help: "A target file (repeat for several environments).")
    var targets: [String]

    @Option(name: .customLong("suite"), help: "A suite file or folder (default: the Suites/ folder shipped with the tool).")
    var suites: [String] = []

    @Option(name: .customLong("only"), help: "Run only probes whose id matches this glob, e.g. 'pkce.*' (repeatable).")
    var only: [String] = []

    @Option(help: "Write a JUnit XML report here.")
    var junit: String?

    @Option(help: "Probes in flight at once.")
    var concurrency: Int = 4

    @Option(help: "Seconds each request may take.")
    var timeout: Int = 15

    @Flag(help: "Print the plan (what would run, what is skipped and why) and send nothing.")
    var dryRun = false

    func validate() throws {
        if targets.isEmpty { throw ValidationError("give at least one --target FILE") }
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
    }

    func run() async throws {
        let inputs = Inputs.load(targets: targets, suites: suites.isEmpty ? [Inputs.defaultSuitePath()] : suites)
        report(inputs.diagnostics)
        if inputs.hasErrors { throw ExitCode(ExitStatus.invalidInput) }
        let plan = Planner.plan(targets: inputs.targets, suites: inputs.suites, only: only)
        if plan.items.isEmpty {
            FileHandle.standardError.write(Data("no probe matches \(only.joined(separator: ", "))\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
        if dryRun {
            print(PlanDescription.render(plan))
            return
        }
        let console = ConsoleReport(colour: ConsoleReport.wantsColour())
        print("oauthprobe: \(plan.items.count) probe variants on \(plan.targets.count) target\(plan.targets.count == 1 ? "" : "s")")
        let record = await Runner(options: RunOptions(concurrency: concurrency, timeout: .seconds(timeout))).run(plan) { result in
            print(console.progressLine(result))
        }
        if let junit {
            try write(JUnitReport.render(record.results, targets: plan.targets), to: junit)
        }
        print(console.summary(record.results, targets: plan.targets))
        throw ExitCode(ExitStatus.of(record.results))
    }

    private func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }
}
