import Foundation
import Testing
@testable import OAuthProbeKit

@Suite("Planning")
struct PlannerTests {
    static let suites = SuiteLoader().load(paths: [TestSupport.suitesFolder]).suites

    @Test("a probe whose roles the target lacks is skipped, naming them")
    func skipsMissingRoles() {
        let target = Target(name: "only-public", issuer: "https://idp.example.com",
                            clients: [.public: Client(clientID: "spa", secret: nil, redirectURI: "https://spa/cb", scope: nil, authMethod: .none)],
                            user: UserCredentials(username: "u", password: Secret("password", origin: nil)), file: "t.yaml")
        let plan = Planner.plan(targets: [target], suites: Self.suites, only: ["token-reuse.refresh-cross-client", "pkce.required-*"])
        #expect(plan.items.map(\.displayID) == ["pkce.required-public", "token-reuse.refresh-cross-client"])
        #expect(plan.items[0].skipReason == nil)
        #expect(plan.items[1].skipReason == "the target has no client roles confidential, confidential_b")
    }

    @Test("a probe that signs in needs a user")
    func needsUser() {
        let target = Target(name: "no-user", issuer: "https://idp.example.com",
                            clients: [.public: Client(clientID: "spa", secret: nil, redirectURI: "https://spa/cb", scope: nil, authMethod: .none)],
                            file: "t.yaml")
        let plan = Planner.plan(targets: [target], suites: Self.suites, only: ["pkce.required-public"])
        #expect(plan.items.first?.skipReason == "the target has no user to sign in")
    }

    struct SkipCase: Sendable, CustomTestStringConvertible {
        var id: String
        var policy: Policy
        var unallowedScope: String?
        var reason: String?
        var testDescription: String { "\(id) → \(reason ?? "runs")" }
    }

    static let skipCases = [
        SkipCase(id: "scope.unallowed-rejected", policy: Policy(), unallowedScope: nil, reason: "the target has no unallowed_scope"),
        SkipCase(id: "refresh.access-token-lifetime", policy: Policy(), unallowedScope: "write",
                 reason: "the target has no policy.max_access_token_lifetime"),
        SkipCase(id: "refresh.access-token-lifetime", policy: Policy(maxAccessTokenLifetime: 600), unallowedScope: "write", reason: nil),
        SkipCase(id: "client-auth.secret-in-query", policy: Policy(), unallowedScope: "write",
                 reason: "opt-in probe: add 'secret_in_query' to the target's policy.opt_in to run it (it sends a confidential client's real secret in a URL query, where servers and proxies log it)"),
        SkipCase(id: "client-auth.secret-in-query", policy: Policy(optIn: ["secret_in_query"]), unallowedScope: "write", reason: nil),
        // RFC 9449 §11.1 leaves jti replay tracking to the server: a policy the target opts into.
        SkipCase(id: "dpop.proof-replay-rejected", policy: Policy(), unallowedScope: nil,
                 reason: "opt-in probe: add 'dpop_replay' to the target's policy.opt_in to run it (it judges a policy RFC 9449 §11.1 leaves to the server: that a resource remembers the jti of DPoP proofs it has seen and refuses a replay)"),
        SkipCase(id: "dpop.proof-replay-rejected", policy: Policy(optIn: ["dpop_replay"]), unallowedScope: nil, reason: nil),
    ]

    @Test("optional target values a probe refers to, and opt-ins, decide skips before anything is sent", arguments: skipCases)
    func optionalValues(_ skip: SkipCase) {
        let client = Client(clientID: "c", secret: Secret("secret-value", origin: nil), redirectURI: "https://c/cb", scope: "read", authMethod: .clientSecretBasic)
        let target = Target(name: "t", issuer: "https://idp.example.com",
                            clients: Dictionary(uniqueKeysWithValues: ClientRole.allCases.map { ($0, client) }),
                            user: UserCredentials(username: "u", password: Secret("password", origin: nil)),
                            resourceURL: "https://api/me", policy: skip.policy, unallowedScope: skip.unallowedScope, file: "t.yaml")
        let plan = Planner.plan(targets: [target], suites: Self.suites, only: [skip.id])
        #expect(plan.items.map(\.skipReason) == [skip.reason])
    }

    @Test("a probe that asks a role for API scopes is skipped where that role has identity scopes alone", arguments: [
        ("openid profile", "the target has no API scope for the public client (its scope, openid profile, is identity scopes alone, which a grant without a user does not ask for)"),
        ("openid read", nil),
    ] as [(String, String?)])
    func identityScopesAlone(publicScope: String, reason: String?) {
        let service = Client(clientID: "svc", secret: Secret("s", origin: nil), redirectURI: nil, scope: "read", authMethod: .clientSecretBasic)
        let spa = Client(clientID: "spa", secret: nil, redirectURI: "https://spa/cb", scope: publicScope, authMethod: .none)
        let target = Target(name: "t", issuer: "https://idp.example.com", clients: [.public: spa, .service: service], file: "t.yaml")
        let plan = Planner.plan(targets: [target], suites: Self.suites, only: ["flows.client-credentials-public"])
        #expect(plan.items.map(\.skipReason) == [reason])
    }

    @Test("variants expand into one item each")
    func expandsVariants() {
        let target = Target(name: "t", issuer: "https://idp.example.com", file: "t.yaml")
        let plan = Planner.plan(targets: [target, target], suites: Self.suites, only: ["redirect-uri.unregistered"])
        #expect(plan.items.count == 2 * RedirectVariantTests.expected.count)
        #expect(plan.items.contains { $0.displayID == "redirect-uri.unregistered[userinfo]" })
    }
}
