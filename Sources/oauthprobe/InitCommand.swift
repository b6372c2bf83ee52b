import ArgumentParser
import Foundation
import OAuthProbeKit

/// `oauthprobe init ISSUER` (or `--issuer URL`): a target file scaffolded from the server's
/// metadata, to fill in and check with `validate`.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a target file for an issuer from its metadata, with placeholders to fill in.",
        discussion: "Exit status: 0 written; 2 no metadata found at the issuer; 64 bad command line (plain http without --allow-insecure-http, an existing -o file)."
    )

    @Argument(help: ArgumentHelp("The issuer URL, e.g. https://idp.example.com/id.", valueName: "issuer"))
    var issuerArgument: String?

    @Option(name: .customLong("issuer"), help: "The issuer URL (the same as the argument).")
    var issuerOption: String?

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write the target file here instead of standard output.")
    var output: String?

    @Flag(help: "Allow a plain http:// issuer (a server on this machine only).")
    var allowInsecureHTTP = false

    @Option(help: "A PEM file of the private CA that signed the server's certificate (written as tls.ca_file).")
    var caFile: String?

    @Option(help: "Seconds the metadata request may take.")
    var timeout: Int = 15

    var issuer: String { (issuerArgument ?? issuerOption)! }

    func validate() throws {
        guard (issuerArgument == nil) != (issuerOption == nil) else { throw ValidationError("give the issuer URL once: oauthprobe init https://idp.example.com") }
        let scheme = issuer.split(separator: ":", maxSplits: 1).first?.lowercased()
        guard scheme == "https" || scheme == "http", issuer.contains("://") else { throw ValidationError("the issuer must be an https:// URL: \(issuer)") }
        if scheme == "http" && !allowInsecureHTTP {
            throw ValidationError("refusing plain http for \(issuer): an issuer serves over https; add --allow-insecure-http for a local server")
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) { throw ValidationError("--ca-file: cannot read \(caFile)") }
        if let output, FileManager.default.fileExists(atPath: output) { throw ValidationError("\(output) exists; remove it or choose another file") }
        if timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
    }

    func run() async throws {
        let settings = TransportSettings(caFile: caFile, timeout: .seconds(timeout), allowInsecureHTTP: allowInsecureHTTP)
        let metadata: Metadata
        do {
            metadata = try await IssuerDiscovery.fetch(issuer: issuer, settings: settings)
        } catch {
            FileHandle.standardError.write(Data("\(issuer): \(error)\n".utf8))
            throw ExitCode(ExitStatus.errors)
        }
        let scaffold = TargetScaffold(issuer: issuer, metadata: metadata, allowInsecureHTTP: allowInsecureHTTP,
                                      caFile: caFile.map(caFilePath))
        let text = scaffold.render()
        guard let output else {
            print(text, terminator: "")
            return
        }
        let url = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        FileHandle.standardError.write(Data("wrote \(output): fill in the <…> placeholders, then run oauthprobe validate \(output)\n".utf8))
    }

    /// The target file resolves `tls.ca_file` against its own folder: relative to it when the CA
    /// file lies below, else absolute.
    private func caFilePath(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let folder = URL(fileURLWithPath: output ?? FileManager.default.currentDirectoryPath + "/-").deletingLastPathComponent().standardizedFileURL.path + "/"
        return output != nil && absolute.hasPrefix(folder) ? String(absolute.dropFirst(folder.count)) : absolute
    }
}
