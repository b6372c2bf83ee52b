import Foundation

/// The client roles probes are written against. A target maps each to a registered client.
public enum ClientRole: String, Sendable, CaseIterable, Codable, Comparable {
    case `public`, publicB = "public_b", confidential, confidentialB = "confidential_b", service, disabled

    public static func < (a: ClientRole, b: ClientRole) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// How a client proves its identity at the token endpoint (RFC 6749 §2.3, OIDC Core §9).
public enum ClientAuthMethod: String, Sendable, CaseIterable {
    case clientSecretBasic = "client_secret_basic"
    case clientSecretPost = "client_secret_post"
    case none
}

public struct Client: Sendable, Hashable {
    public var clientID: String
    public var secret: Secret?
    public var redirectURI: String?
    public var scope: String?
    public var authMethod: ClientAuthMethod

    public init(clientID: String, secret: Secret?, redirectURI: String?, scope: String?, authMethod: ClientAuthMethod) {
        self.clientID = clientID
        self.secret = secret
        self.redirectURI = redirectURI
        self.scope = scope
        self.authMethod = authMethod
    }
}

public struct UserCredentials: Sendable, Hashable {
    public var username: String
    public var password: Secret
}

/// How the harness signs the user in with no human present.
public enum LoginStrategy: String, Sendable, CaseIterable {
    /// HTML login and consent forms, found and filled like a browser would.
    case form
    /// Declared HTTP calls (a later issue).
    case steps
    /// A session cookie supplied from the environment (a later issue).
    case cookie
}

public struct Policy: Sendable, Hashable {
    public var maxAccessTokenLifetime: Int?

    public init(maxAccessTokenLifetime: Int? = nil) { self.maxAccessTokenLifetime = maxAccessTokenLifetime }
}

/// One environment under test, as its target file describes it.
public struct Target: Sendable {
    public var name: String
    public var issuer: String
    /// Endpoints given in the file; they override discovered metadata.
    public var endpoints: [String: String]
    public var allowInsecureHTTP: Bool
    public var caFile: String?
    public var clients: [ClientRole: Client]
    public var user: UserCredentials?
    public var login: LoginStrategy
    public var resourceURL: String?
    public var policy: Policy
    public var unallowedScope: String?
    public var file: String

    public init(
        name: String, issuer: String, endpoints: [String: String] = [:], allowInsecureHTTP: Bool = false,
        caFile: String? = nil, clients: [ClientRole: Client] = [:], user: UserCredentials? = nil,
        login: LoginStrategy = .form, resourceURL: String? = nil, policy: Policy = Policy(),
        unallowedScope: String? = nil, file: String
    ) {
        self.name = name
        self.issuer = issuer
        self.endpoints = endpoints
        self.allowInsecureHTTP = allowInsecureHTTP
        self.caFile = caFile
        self.clients = clients
        self.user = user
        self.login = login
        self.resourceURL = resourceURL
        self.policy = policy
        self.unallowedScope = unallowedScope
        self.file = file
    }

    /// Every secret value the target holds, so redaction knows them before anything is sent.
    public var secrets: [Secret] {
        clients.values.compactMap(\.secret) + (user.map { [$0.password] } ?? [])
    }
}
