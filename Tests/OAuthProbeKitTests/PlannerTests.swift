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
        let plan = Planner.plan(targets: [target], suites: Self.suites, only: ["token-reuse.refresh-cross-client", "pkce.*"])
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

    @Test("variants expand into one item each")
    func expandsVariants() {
        let target = Target(name: "t", issuer: "https://idp.example.com", file: "t.yaml")
        let plan = Planner.plan(targets: [target, target], suites: Self.suites, only: ["redirect-uri.*"])
        #expect(plan.items.count == 2 * RedirectVariantTests.expected.count)
        #expect(plan.items.contains { $0.displayID == "redirect-uri.unregistered[userinfo]" })
    }
}
