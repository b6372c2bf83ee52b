import ArgumentParser
import Foundation
import OAuthProbeKit

/// `oauthprobe merge A.json B.json … -o all.json`: the shards of a `--shard` run (or runs of
/// different targets) as one results file, in the order one unsharded run would have.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join results files (the --json of each shard) into one.",
        discussion: "Exit status: 0 merged; 65 a file is not a results file, has another schema version, or results overlap."
    )

    @Argument(help: "Results files.")
    var files: [String]

    @Option(name: [.customShort("o"), .customLong("output")], help: "Where to write the merged results file.")
    var output: String

    func validate() throws {
        if files.isEmpty { throw ValidationError("give the results files to merge") }
    }

    func run() throws {
        do {
            let inputs = try files.map { file in
                let document = try JSONReport.read(file: file)
                return (name: file, record: RunRecord(document), tool: document.tool.version)
            }
            let (record, warnings) = try ResultsMerge.merge(inputs)
            for warning in warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            let url = URL(fileURLWithPath: output)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try JSONReport.render(record).write(to: url)
            print("\(output): \(record.results.count) results on \(record.targets.count) target\(record.targets.count == 1 ? "" : "s") from \(files.count) file\(files.count == 1 ? "" : "s")")
        } catch let failure as JSONReport.ReadFailure {
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            throw ExitCode(ExitStatus.invalidInput)
        } catch let failure as ResultsMerge.Failure {
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            throw ExitCode(ExitStatus.invalidInput)
        }
    }
}
