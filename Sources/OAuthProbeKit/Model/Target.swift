import Foundation

/// The client roles probes are written against. A target maps each to a registered client.
public enum ClientRole: String, Sendable, CaseIterable, Codable {
    case `public`, publicB = "public_b", confidential, confidentialB = "confidential_b", service, disabled
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
    /// The user's TOTP second factor, for sign-in pages that ask a one-time code.
    public var totp: OneTimePassword?

    public init(username: String, password: Secret, totp: OneTimePassword? = nil) {
        self.username = username
        self.password = password
        self.totp = totp
    }
}

/// Field names of the sign-in pages, where the `form` strategy's recognition would guess wrong.
public struct SignInFieldNames: Sendable, Hashable {
    public var username: String?
    public var password: String?
    public var oneTimeCode: String?

    public init(username: String? = nil, password: String? = nil, oneTimeCode: String? = nil) {
        self.username = username
        self.password = password
        self.oneTimeCode = oneTimeCode
    }
}

/// How the harness signs the user in with no human present.
public enum LoginStrategy: String, Sendable, CaseIterable {
    /// HTML login and consent forms, found and filled like a browser would.
    case form
    /// HTTP calls declared in the target file (servers whose login page is a script).
    case steps
    /// A session cookie taken from the environment (sign-in that cannot be scripted, such as MFA).
    case cookie
}

/// One declared sign-in or consent call. Templates may use `user.username`, `user.password`,
/// `client_id`, `scope`, `redirect_uri` and `issuer`.
public struct LoginRequest: Sendable {
    public var method: String
    public var url: Template
    public var headers: [(name: String, value: Template)]
    public var body: Template?
    /// Statuses that mean the call worked; empty accepts any 2xx.
    public var expectStatus: [Int]
    public var location: SourceLocation
    /// Values `${env:}` and `${file:}` put into its headers and body: credentials, redacted and
    /// guarded like the password.
    public var secrets: [Secret]

    public init(method: String, url: Template, headers: [(name: String, value: Template)], body: Template?,
                expectStatus: [Int], location: SourceLocation, secrets: [Secret] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.expectStatus = expectStatus
        self.location = location
        self.secrets = secrets
    }
}

public struct SessionCookie: Sendable {
    public var name: String
    public var value: Secret
    /// Defaults to the authorization endpoint's host.
    public var domain: String?
}

public struct LoginSettings: Sendable {
    public var strategy: LoginStrategy
    /// `steps`: sent once per browser session, before its first authorization request.
    public var signIn: [LoginRequest]
    /// `steps`: sent before each authorization request, for the client and scope it asks for.
    public var consent: [LoginRequest]
    /// Added to every authorization request (Glewlwyd's `g_continue`).
    public var authorizeParameters: [(name: String, value: Template)]
    public var cookie: SessionCookie?
    /// The name of the cookie that carries the signed-in session, when the server sets several at
    /// sign-in and the CSRF-name rule cannot tell which (`pages.session-cookie-flags`).
    public var sessionCookieName: String?
    /// `form`: the fields to fill, where recognising them by type, autocomplete and name fails.
    public var fields = SignInFieldNames()

    /// `steps`: a sign-in call sends `{{user.totp}}`, a fresh one-time code.
    public var asksOneTimeCode: Bool {
        signIn.contains { request in
            ([request.url, request.body].compactMap { $0 } + request.headers.map(\.value)).contains { template in
                template.pieces.contains { if case .reference(let reference) = $0 { reference.path == ["user", "totp"] } else { false } }
            }
        }
    }

    public init(strategy: LoginStrategy = .form, signIn: [LoginRequest] = [], consent: [LoginRequest] = [],
                authorizeParameters: [(name: String, value: Template)] = [], cookie: SessionCookie? = nil) {
        self.strategy = strategy
        self.signIn = signIn
        self.consent = consent
        self.authorizeParameters = authorizeParameters
        self.cookie = cookie
    }
}

public struct Policy: Sendable, Hashable {
    public var maxAccessTokenLifetime: Int?
    /// The organisation demands `iss` in authorization responses (RFC 9207) even where metadata
    /// does not advertise it.
    public var requireIssParameter: Bool
    /// Opt-in probes this target may run (see `Probe.optIn`).
    public var optIn: Set<String>
    /// Seconds a used refresh token may still be presented (a reuse grace window, such as
    /// django-oauth-toolkit's REFRESH_TOKEN_GRACE_PERIOD_SECONDS); reuse is tried after it.
    public var refreshReuseGraceSeconds = 0
    /// The longest an authorization code may live: RFC 6749 §4.1.2 recommends ten minutes at most.
    public var maxCodeLifetime = 600

    public init(maxAccessTokenLifetime: Int? = nil, requireIssParameter: Bool = false, optIn: Set<String> = []) {
        self.maxAccessTokenLifetime = maxAccessTokenLifetime
        self.requireIssParameter = requireIssParameter
        self.optIn = optIn
    }

    /// Policy values as templates see them (`{{policy.max_access_token_lifetime}}`).
    public var values: [String: String] {
        var values = ["require_iss_parameter": String(requireIssParameter),
                      "refresh_reuse_grace_seconds": String(refreshReuseGraceSeconds),
                      "max_code_lifetime": String(maxCodeLifetime)]
        if let maxAccessTokenLifetime { values["max_access_token_lifetime"] = String(maxAccessTokenLifetime) }
        return values
    }
}

/// A second API: tokens asked for with `scope` (and the RFC 8707 `resource` indicator, when given)
/// are meant for it alone.
public struct SecondResource: Sendable {
    public var url: String
    public var scope: String
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
    public var login: LoginSettings
    public var resourceURL: String?
    /// A second protected API with an audience of its own (`token.audience-restricted`).
    public var resourceB: SecondResource?
    public var policy: Policy
    public var unallowedScope: String?
    /// At most this many probes in flight against this server, whatever `--concurrency` says:
    /// to be gentle with production, or with a server that cannot take parallel sign-ins.
    public var maxConcurrency: Int?
    /// At most this many requests per second to this server, whatever `--max-rps` says.
    public var maxRequestsPerSecond: Double?
    public var file: String
    /// Where `issuer` is written in the file.
    public var issuerLocation: SourceLocation?

    public init(
        name: String, issuer: String, endpoints: [String: String] = [:], allowInsecureHTTP: Bool = false,
        caFile: String? = nil, clients: [ClientRole: Client] = [:], user: UserCredentials? = nil,
        login: LoginSettings = LoginSettings(), resourceURL: String? = nil, policy: Policy = Policy(),
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
        clients.values.compactMap(\.secret) + (user.map { [$0.password] + ($0.totp.map { [$0.secret] } ?? []) } ?? [])
            + (login.cookie.map { [$0.value] } ?? [])
            + (login.signIn + login.consent).flatMap(\.secrets)
    }
}
