import Foundation
import Testing
@testable import OAuthProbeKit

/// IdentityServer refuses identity scopes in client_credentials and with response_type=token:
/// steps there ask for API scopes only, or the probe does not apply.
@Suite("Identity scopes decide nothing")
struct IdentityScopeTests {
    static func client(_ scope: String?) -> Client {
        Client(clientID: "c", secret: Secret("s", origin: nil), redirectURI: "https://c.example/cb", scope: scope, authMethod: .clientSecretBasic)
    }

    /// A client's scope and the API scopes asked for it (nil: none left, the probe is skipped).
    static let cases: [(scope: String, api: String?)] = [
        ("openid read", "read"),
        ("openid profile email address phone offline_access api:read api:write", "api:read api:write"),
        ("read", "read"),
        ("openid profile offline_access", nil),
    ]

    @Test("client_credentials, response_type=token and clients.ROLE.api_scope ask for API scopes only", arguments: cases)
    func apiScopes(_ check: (scope: String, api: String?)) throws {
        let client = Self.client(check.scope)
        let target = Target(name: "t", issuer: "https://idp.example.com", clients: [.service: client], file: "t.yaml")
        let context = TemplateContext(target: target, endpoints: EndpointMap(target: target, metadata: nil), variant: nil)
        let reference = Template.Reference(path: ["clients", "service", "api_scope"], filters: [])
        if let api = check.api {
            #expect(try ProbeExecution.serviceScope(of: client, role: .service) == api)
            #expect(try ProbeExecution.defaultScope(of: client, role: .service, responseTypes: ["token"]) == api)
            #expect(try context.value(of: reference) == api)
        } else {
            #expect(throws: ProbeSkip.self) { try ProbeExecution.serviceScope(of: client, role: .service) }
            #expect(throws: ProbeSkip.self) { try ProbeExecution.defaultScope(of: client, role: .service, responseTypes: ["token"]) }
            #expect(throws: ProbeSkip.self) { try context.value(of: reference) }
        }
        // OpenID Connect flows keep every scope the client has.
        #expect(try ProbeExecution.defaultScope(of: client, role: .service, responseTypes: ["code"]) == check.scope)
    }

    @Test("a client that names no scope asks for none: the server's default")
    func noScope() throws {
        #expect(try ProbeExecution.serviceScope(of: Self.client(nil), role: .service) == nil)
    }
}
