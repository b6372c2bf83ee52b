import Foundation
import Testing
@testable import OAuthProbeKit

/// One request as the fault server received it (`/_/log`).
struct LoggedRequest: Decodable {
    var host: String
    var method: String
    var target_b64: String
    var headers: [[String]]
    var body_b64: String
    /// For a streamed answer: the bytes written before the client stopped reading.
    var streamed: Int?
    var stream_done: Bool?

    var target: String { String(decoding: Data(base64Encoded: target_b64) ?? Data(), as: UTF8.self) }
    var body: String { String(decoding: Data(base64Encoded: body_b64) ?? Data(), as: UTF8.self) }
    /// Request line, headers and body as one text, to search for anything that should not be there.
    var text: String {
        (["\(method) \(target)"] + headers.map { "\($0[0]): \($0[1])" } + [body]).joined(separator: "\n")
    }

    func values(_ name: String) -> [String] {
        headers.filter { $0[0].lowercased() == name.lowercased() }.map { $0[1] }
    }
}

extension FixtureServer {
    /// Every request the server received so far, in order.
    func log() async throws -> [LoggedRequest] {
        let agent = try HTTPAgent(settings: TransportSettings(timeout: .seconds(10), allowInsecureHTTP: true))
        let response = try await agent.send(HTTPRequest(url: http + "/_/log"))
        return try JSONDecoder().decode([LoggedRequest].self, from: response.body)
    }

    /// The log once every streamed answer has ended (the server notices a client that hung up
    /// a moment after it happens).
    func settledLog() async throws -> [LoggedRequest] {
        for _ in 0..<50 {
            let log = try await log()
            if log.allSatisfy({ $0.streamed == nil || $0.stream_done == true }) { return log }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await log()
    }
}

/// A target on the fault server's identity server (`/_/idp/SCENARIO`, see wire_server.py), with
/// secrets that every encoding changes: spaces, slashes, quotes, markup, `+`, `%`, non-ASCII.
enum HostileTarget {
    static let environment = [
        "HOSTILE_PASSWORD": "Qz7 hunter ä/<&>\"'+=%20-pw",
        "HOSTILE_WEB_SECRET": "Wb4 web secret/ü+&<1>",
        "HOSTILE_WEB_B_SECRET": "Xc5 web-b\"secret'é~2",
        "HOSTILE_SERVICE_SECRET": "Sv6 svc:secret/ß%3+x",
        "HOSTILE_DISABLED_SECRET": "Dd8 old secret <4> ñ",
        "HOSTILE_SESSION": "Ss9-session-cookie-value",
        "HOSTILE_API_KEY": "Ak1 api/key+value&x",
    ]
    static var secrets: [String] { environment.keys.sorted().map { environment[$0]! } }
    static var password: String { environment["HOSTILE_PASSWORD"]! }

    /// Writes the target file; `host` is how the target names the fault server (127.0.0.1,
    /// localhost, or a name that resolves to it but is not loopback by name).
    static func write(server: FixtureServer, scenario: String, host: String = "127.0.0.1",
                      login: String = "login: { strategy: form }") throws -> String {
        try TestSupport.write("""
            name: hostile-\(scenario)
            issuer: http://\(host):\(server.port)/_/idp/\(scenario)
            allow_insecure_http: true
            clients:
              public:         { client_id: spa, redirect_uri: "https://spa.example/cb", scope: openid }
              public_b:       { client_id: spa-b, redirect_uri: "https://spa-b.example/cb", scope: openid }
              confidential:   { client_id: web, secret: "${env:HOSTILE_WEB_SECRET}", redirect_uri: "https://web.example/cb", scope: openid }
              confidential_b: { client_id: web-b, secret: "${env:HOSTILE_WEB_B_SECRET}", redirect_uri: "https://web-b.example/cb", scope: openid }
              service:        { client_id: svc, secret: "${env:HOSTILE_SERVICE_SECRET}", scope: read }
              disabled:       { client_id: old, secret: "${env:HOSTILE_DISABLED_SECRET}", redirect_uri: "https://old.example/cb" }
            user: { username: probe-user, password: "${env:HOSTILE_PASSWORD}" }
            unallowed_scope: write
            \(login)
            """, named: "hostile-\(scenario).yaml")
    }

    /// The shipped suites' probes matching `only`, run in process as `oauthprobe run` would.
    static func run(_ path: String, only: [String], concurrency: Int = 4, timeout: Duration = .seconds(20),
                    deadline: Duration? = nil) async throws -> (inputs: Inputs, record: RunRecord) {
        let inputs = Inputs.load(targets: [path], suites: [TestSupport.suitesFolder], environment: environment)
        try #require(!inputs.hasErrors, "\(inputs.diagnostics)")
        let plan = Planner.plan(targets: inputs.targets, suites: inputs.suites, only: only)
        try #require(!plan.items.isEmpty)
        let record = await Runner(options: RunOptions(concurrency: concurrency, timeout: timeout, deadline: deadline)).run(plan)
        return (inputs, record)
    }

    /// Every report format and the console's lines, as a run would write them.
    static func artifacts(_ inputs: Inputs, _ record: RunRecord) -> [String: String] {
        let console = ConsoleReport(colour: false)
        return [
            "junit": String(decoding: JUnitReport.render(record), as: UTF8.self),
            "json": String(decoding: JSONReport.render(record), as: UTF8.self),
            "html": HTMLReport.render(record),
            "markdown": MarkdownReport.render(record),
            "sarif": String(decoding: SARIFReport.render(record), as: UTF8.self),
            "console": record.results.map(console.progressLine).joined(separator: "\n") + "\n"
                + console.summary(record.results, targets: inputs.targets.map(\.name)),
        ]
    }

    /// The JSON results file as a reader sees it.
    static func json(_ record: RunRecord) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: JSONReport.render(record)) as? [String: Any])
    }
}

/// A secret the ways servers and encoders write it, written independently of the redactor so
/// the tests check it rather than repeat it: percent-encoding in both hex cases (form style with
/// `+`, every byte, both cases at once), base64 and base64url, JSON strings as Foundation, Python,
/// Go and .NET escape them and with every character `\u`-escaped, HTML entities named, decimal
/// and hex, every character a numeric reference (decimal; hex in mixed case, zero-padded, some
/// without `;`), and the value in upper and lower case.
enum SecretEncodings {
    static func all(_ value: String) -> [(name: String, text: String)] {
        let bytes = Array(value.utf8)
        func percent(_ keep: (UInt8) -> Bool, upper: Bool, plus: Bool = false) -> String {
            bytes.map { byte in
                if plus && byte == 0x20 { return "+" }
                if keep(byte) { return String(UnicodeScalar(byte)) }
                return String(format: upper ? "%%%02X" : "%%%02x", byte)
            }.joined()
        }
        let unreserved: (UInt8) -> Bool = { $0.isASCIIAlphanumeric || "-._~".utf8.contains($0) }
        func json(escaping escape: (Unicode.Scalar) -> Bool, upper: Bool) -> String {
            value.unicodeScalars.map { scalar -> String in
                if scalar == "\"" && !escape(scalar) { return "\\\"" }
                if scalar == "\\" { return "\\\\" }
                guard escape(scalar) else { return String(scalar) }
                return String(format: upper ? "\\u%04X" : "\\u%04x", scalar.value)
            }.joined()
        }
        func html(_ entity: (Character) -> String?) -> String {
            value.map { entity($0) ?? String($0) }.joined()
        }
        func everyUnitEscaped(upper: Bool) -> String {
            value.utf16.map { String(format: upper ? "\\u%04X" : "\\u%04x", Int($0)) }.joined()
        }
        let named: [Character: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#x27;"]
        let markup = Set<Character>("&<>\"'")
        let data = Data(value.utf8)
        return [
            ("as is", value),
            ("upper case", value.uppercased()),
            ("lower case", value.lowercased()),
            ("form, upper hex", percent(unreserved, upper: true)),
            ("form, lower hex", percent(unreserved, upper: false)),
            ("form with +", percent(unreserved, upper: true, plus: true)),
            ("form, then lower case", percent(unreserved, upper: true).lowercased()),
            ("every byte, lower hex", percent({ $0 == UInt8(ascii: "/") }, upper: false)),
            ("base64", data.base64EncodedString()),
            ("base64url", data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")),
            ("JSON, Python", json(escaping: { !$0.isASCII }, upper: false)),
            ("JSON, Go", json(escaping: { "<>&".unicodeScalars.contains($0) }, upper: false)),
            ("JSON, .NET", json(escaping: { !$0.isASCII || "<>&'\"+`".unicodeScalars.contains($0) }, upper: true)),
            ("HTML, named", html { named[$0] }),
            ("HTML, decimal", html { markup.contains($0) ? "&#\($0.unicodeScalars.first!.value);" : nil }),
            ("HTML, hex", html { markup.contains($0) ? "&#x\(String($0.unicodeScalars.first!.value, radix: 16));" : nil }),
            ("every byte, hex case mixed", bytes.enumerated().map { String(format: $0.offset % 2 == 0 ? "%%%02x" : "%%%02X", Int($0.element)) }.joined()),
            ("JSON, every character, lower hex", everyUnitEscaped(upper: false)),
            ("JSON, every character, upper hex", everyUnitEscaped(upper: true)),
            ("HTML, every character decimal", value.unicodeScalars.map { "&#\($0.value);" }.joined()),
            ("HTML, every character hex, mixed case, zero-padded, some without ;", value.unicodeScalars.enumerated().map { index, scalar in
                index % 2 == 0 ? "&#X" + String(format: "%06X", Int(scalar.value)) + ";" : "&#x" + String(scalar.value, radix: 16)
            }.joined()),
        ]
    }
}

private extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
