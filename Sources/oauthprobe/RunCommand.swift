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

    @OptionGroup var reports: ReportOptions

    @Option(help: "A baseline file of waivers: accepted failures, each with a reason and an expiry date.")
    var baseline: String?

    @Option(help: "Probes in flight at once.")
    var concurrency: Int = 4

    @Option(help: ArgumentHelp("Seconds each request may take. After \(EndpointBreaker.threshold) consecutive timeouts, transport failures or 5xx answers at one endpoint, the run gives up on it: the probes that need it end in error at once."))
    var timeout: Int = 15

    @Option(help: ArgumentHelp("How long the whole run may take: 90s, 5m, 1h. Past it, running probes are stopped and the rest are not run (both error); the reports are still written.",
                               valueName: "duration"))
    var deadline: String?

    @Option(name: .customLong("max-rps"), help: "Requests per second to any one server, at most (a target's max_requests_per_second may ask for less).")
    var maxRequestsPerSecond: Double?

    @Option(help: ArgumentHelp("Run only part I of N of the plan (1/3, 2/3, 3/3 on three machines); `merge` joins the --json files.",
                               valueName: "I/N"))
    var shard: String?

    @Flag(help: "Print the plan (what would run, what is skipped and why) and send nothing.")
    var dryRun = false

    func validate() throws {
        if targets.isEmpty { throw ValidationError("give at least one --target FILE") }
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
        if let rate = maxRequestsPerSecond, !(rate > 0) { throw ValidationError("--max-rps must be more than 0") }
        if let shard, Shard(shard) == nil { throw ValidationError("--shard takes I/N with 1 ≤ I ≤ N, e.g. 2/3") }
        if let deadline, DurationText.parse(deadline) == nil {
            throw ValidationError("--deadline takes a whole number of seconds, minutes or hours, more than 0: 90s, 5m, 1h (not '\(deadline)')")
        }
    }

    func run() async throws {
        let inputs = Inputs.load(targets: targets, suites: suites.isEmpty ? [Inputs.defaultSuitePath()] : suites)
        let waivers = baseline.map { BaselineLoader().load(file: $0) }
        report(inputs.diagnostics + (waivers?.diagnostics ?? []))
        if inputs.hasErrors || waivers.map({ $0.baseline == nil }) == true { throw ExitCode(ExitStatus.invalidInput) }
        let whole = Planner.plan(targets: inputs.targets, suites: inputs.suites, only: only)
        if whole.items.isEmpty {
            FileHandle.standardError.write(Data("no probe matches \(only.joined(separator: ", "))\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
        let part = shard.flatMap { Shard($0) }
        let (plan, positions) = part.map { whole.shard($0) } ?? (whole, Array(whole.items.indices))
        if dryRun {
            print(PlanDescription.render(plan))
            return
        }
        let unwritable = reports.problems()
        if !unwritable.isEmpty {
            FileHandle.standardError.write(Data((unwritable + ["nothing was sent"]).map { "oauthprobe: \($0)\n" }.joined().utf8))
            throw ExitCode(ExitStatus.cannotWriteReport)
        }
        let interactive = ConsoleReport.isInteractive()
        let console = ConsoleReport(colour: interactive)
        print("oauthprobe: \(plan.items.count) probe variants on \(plan.targets.count) target\(plan.targets.count == 1 ? "" : "s")"
              + (part.map { " (shard \($0) of \(whole.items.count))" } ?? ""))
        let progress = ConsoleProgress(report: console, total: plan.items.count, live: interactive)
        let options = RunOptions(concurrency: concurrency, timeout: .seconds(timeout), maxRequestsPerSecond: maxRequestsPerSecond,
                                 deadline: deadline.flatMap(DurationText.parse))
        var record = await Runner(options: options).run(plan, started: progress.begin, progress: progress.record)
        progress.finish()
        DiscoveryNotes.lines(record.targets).forEach { print($0) }
        // Results come in plan order: each one's place in the whole plan, for `merge`.
        for (index, position) in zip(record.results.indices, positions) { record.results[index].position = position }
        record.shard = part
        if let baseline = waivers?.baseline {
            record.results = baseline.apply(to: record.results, today: Baseline.day(of: Date()))
            for waiver in baseline.unused(by: record.results) {
                report([Diagnostic(.warning, at: waiver.location, "waiver for '\(waiver.probe)' matched no result")])
            }
        }
        let unwritten = reports.write(record)
        print(console.summary(record.results, targets: plan.targets.map(\.name)))
        print(console.load(record.targets))
        console.deadline(record).map { print($0) }
        try ReportOptions.exitIfUnwritten(unwritten)
        throw ExitCode(ExitStatus.of(record.results))
    }
}
