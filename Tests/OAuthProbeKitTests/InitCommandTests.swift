import Foundation
import Testing
@testable import OAuthProbeKit

/// `oauthprobe init` against the fixture server's discovery documents.
@Suite("oauthprobe init", .timeLimit(.minutes(1)))
struct InitCommandTests {
    /// The scaffold with every `<…>` filled in, and the environment its `${env:…}` secrets need.
    static func filled(_ text: String) -> (text: String, environment: [String: String]) {
        let text = text.replacing(#/"<([^">]*)>"/#) { match in
            match.1.contains("redirect URI") ? "\"https://app.example/cb\"" : match.1.contains("endpoint URL") ? "\"https://idp.example/x\"" : "\"filled\""
        }.replacing(#/<[^<>"]+>/#) { _ in "read" }
        let names = ["CONFIDENTIAL_SECRET", "CONFIDENTIAL_B_SECRET", "SERVICE_SECRET", "DISABLED_SECRET", "PROBE_USER", "PROBE_PASSWORD"]
        return (text, Dictionary(uniqueKeysWithValues: names.map { ($0, "value-of-\($0)") }))
    }

    @Test("from OpenID Connect discovery: endpoints, every role, secrets from the environment; filled in, it loads with no problem",
          arguments: [["init", "ISSUER"], ["init", "--issuer", "ISSUER"]])
    func openIDConnect(arguments: [String]) async throws {
        try await withFixtureServer { server in
            let issuer = server.http + "/_/oidc"
            let run = try CommandLineTests.oauthprobe(arguments.map { $0 == "ISSUER" ? issuer : $0 } + ["--allow-insecure-http"])
            #expect(run.status == 0, "\(run.errors)")
            let text = run.output
            #expect(text.contains("issuer: \"\(issuer)\""))
            #expect(text.contains("  token: \"\(issuer)/token\"") && text.contains("  userinfo: \"\(issuer)/userinfo\""))
            #expect(text.contains("  # revocation: \"<revocation endpoint URL>\""), "named, to fill in, when metadata lacks it")
            for role in ClientRole.allCases { #expect(text.contains("\n  \(role.rawValue):\n"), "\(role.rawValue)") }
            #expect(text.contains("secret: \"${env:CONFIDENTIAL_SECRET}\"") && text.contains("allow_insecure_http: true"))
            #expect(text.contains("scope: \"openid <a scope it may have> offline_access\""))

            let unfilled = try TestSupport.write(text, named: "target.yaml")
            let problems = TargetLoader(environment: Self.filled(text).environment).load(file: unfilled).diagnostics
            #expect(problems.contains { $0.message == "clients.public.client_id: fill in the placeholder <public client id>" }, "\(problems)")

            let (done, environment) = Self.filled(text)
            let path = try TestSupport.write(done, named: "target.yaml")
            let (target, diagnostics) = TargetLoader(environment: environment).load(file: path)
            #expect(diagnostics.isEmpty, "\(diagnostics)")
            #expect(target?.clients.count == ClientRole.allCases.count && target?.user != nil)
            let validate = try CommandLineTests.oauthprobe(["validate", path], environment: environment)
            #expect(validate.status == 0, "\(validate.errors)")
        }
    }

    @Test("offline_access goes into the scopes of the roles that sign a user in, where the metadata lists it",
          arguments: [(["openid", "offline_access", "read"], true), (["openid", "read"], false)])
    func offlineAccess(scopes: [String], listed: Bool) throws {
        let metadata = Metadata(url: "https://idp.example/.well-known/openid-configuration",
                                document: .object(["issuer": .string("https://idp.example"), "token_endpoint": .string("https://idp.example/token"),
                                                   "scopes_supported": .array(scopes.map(JSONValue.string))]))
        let text = TargetScaffold(issuer: "https://idp.example", metadata: metadata, allowInsecureHTTP: false, caFile: nil).render()
        let (filled, environment) = Self.filled(text)
        let (loaded, diagnostics) = TargetLoader(environment: environment).load(file: try TestSupport.write(filled, named: "target.yaml"))
        let target = try #require(loaded, "\(diagnostics)")
        for role in [ClientRole.public, .publicB, .confidential, .confidentialB] {
            #expect(target.clients[role]?.scope?.split(separator: " ").contains("offline_access") == listed, "\(role.rawValue)")
        }
        #expect(target.clients[.service]?.scope?.contains("offline_access") == false, "a grant without a user has no use for it")
    }

    @Test("falls back to RFC 8414's URL and writes to -o, refusing to overwrite it")
    func oauthMetadata() async throws {
        try await withFixtureServer { server in
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("oauthprobe-init-\(UUID().uuidString)/target.yaml").path
            let run = try CommandLineTests.oauthprobe(["init", server.http + "/_/as", "--allow-insecure-http", "-o", output])
            #expect(run.status == 0, "\(run.errors)")
            let text = try String(contentsOfFile: output, encoding: .utf8)
            #expect(text.contains("# \(server.http)/.well-known/oauth-authorization-server/_/as."))
            #expect(text.contains("  revocation: \"\(server.http)/_/as/revoke\"") && text.contains("auth_method: client_secret_basic"))
            let again = try CommandLineTests.oauthprobe(["init", server.http + "/_/as", "--allow-insecure-http", "-o", output])
            #expect(again.status == 64 && again.errors.contains("exists"))
        }
    }

    @Test("no metadata: every URL tried, with why, and exit 2")
    func noMetadata() async throws {
        try await withFixtureServer { server in
            let run = try CommandLineTests.oauthprobe(["init", server.http + "/nothing", "--allow-insecure-http"])
            #expect(run.status == 2)
            #expect(run.errors.contains("\(server.http)/nothing/.well-known/openid-configuration: status 404"))
            #expect(run.errors.contains("\(server.http)/.well-known/oauth-authorization-server/nothing: status 404"))
        }
    }

    @Test("plain http is refused without --allow-insecure-http, before anything is sent")
    func plainHTTP() throws {
        let run = try CommandLineTests.oauthprobe(["init", "http://127.0.0.1:9/o"])
        #expect(run.status == 64 && run.errors.contains("--allow-insecure-http"), "\(run.errors)")
        #expect(try CommandLineTests.oauthprobe(["init"]).status == 64)
    }

    @Test("--ca-file trusts a private CA and is written as tls.ca_file relative to the file")
    func privateCA() async throws {
        let material = try await WireTLSTests.makeMaterial()
        defer { try? FileManager.default.removeItem(at: material.directory) }
        try await withFixtureServer(cert: material.cert, key: material.key) { server in
            let issuer = "https://localhost:\(server.port)/_/oidc"
            let untrusted = try CommandLineTests.oauthprobe(["init", issuer])
            #expect(untrusted.status == 2 && untrusted.errors.contains("TLS"), "\(untrusted.errors)")
            let output = material.directory.appendingPathComponent("target.yaml").path
            let run = try CommandLineTests.oauthprobe(["init", issuer, "--ca-file", material.ca, "-o", output])
            #expect(run.status == 0, "\(run.errors)")
            let text = try String(contentsOfFile: output, encoding: .utf8)
            #expect(text.contains("tls: { ca_file: \"ca.pem\" }") && !text.contains("allow_insecure_http"))
        }
    }
}
