import Foundation
import Testing

struct FixtureError: Error, CustomStringConvertible {
    var description: String
}

/// Finds an executable on PATH (python3, openssl): the tests need them and say so if missing.
func executableOnPath(_ name: String) throws -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw FixtureError(description: "\(name) not found on PATH")
}

/// Runs a command to completion off the cooperative pool; throws on a non-zero exit.
func runCommand(_ executable: String, _ arguments: [String], in directory: URL) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
        DispatchQueue.global().async {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.currentDirectoryURL = directory
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            do {
                try process.run()
                let stderr = errors.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                if process.terminationStatus == 0 {
                    continuation.resume()
                } else {
                    continuation.resume(throwing: FixtureError(
                        description: "\(executable) \(arguments.joined(separator: " ")) failed: \(String(decoding: stderr, as: UTF8.self))"))
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}

/// The Python echo/fault server of Tests/Fixtures, on an ephemeral 127.0.0.1 port.
final class FixtureServer: @unchecked Sendable {
    let process: Process
    let port: Int
    /// Closing it tells the server to exit (it also exits if this process dies).
    let stdin: Pipe

    private init(process: Process, port: Int, stdin: Pipe) {
        self.process = process
        self.port = port
        self.stdin = stdin
    }

    var http: String { "http://127.0.0.1:\(port)" }

    static func start(cert: String? = nil, key: String? = nil) async throws -> FixtureServer {
        let python = try executableOnPath("python3")
        let arguments = [TestSupport.wireServer] + ((cert != nil && key != nil) ? ["--cert", cert!, "--key", key!] : [])
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: python)
                process.arguments = arguments
                let output = Pipe()
                let input = Pipe()
                process.standardOutput = output
                process.standardInput = input
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                // The first line is "PORT <n>"; read it byte by byte (blocking, off the pool).
                var line = Data()
                let handle = output.fileHandleForReading
                while true {
                    let byte = handle.readData(ofLength: 1)
                    if byte.isEmpty || byte.first == UInt8(ascii: "\n") { break }
                    line.append(byte)
                }
                let text = String(decoding: line, as: UTF8.self)
                guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
                    kill(process.processIdentifier, SIGKILL)
                    continuation.resume(throwing: FixtureError(description: "fixture server did not start: \(text)"))
                    return
                }
                continuation.resume(returning: FixtureServer(process: process, port: port, stdin: input))
            }
        }
    }

    func stop() async {
        let process = self.process
        let stdin = self.stdin
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                // Children of libdispatch threads may have SIGTERM blocked; SIGKILL always works,
                // and closing stdin makes the server exit by itself anyway.
                try? stdin.fileHandleForWriting.close()
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                continuation.resume()
            }
        }
    }
}

/// Starts a fixture server for the duration of `body`, and always stops it.
func withFixtureServer<T>(cert: String? = nil, key: String? = nil,
                          _ body: (FixtureServer) async throws -> T) async throws -> T {
    let server = try await FixtureServer.start(cert: cert, key: key)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// What the echo server saw.
struct Echo: Decodable {
    var requestline_b64: String
    var method: String
    var headers: [[String]]
    var body_b64: String

    var requestLine: Data { Data(base64Encoded: requestline_b64) ?? Data() }
    var body: Data { Data(base64Encoded: body_b64) ?? Data() }
    var headerNames: [String] { headers.map { $0[0].lowercased() } }

    func values(_ name: String) -> [String] {
        headers.filter { $0[0].lowercased() == name.lowercased() }.map { $0[1] }
    }
}

func decodeEcho(_ data: Data) throws -> Echo {
    try JSONDecoder().decode(Echo.self, from: data)
}
