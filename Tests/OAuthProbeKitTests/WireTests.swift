import Foundation
import Testing
@testable import OAuthProbeKit

private let plainSettings = TransportSettings(timeout: .seconds(10), allowInsecureHTTP: true)

private func expectWireError(_ expected: WireError, _ body: () async throws -> Void,
                             sourceLocation: Testing.SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected \(expected), got a response", sourceLocation: sourceLocation)
    } catch let error as WireError {
        #expect(error == expected, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(expected), got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("Wire: requests go out exactly as built")
struct WireExactRequestTests {
    @Test("the request target arrives byte for byte", arguments: [
        "/a/../b", "/x%2Fy", "/%zz", "/p\\q", "/@user:pass", "/caf\u{e9}", "/./c//d",
        "/cb?redirect_uri=https%3A%2F%2Fa.example%2F&state=a/b", "/",
    ])
    func targetUnchanged(path: String) async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            let response = try await agent.send(HTTPRequest(url: server.http + path))
            #expect(response.status == 200)
            let echo = try decodeEcho(response.body)
            #expect(echo.requestLine == Data("GET \(path) HTTP/1.1".utf8))
        }
    }

    @Test("a fragment is not sent and a query-only URL gets the root path", arguments: [
        ("/frag?x=1#top", "/frag?x=1"), ("?only=query", "/?only=query"), ("", "/"),
    ])
    func fragmentAndEmptyPath(written: String, sent: String) async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            let echo = try decodeEcho(try await agent.send(HTTPRequest(url: server.http + written)).body)
            #expect(echo.requestLine == Data("GET \(sent) HTTP/1.1".utf8))
        }
    }

    @Test("only the caller's headers are added to Host")
    func exactHeaders() async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            let request = HTTPRequest(url: server.http + "/h", headers: [
                HTTPHeader("X-Probe", "1"), HTTPHeader("Authorization", "Bearer abc"), HTTPHeader("X-Empty", ""),
            ])
            let echo = try decodeEcho(try await agent.send(request).body)
            #expect(echo.headerNames == ["host", "x-probe", "authorization", "x-empty"])
            #expect(echo.values("X-Probe") == ["1"])
            #expect(echo.values("Authorization") == ["Bearer abc"])
            #expect(echo.values("X-Empty") == [""])
        }
    }

    @Test("a POST body gets no Content-Type, Accept or Expect of libcurl's", arguments: [7, 2_000_000])
    func postWithoutDefaults(size: Int) async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            let body = Data((0..<size).map { UInt8(ascii: "a") + UInt8($0 % 26) })
            let echo = try decodeEcho(try await agent.send(HTTPRequest(method: "POST", url: server.http + "/token", body: body)).body)
            #expect(echo.method == "POST")
            #expect(echo.headerNames == ["host", "content-length"])
            #expect(echo.values("Content-Length") == ["\(size)"])
            #expect(echo.body == body)
        }
    }

    @Test("headers the caller gives are sent once, with the caller's value")
    func callerDefaultsKept() async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            let request = HTTPRequest(method: "POST", url: server.http + "/token", headers: [
                HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Accept", "application/json"),
            ], body: Data("grant_type=client_credentials".utf8))
            let echo = try decodeEcho(try await agent.send(request).body)
            #expect(echo.values("Content-Type") == ["application/x-www-form-urlencoded"])
            #expect(echo.values("Accept") == ["application/json"])
            #expect(echo.values("Expect") == [])
            #expect(echo.body == Data("grant_type=client_credentials".utf8))
        }
    }

    @Test("the method is sent as written", arguments: [
        ("get", nil), ("PATCH", "x"), ("DELETE", nil), ("OPTIONS", nil), ("PUT", "{}"), ("GET", "body-on-get"),
    ] as [(String, String?)])
    func methodAsWritten(method: String, body: String?) async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            let request = HTTPRequest(method: method, url: server.http + "/m", body: body.map { Data($0.utf8) })
            let echo = try decodeEcho(try await agent.send(request).body)
            #expect(echo.method == method)
            #expect(echo.body == Data((body ?? "").utf8))
        }
    }

    @Test("HEAD returns headers and no body")
    func head() async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            let response = try await agent.send(HTTPRequest(method: "HEAD", url: server.http + "/_/bytes?n=10"))
            #expect(response.status == 200)
            #expect(response.header("content-length") == "10")
            #expect(response.body.isEmpty)
        }
    }
}

@Suite("Wire: responses")
struct WireResponseTests {
    @Test("a 302 is not followed and its Location is readable")
    func redirectNotFollowed() async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            let response = try await agent.send(HTTPRequest(url: server.http + "/_/redirect?to=/elsewhere%3Fcode%3D1"))
            #expect(response.status == 302)
            #expect(response.header("Location") == "/elsewhere?code=1")
            #expect(response.header("LOCATION") == "/elsewhere?code=1")
            #expect(response.body.isEmpty)
            #expect(response.duration > .zero)
            #expect(response.timings.total == response.duration)
        }
    }

    @Test("repeated headers keep their order; lookups ignore case")
    func repeatedHeaders() async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            let response = try await agent.send(HTTPRequest(url: server.http + "/_/multi"))
            #expect(response.headers(named: "X-MULTI") == ["one", "two"])
            #expect(response.headers(named: "set-cookie") == ["a=1; Path=/", "b=2; Path=/"])
            #expect(response.header("set-cookie") == "a=1; Path=/")
            #expect(response.header("X-Absent") == nil)
            #expect(response.text == "multi")
        }
    }

    @Test("statuses come back as they are", arguments: [200, 204, 400, 401, 403, 404, 500, 503])
    func statuses(code: Int) async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            #expect(try await agent.send(HTTPRequest(url: server.http + "/_/status?code=\(code)")).status == code)
        }
    }

    @Test("a body over the limit fails instead of filling memory")
    func responseTooLarge() async throws {
        try await withFixtureServer { server in
            var settings = plainSettings
            settings.maxResponseBytes = 1000
            let agent = try HTTPAgent(settings: settings)
            // The limit counts the headers too (some 100 bytes here).
            #expect(try await agent.send(HTTPRequest(url: server.http + "/_/bytes?n=800")).body.count == 800)
            await expectWireError(.responseTooLarge(limit: 1000)) {
                _ = try await agent.send(HTTPRequest(url: server.http + "/_/bytes?n=5000"))
            }
        }
    }

    @Test("headers count toward the limit: a server cannot fill memory with them either")
    func headersTooLarge() async throws {
        try await withFixtureServer { server in
            var settings = plainSettings
            settings.maxResponseBytes = 100
            let agent = try HTTPAgent(settings: settings)
            // /_/multi answers a 5-byte body after some 150 bytes of headers.
            await expectWireError(.responseTooLarge(limit: 100)) {
                _ = try await agent.send(HTTPRequest(url: server.http + "/_/multi"))
            }
        }
    }
}

@Suite("Wire: cookies belong to one agent")
struct WireCookieTests {
    @Test("a cookie set on one agent is sent back by it and not by another")
    func cookieJarPerAgent() async throws {
        try await withFixtureServer { server in
            let browser = try HTTPAgent(settings: plainSettings)
            let client = try HTTPAgent(settings: plainSettings)
            let set = try await browser.send(HTTPRequest(url: server.http + "/_/setcookie?name=sid&value=abc123"))
            #expect(set.header("Set-Cookie") == "sid=abc123; Path=/")

            let response = try await browser.send(HTTPRequest(url: server.http + "/authorize"))
            let again = try decodeEcho(response.body)
            #expect(again.values("Cookie") == ["sid=abc123"])
            #expect(response.sentHeaders.contains(HTTPHeader("Cookie", "sid=abc123")), "the response tells which cookies went out")
            let other = try decodeEcho(try await client.send(HTTPRequest(url: server.http + "/authorize")).body)
            #expect(other.values("Cookie") == [])
            #expect(await browser.cookies().contains { $0.hasSuffix("\tsid\tabc123") })
            #expect(await client.cookies().isEmpty)
        }
    }

    @Test("user-supplied cookies are sent where their domain and path match")
    func addedCookies() async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            agent.addCookie(name: "session", value: "xyz", domain: "127.0.0.1", path: "/", secure: false)
            agent.addCookie(name: "secure_only", value: "s", domain: "127.0.0.1", path: "/", secure: true)
            agent.addCookie(name: "other_path", value: "p", domain: "127.0.0.1", path: "/admin", secure: false)
            let echo = try decodeEcho(try await agent.send(HTTPRequest(url: server.http + "/login")).body)
            // libcurl, like browsers, treats http://127.0.0.1 as a secure context: the secure
            // cookie goes too. The /admin one does not match /login.
            let sent = Set(echo.values("Cookie").flatMap { $0.components(separatedBy: "; ") })
            #expect(sent == ["session=xyz", "secure_only=s"])
            let admin = try decodeEcho(try await agent.send(HTTPRequest(url: server.http + "/admin/x")).body)
            #expect(Set(admin.values("Cookie").flatMap { $0.components(separatedBy: "; ") }).contains("other_path=p"))
            let other = try decodeEcho(try await agent.send(HTTPRequest(url: "http://localhost:\(server.port)/login")).body)
            #expect(other.values("Cookie") == [], "host-only cookies for 127.0.0.1 must not go to localhost")
        }
    }
}

@Suite("Wire: failures", .timeLimit(.minutes(1)))
struct WireFailureTests {
    @Test("a slow response hits the timeout", arguments: [false, true])
    func timeout(perRequest: Bool) async throws {
        try await withFixtureServer { server in
            var settings = plainSettings
            if !perRequest { settings.timeout = .milliseconds(300) }
            let agent = try HTTPAgent(settings: settings)
            // The server would answer after 10 s: a timeout error is the transfer given up first.
            let request = HTTPRequest(url: server.http + "/_/slow?ms=10000", timeout: perRequest ? .milliseconds(300) : nil)
            let start = ContinuousClock.now
            await expectWireError(.timeout) { _ = try await agent.send(request) }
            // Ten times the timeout: a busy machine is slow, not that slow.
            #expect(ContinuousClock.now - start < .milliseconds(3_000))
        }
    }

    @Test("plain http goes out only when allowed", arguments: [
        (false, false, false), (true, false, true), (false, true, true), (true, true, true),
    ])
    func plaintext(allowInsecure: Bool, permits: Bool, sent: Bool) async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: TransportSettings(timeout: .seconds(5), allowInsecureHTTP: allowInsecure))
            let url = server.http + "/token"
            let request = HTTPRequest(method: "POST", url: url, body: Data("client_secret=wrong".utf8), permitsPlaintext: permits)
            if sent {
                #expect(try await agent.send(request).status == 200)
            } else {
                await expectWireError(.plaintextRefused(url: url)) { _ = try await agent.send(request) }
            }
        }
    }

    @Test("URLs that are not absolute http(s) are refused", arguments: [
        "ftp://127.0.0.1/", "127.0.0.1/x", "https://", "http:///path", "file:///etc/passwd", "https://?x", "",
    ])
    func invalidURL(url: String) async throws {
        let agent = try HTTPAgent(settings: plainSettings)
        await expectWireError(.invalidURL(url)) { _ = try await agent.send(HTTPRequest(url: url)) }
    }

    @Test("a refused connection is a connection error")
    func connectionRefused() async throws {
        let agent = try HTTPAgent(settings: plainSettings)
        do {
            _ = try await agent.send(HTTPRequest(url: "http://127.0.0.1:1/"))
            Issue.record("expected a connection error")
        } catch {
            guard case .connection? = error as? WireError else { Issue.record("got \(error)"); return }
            #expect(!error.description.isEmpty)
        }
    }

    @Test("cancelling the task aborts the transfer")
    func cancellation() async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            let start = ContinuousClock.now
            let task = Task { try await agent.send(HTTPRequest(url: server.http + "/_/slow?ms=8000")) }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let result = await task.result
            guard case .failure(let error as WireError) = result else {
                Issue.record("expected WireError.cancelled, got \(result)")
                return
            }
            #expect(error == .cancelled)
            #expect(ContinuousClock.now - start < .seconds(4))
        }
    }

    @Test("errors read as one line", arguments: [
        WireError.timeout, .tls("x"), .connection("y"), .plaintextRefused(url: "http://a/"), .invalidURL("z"),
        .responseTooLarge(limit: 1), .cancelled, .other(code: 1, message: "m"),
    ])
    func descriptions(error: WireError) {
        #expect(!error.description.isEmpty)
        #expect(!error.description.contains("\n"))
    }
}

@Suite("Wire: concurrency", .timeLimit(.minutes(1)))
struct WireConcurrencyTests {
    @Test("several agents wait concurrently without holding the cooperative pool")
    func agentsRunConcurrently() async throws {
        try await withFixtureServer { server in
            // Ten one-second requests take about 1 s when each waits on its own thread, and at
            // least 5 s if they held the two threads of the cooperative pool. Compared with four
            // requests in a row on this machine now, so a machine busy with other tests slows both.
            let serialStart = ContinuousClock.now
            let single = try HTTPAgent(settings: plainSettings)
            for _ in 0..<4 { _ = try await single.send(HTTPRequest(url: server.http + "/_/slow?ms=1000")) }
            let serial = ContinuousClock.now - serialStart
            let agents = try (0..<10).map { _ in try HTTPAgent(settings: plainSettings) }
            let start = ContinuousClock.now
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for agent in agents {
                    group.addTask { try await agent.send(HTTPRequest(url: server.http + "/_/slow?ms=1000")).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let elapsed = ContinuousClock.now - start
            #expect(statuses == Array(repeating: 200, count: 10))
            #expect(elapsed < serial, "10 one-second requests at once took \(elapsed); 4 in a row took \(serial)")
        }
    }

    @Test("requests on one agent run one at a time")
    func oneAgentSerialises() async throws {
        try await withFixtureServer { server in
            let agent = try HTTPAgent(settings: plainSettings)
            let start = ContinuousClock.now
            async let first = agent.send(HTTPRequest(url: server.http + "/_/slow?ms=500"))
            async let second = agent.send(HTTPRequest(url: server.http + "/_/slow?ms=500"))
            let statuses = try await [first.status, second.status]
            #expect(statuses == [200, 200])
            #expect(ContinuousClock.now - start >= .milliseconds(1000))
        }
    }
}

@Suite("Wire: TLS with a custom CA", .timeLimit(.minutes(1)))
struct WireTLSTests {
    /// A throwaway CA and a server certificate for DNS:localhost only, made with openssl.
    struct Material {
        var directory: URL
        var ca: String { directory.appendingPathComponent("ca.pem").path }
        var cert: String { directory.appendingPathComponent("server.pem").path }
        var key: String { directory.appendingPathComponent("server.key").path }
    }

    static func makeMaterial() async throws -> Material {
        let openssl = try executableOnPath("openssl")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oauthprobe-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await runCommand(openssl, ["req", "-x509"] + ec + [
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=oauthprobe test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ], in: directory)
        try await runCommand(openssl, ["req"] + ec + [
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost",
        ], in: directory)
        try Data("""
            subjectAltName=DNS:localhost
            basicConstraints=CA:FALSE
            keyUsage=digitalSignature
            extendedKeyUsage=serverAuth

            """.utf8).write(to: directory.appendingPathComponent("ext.cnf"))
        try await runCommand(openssl, [
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf",
        ], in: directory)
        return Material(directory: directory)
    }

    @Test("the CA file is trusted; without it, or for the wrong host name, TLS fails")
    func customCA() async throws {
        let material = try await Self.makeMaterial()
        defer { try? FileManager.default.removeItem(at: material.directory) }
        try await withFixtureServer(cert: material.cert, key: material.key) { server in
            let trusting = try HTTPAgent(settings: TransportSettings(caFile: material.ca, timeout: .seconds(10)))
            let response = try await trusting.send(HTTPRequest(url: "https://localhost:\(server.port)/secure"))
            #expect(response.status == 200)
            #expect(try decodeEcho(response.body).requestLine == Data("GET /secure HTTP/1.1".utf8))
            #expect(response.timings.tlsHandshake > .zero)

            let untrusting = try HTTPAgent(settings: TransportSettings(timeout: .seconds(10)))
            do {
                _ = try await untrusting.send(HTTPRequest(url: "https://localhost:\(server.port)/secure"))
                Issue.record("expected a TLS error without the CA")
            } catch {
                guard case .tls? = error as? WireError else { Issue.record("expected .tls, got \(error)"); return }
            }

            // The certificate names localhost only: 127.0.0.1 must fail host verification.
            do {
                _ = try await trusting.send(HTTPRequest(url: "https://127.0.0.1:\(server.port)/secure"))
                Issue.record("expected a TLS error for a host name not in the certificate")
            } catch {
                guard case .tls? = error as? WireError else { Issue.record("expected .tls, got \(error)"); return }
            }
        }
    }

    @Test("an unreadable CA file fails when the agent is made")
    func unreadableCAFile() {
        #expect(throws: WireError.tls("cannot read CA file /nonexistent/ca.pem") as WireError) {
            _ = try HTTPAgent(settings: TransportSettings(caFile: "/nonexistent/ca.pem"))
        }
    }
}
