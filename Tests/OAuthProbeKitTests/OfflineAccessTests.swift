import Foundation
import Testing
@testable import OAuthProbeKit

/// Keycloak, Okta, Auth0, Entra ID, Hydra and IdentityServer issue a refresh token only to a
/// client that asks for `offline_access` (OIDC Core §11): probes about refresh tokens ask so.
@Suite("Refresh tokens are asked for with offline_access")
struct OfflineAccessTests {
    static func metadata(_ scopes: [String]?) -> Metadata {
        Metadata(url: "https://idp.example/.well-known/openid-configuration",
                 document: .object(scopes.map { ["scopes_supported": .array($0.map(JSONValue.string))] } ?? [:]))
    }

    @Test("offered only where scopes_supported lists it", arguments: [
        (["openid", "offline_access"], true), (["openid", "read"], false), (nil, false),
    ] as [([String]?, Bool)])
    func offered(scopes: [String]?, offered: Bool) {
        #expect(OfflineAccess.offered(by: Self.metadata(scopes)) == offered)
    }

    @Test("added to the scope once", arguments: [
        ("openid read", "openid read offline_access"), ("openid offline_access read", "openid offline_access read"), (nil, "offline_access"),
    ] as [(String?, String)])
    func adding(scope: String?, expected: String) {
        #expect(OfflineAccess.adding(to: scope) == expected)
    }

    @Test("every probe that reads a refresh token from a code it redeems asks for one at authorize")
    func refreshProbesAskOffline() {
        let suites = SuiteLoader().load(paths: [TestSupport.suitesFolder]).suites
        var checked = 0
        for probe in suites.flatMap(\.probes) {
            let referenced = probe.references.filter { $0.path.count >= 2 && $0.path[1] == "refresh_token" }.map { $0.path[0] }
            let conditioned = probe.steps.flatMap(\.when).filter { $0.subject == .field("refresh_token") }.compactMap(\.step)
            let required = probe.steps.filter { $0.require.contains { $0.subject == .field("refresh_token") } }.map(\.name)
            let readers = Set(referenced + conditioned + required)
            for step in probe.steps where readers.contains(step.name) {
                guard case .token(let token) = step.action, let from = token.from,
                      case .authorize(let authorize)? = probe.steps.first(where: { $0.name == from })?.action else { continue }
                #expect(authorize.offline, "\(probe.id): step '\(from)' should ask with offline: true")
                checked += 1
            }
        }
        #expect(checked >= 8)
    }

    @Test("offline is read from an authorize step, false unless set")
    func loads() throws {
        let file = try TestSupport.write("""
            practice: Refresh and Reference Tokens
            probes:
              - id: refresh.offline-example
                title: An example
                refs: ["OIDC Core §11"]
                severity: low
                roles: [public]
                steps:
                  - name: asks
                    authorize: { client: public, offline: true }
                  - name: plain
                    authorize: { client: public }
                    expect: { code: present }
            """, named: "suite.yaml")
        let (suites, diagnostics) = SuiteLoader().load(paths: [file])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let offline = suites.first?.probes.first?.steps.map { step -> Bool? in
            if case .authorize(let parameters) = step.action { parameters.offline } else { nil }
        }
        #expect(offline == [true, false])
    }
}
