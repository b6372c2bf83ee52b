import Foundation
import Testing
@testable import OAuthProbeKit

@Suite("Suite files")
struct SuiteLoaderTests {
    @Test("the shipped suites load without a single problem")
    func shippedSuitesAreValid() {
        let (suites, diagnostics) = SuiteLoader().load(paths: [TestSupport.suitesFolder])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let ids = Set(suites.flatMap(\.probes).map(\.id))
        for headline in ["redirect-uri.unregistered", "pkce.required-public", "refresh.public-client-denied",
                         "token-reuse.code-cross-client", "token-reuse.refresh-cross-client"] {
            #expect(ids.contains(headline))
        }
    }

    static let shippedProbeIDs = SuiteLoader().load(paths: [TestSupport.suitesFolder]).suites.flatMap(\.probes).map(\.id)

    @Test("every shipped probe is in Suites/README.md's file table and its coverage of the seed page, and in README.md's catalogue",
          arguments: shippedProbeIDs)
    func documented(_ id: String) throws {
        let language = try String(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("Suites/README.md"), encoding: .utf8)
        let readme = try String(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let parts = language.components(separatedBy: "## Coverage of the seed page")
        try #require(parts.count == 2, "Suites/README.md has no coverage section")
        #expect(parts[0].contains("`\(id)`"), "not in Suites/README.md's file table")
        #expect(parts[1].contains("`\(id)`"), "not in Suites/README.md's coverage of the seed page")
        let catalogue = readme.components(separatedBy: "## Probes").last?.components(separatedBy: "\n## ").first ?? ""
        #expect(catalogue.contains("`\(id)`"), "not in README.md's Probes table")
    }

    @Test("a probe with no expect anywhere is refused: it could never fail")
    func probeThatCannotFail() throws {
        let path = try TestSupport.write("""
            practice: Avoid Token Reuse
            probes:
              - id: token-reuse.always-passes
                title: Never fails
                refs: ["RFC 6749 §10.5"]
                severity: low
                roles: [service]
                steps:
                  - client_credentials: { client: service }
                    require: { tokens: issued }
            """)
        let (_, diagnostics) = SuiteLoader().load(paths: [path])
        #expect(TestSupport.positions(diagnostics) == ["9:7: error: steps: no step has an 'expect', so this probe could never fail"])
    }

    @Test("mistakes in a suite are reported with file:line:col")
    func reportsMistakes() throws {
        let path = try TestSupport.write("""
            practice: Avoid Token Reuse
            probes:
              - id: Token.Reuse
                title: bad id
                refs: ["RFC 6749 §10.5"]
                severity: urgent
                roles: [confidential]
                steps:
                  - authorize: { client: confidential_b }
                  - name: redeem
                    token: { client: confidential, from: nowhere }
                    expect: { tokenz: none }
                  - resource: { token: "{{later.access_token}}" }
            """)
        let (suite, diagnostics) = SuiteLoader().load(file: path)
        #expect(suite == nil)
        #expect(TestSupport.positions(diagnostics) == [
            "3:9: error: id 'Token.Reuse' must be topic.check: lower case words joined by '-', parts by '.'",
            "6:15: error: severity 'urgent' is not one of: low, medium, high, critical",
            "9:9: error: step 'authorize' acts as 'confidential_b', which is not in this probe's roles",
            "11:46: error: token.from 'nowhere' must name an earlier authorize step",
            "12:19: error: expect: 'tokenz' is not something a token step produces (known: status, header.NAME, tokens, access_token, answer, error, expires_in, id_token, refresh_token, scope, token_type)",
            "13:28: error: resource.token: '{{later.access_token}}': 'later' is not a let name or an earlier step (nor clients, variant, endpoints, target, policy, metadata, resource_b)",
        ])
    }

    @Test("a probe id defined in two files is an error at the second")
    func duplicateIDs() throws {
        let probe = """
            practice: Avoid Token Reuse
            probes:
              - id: token-reuse.twice
                title: t
                refs: [x]
                severity: low
                steps: [ { discover: {}, expect: { status: 200 } } ]
            """
        let first = try TestSupport.write(probe, named: "a.yaml")
        let second = try TestSupport.write(probe, named: "b.yaml")
        let (_, diagnostics) = SuiteLoader().load(paths: [first, second])
        #expect(diagnostics.map(\.message) == ["probe id 'token-reuse.twice' is already defined at \(first):3:5"])
        #expect(diagnostics.first?.location.file == second)
    }

    @Test("variants must all set the same keys")
    func variantKeys() throws {
        let path = try TestSupport.write("""
            practice: Secure Redirect URIs
            probes:
              - id: redirect-uri.keys
                title: t
                refs: [x]
                severity: low
                roles: [public]
                matrix:
                  - { variant: a, redirect_uri: "https://a/cb" }
                  - { variant: b, uri: "https://b/cb" }
                steps:
                  - authorize: { client: public, redirect_uri: "{{variant.redirect_uri}}" }
            """)
        let (_, diagnostics) = SuiteLoader().load(file: path)
        #expect(TestSupport.positions(diagnostics) == [
            "10:9: error: variant 'b' sets [\"uri\"] but 'a' sets [\"redirect_uri\"]; every variant sets the same keys",
        ])
    }

    @Test("a suite with no probes is rejected", arguments: ["probes: []", "probes:"])
    func noProbes(probes: String) throws {
        let path = try TestSupport.write("practice: Always Use HTTPS\n\(probes)\n")
        let (suite, diagnostics) = SuiteLoader().load(file: path)
        #expect(suite == nil)
        #expect(diagnostics.map(\.message).contains { $0.contains("list at least one probe") }, "\(diagnostics)")
    }
}

