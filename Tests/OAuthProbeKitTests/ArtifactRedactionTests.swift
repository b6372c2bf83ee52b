import Foundation
import Testing
@testable import OAuthProbeKit

/// Nothing secret in any artifact, whatever a hostile server echoes back and however it
/// encodes it.
@Suite("No secret in any artifact", .timeLimit(.minutes(2)))
struct ArtifactRedactionTests {
    @Test("secrets a server echoes back in every encoding, and its CSRF tokens, appear in no report and on no console")
    func echoedSecrets() async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: "echo")
            let (inputs, record) = try await HostileTarget.run(path, only: [
                "authz.state-echoed", "scope.service-unallowed-rejected", "client.disabled-rejected", "token-reuse.code-cross-client",
            ])
            #expect(record.results.contains { $0.probeID == "authz.state-echoed" && $0.verdict == .error },
                    "the echo page is the login form again: sign-in fails")
            let log = try await server.log()
            // The CSRF tokens the login form carried and the cookie it mirrors, as the server saw them come back.
            let csrf = log.flatMap { request in
                FormEncoding.decode(request.body).filter { $0.name == "csrfmiddlewaretoken" }.map(\.value)
                    + request.values("Cookie").flatMap { $0.split(separator: ";") }.compactMap { pair -> String? in
                        let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                        return parts.count == 2 && parts[0] == "csrftoken" ? String(parts[1]) : nil
                    }
            }
            #expect(csrf.count >= 2, "the login form was submitted with its CSRF token and cookie")

            let artifacts = HostileTarget.artifacts(inputs, record)
            for secret in HostileTarget.secrets {
                for encoding in SecretEncodings.all(secret) {
                    let leaks = artifacts.filter { $0.value.contains(encoding.text) }.keys.sorted()
                    #expect(leaks.isEmpty, "\(Fingerprint.of(secret)) \(encoding.name) appears in \(leaks)")
                }
            }
            for token in Set(csrf) {
                #expect(!artifacts.values.contains { $0.contains(token) }, "a CSRF token appears in a report")
            }
            // The echo page puts the password at byte 2040, across the 2048 bytes evidence keeps.
            let start = String(HostileTarget.password.prefix(5))
            #expect(!artifacts.values.contains { $0.contains(start) }, "the start of the password survives the cut")
        }
    }

    @Test("a value the environment puts in a sign-in call's header or body is redacted like the password")
    func signInCallSecrets() async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: "plain", login: """
                login:
                  strategy: steps
                  sign_in:
                    - method: POST
                      url: "\(server.http)/_/idp/plain/api/auth"
                      headers: { X-Api-Key: "${env:HOSTILE_API_KEY}" }
                      body: "key=${env:HOSTILE_API_KEY}"
                """)
            let (inputs, record) = try await HostileTarget.run(path, only: ["authz.state-echoed"])
            #expect(record.results.first?.verdict == .pass, "\(record.results.map(\.message))")
            let key = HostileTarget.environment["HOSTILE_API_KEY"]!
            #expect(try await server.log().contains { $0.values("X-Api-Key") == [key] }, "the call was made")
            for (name, artifact) in HostileTarget.artifacts(inputs, record) {
                for encoding in SecretEncodings.all(key) { #expect(!artifact.contains(encoding.text), "\(encoding.name) in \(name)") }
            }
            let evidence = record.results.flatMap(\.evidence).map(\.transcript).joined(separator: "\n")
            #expect(evidence.contains("X-Api-Key: ‹sha256:"), "\(evidence)")
        }
    }

    @Test("a transport error that quotes the URL is redacted like the rest of the exchange")
    func transportError() async throws {
        try await withFixtureServer { server in
            let password = HostileTarget.password
            let target = Target(name: "t", issuer: server.http, allowInsecureHTTP: false,
                                user: UserCredentials(username: "u", password: Secret(password, origin: "${env:P}")), file: "t.yaml")
            let shared = TargetSession(target: target, endpoints: EndpointMap(target: target, metadata: nil), maxRequestsPerSecond: nil)
            let session = ProbeSession(shared: shared, settings: TransportSettings(timeout: .seconds(5)))
            // A GET form puts the password in the URL; plain http refused by the wire names that URL.
            let url = server.http + "/login?" + FormEncoding.encode([("username", "u"), ("password", password)])
            await #expect(throws: ProbeError.self) { _ = try await session.send(HTTPRequest(url: url), as: .browser, step: "sign-in") }
            let exchange = try #require(session.evidence.first)
            let error = try #require(exchange.transportError)
            #expect(error.contains("plain http"))
            for encoding in SecretEncodings.all(password) {
                #expect(!exchange.transcript.contains(encoding.text), "\(encoding.name) in \(exchange.transcript)")
            }
        }
    }
}
