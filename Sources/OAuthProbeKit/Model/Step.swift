/// One action of a probe, with what must hold for the probe to go on (`require`, else `error`)
/// and what the practice demands (`expect`, else `fail`).
public struct Step: Sendable {
    public var name: String
    public var action: Action
    /// All must hold for the step to run; otherwise it is passed over.
    public var when: [Expectation]
    public var require: [Expectation]
    public var expect: [Expectation]
    public var location: SourceLocation

    public init(name: String, action: Action, when: [Expectation] = [], require: [Expectation] = [],
                expect: [Expectation] = [], location: SourceLocation) {
        self.name = name
        self.action = action
        self.when = when
        self.require = require
        self.expect = expect
        self.location = location
    }
}

/// The OAuth actions a step can take. Parameters are templates, filled at run time.
public enum Action: Sendable {
    /// Fetch the metadata document again and judge it.
    case discover
    case authorize(AuthorizeParameters)
    /// Redeem an authorization code (RFC 6749 §4.1.3).
    case token(TokenParameters)
    case refresh(RefreshParameters)
    case clientCredentials(ClientCredentialsParameters)
    case revoke(RevokeParameters)
    /// Call the target's protected resource with an access token.
    case resource(ResourceParameters)
    case http(RawHTTPParameters)

    public var keyword: String {
        switch self {
        case .discover: "discover"
        case .authorize: "authorize"
        case .token: "token"
        case .refresh: "refresh"
        case .clientCredentials: "client_credentials"
        case .revoke: "revoke"
        case .resource: "resource"
        case .http: "http"
        }
    }

    /// The client role the action speaks as, if any.
    public var role: ClientRole? {
        switch self {
        case .discover, .resource, .http: nil
        case .authorize(let p): p.client
        case .token(let p): p.client
        case .refresh(let p): p.client
        case .clientCredentials(let p): p.client
        case .revoke(let p): p.client
        }
    }
}

/// PKCE as the authorization request sends it (RFC 7636).
public enum PKCEMode: String, Sendable, CaseIterable {
    case s256 = "S256"
    case plain
    case none
}

public struct AuthorizeParameters: Sendable {
    public var client: ClientRole
    public var redirectURI: Template?
    public var responseType: Template?
    public var scope: Template?
    public var pkce: PKCEMode
    /// Extra query parameters, sent after the standard ones.
    public var extra: [(name: String, value: Template)]

    public init(client: ClientRole, redirectURI: Template? = nil, responseType: Template? = nil,
                scope: Template? = nil, pkce: PKCEMode = .s256, extra: [(name: String, value: Template)] = []) {
        self.client = client
        self.redirectURI = redirectURI
        self.responseType = responseType
        self.scope = scope
        self.pkce = pkce
        self.extra = extra
    }
}

/// A parameter that can be left at its default, set, or deliberately left out of the request.
public enum Override: Sendable {
    case inherit
    case value(Template)
    case omit
}

public struct TokenParameters: Sendable {
    public var client: ClientRole
    /// The authorize step whose code, redirect_uri and code_verifier are used by default.
    public var from: String?
    public var code: Override
    public var redirectURI: Override
    public var codeVerifier: Override

    public init(client: ClientRole, from: String?, code: Override = .inherit,
                redirectURI: Override = .inherit, codeVerifier: Override = .inherit) {
        self.client = client
        self.from = from
        self.code = code
        self.redirectURI = redirectURI
        self.codeVerifier = codeVerifier
    }
}

public struct RefreshParameters: Sendable {
    public var client: ClientRole
    public var refreshToken: Template
    public var scope: Template?
}

public struct ClientCredentialsParameters: Sendable {
    public var client: ClientRole
    public var scope: Template?
}

public struct RevokeParameters: Sendable {
    public var client: ClientRole
    public var token: Template
    public var tokenTypeHint: Template?
}

public struct ResourceParameters: Sendable {
    /// How the access token travels: the `Authorization: Bearer` header or the `access_token` query parameter.
    public enum Transport: String, Sendable, CaseIterable { case header, query }
    public var token: Template
    public var transport: Transport
}

public struct RawHTTPParameters: Sendable {
    public var method: String
    public var url: Template
    public var headers: [(name: String, value: Template)]
    public var body: Template?
    /// Send it even over http:// (only ever with invalid credentials).
    public var permitsPlaintext: Bool
}
