/// One action of a probe, with what must hold for the probe to go on (`require`, else `error`)
/// and what the practice demands (`expect`, else `fail`).
public struct Step: Sendable {
    public var name: String
    public var action: Action
    /// All must hold for the step to run; otherwise it is passed over, or with
    /// `otherwise: skip` the whole probe is not applicable to this target.
    public var when: [Expectation]
    public var skipProbeUnlessWhen: Bool = false
    /// With `otherwise: skip`: the reason the skip gives, in a reviewer's words.
    public var because: String?
    /// Seconds to wait before the step is sent (a template: a grace window from the policy).
    public var wait: Template?
    /// Sent once per run and target: every probe that takes the same shared step (same action,
    /// same parameters) reads the one outcome. For controls and for tokens that are only read.
    public var shared = false
    /// The longest wait a step may ask for: a probe must not hang a pipeline (an opt-in `slow`
    /// probe waits out a ten-minute code lifetime).
    public static let longestWait = 900
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
    case revoke(TokenCallParameters)
    /// RFC 7662 introspection of a token, as a client.
    case introspect(TokenCallParameters)
    /// What the run's one sign-in showed: how the server answered the user's credentials and the
    /// session cookie it set then.
    case signIn
    /// Call the target's protected resource with an access token.
    case resource(ResourceParameters)
    case http(RawHTTPParameters)
    /// Resource owner password credentials (RFC 6749 §4.3), to see that the grant is refused.
    case passwordGrant(PasswordGrantParameters)
    /// A pushed authorization request alone (RFC 9126 §2): its answer carries the `request_uri`
    /// a later authorize step may present.
    case pushAuthorization(AuthorizeParameters)
    /// Checks an ID token (OIDC Core §3.1.3.7): signature by the JWKS, iss, aud, exp, nonce.
    case verifyIDToken(VerifyIDTokenParameters)

    public var keyword: String {
        switch self {
        case .discover: "discover"
        case .authorize: "authorize"
        case .token: "token"
        case .refresh: "refresh"
        case .clientCredentials: "client_credentials"
        case .revoke: "revoke"
        case .introspect: "introspect"
        case .signIn: "sign_in"
        case .resource: "resource"
        case .http: "http"
        case .passwordGrant: "password_grant"
        case .verifyIDToken: "verify_id_token"
        case .pushAuthorization: "push_authorization"
        }
    }

    /// The client role the action speaks as, if any.
    public var role: ClientRole? {
        switch self {
        case .discover, .resource, .http, .signIn: nil
        case .passwordGrant(let p): p.client
        case .verifyIDToken(let p): p.client
        case .authorize(let p), .pushAuthorization(let p): p.client
        case .token(let p): p.client
        case .refresh(let p): p.client
        case .clientCredentials(let p): p.client
        case .revoke(let p), .introspect(let p): p.client
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
    /// Sent instead of the role's client_id (an unknown client).
    public var clientID: Template?
    public var redirectURI: Template?
    public var responseType: Template?
    public var scope: Template?
    public var pkce: PKCEMode
    /// The PKCE verifier to send instead of a fresh one (a malformed one, to see it refused).
    public var codeVerifier: Template?
    /// Which browser sends the request: the one with the run's signed-in session, or a
    /// signed-out one that never signs in.
    public var browser: BrowserKind = .signedIn
    /// Extra query parameters, sent after the standard ones.
    public var extra: [(name: String, value: Template)]
    /// Push the parameters to the PAR endpoint first (RFC 9126) and send the browser with
    /// client_id and the request_uri only. Unset: only when the metadata says
    /// `require_pushed_authorization_requests` (§5), so every probe works on such a server.
    public var par: Bool?
    /// Send the browser with client_id and this request_uri only (one pushed by an earlier step).
    public var requestURI: Template?
    /// How the push authenticates the client (with `par` and `push_authorization`).
    public var clientAuth: ClientAuthentication = .registered
    /// Ask as a client that wants a refresh token (OIDC Core §11): where the metadata lists
    /// `offline_access`, that scope is added and `prompt=consent` sent.
    public var offline = false

    public init(client: ClientRole, clientID: Template? = nil, redirectURI: Template? = nil, responseType: Template? = nil,
                scope: Template? = nil, pkce: PKCEMode = .s256, extra: [(name: String, value: Template)] = []) {
        self.client = client
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.responseType = responseType
        self.scope = scope
        self.pkce = pkce
        self.extra = extra
    }
}

/// The browser an authorization request runs in.
public enum BrowserKind: String, Sendable, CaseIterable {
    case signedIn = "signed-in"
    case signedOut = "signed-out"
}

/// A parameter that can be left at its default, set, or deliberately left out of the request.
public enum Override: Sendable {
    case inherit
    case value(Template)
    case omit
}

/// How a back-channel request authenticates the client, when a probe wants it otherwise than
/// the target file registers it.
public enum ClientAuthentication: String, Sendable, CaseIterable {
    /// As the target file says (the default).
    case registered
    /// client_id only, no secret.
    case none
    /// The registered method with a secret that is not the client's.
    case wrongSecret = "wrong_secret"
    /// client_id and client_secret in the URL query: the real secret, so probes doing this are opt-in.
    case query
}

public struct TokenParameters: Sendable {
    public var client: ClientRole
    public var clientAuth: ClientAuthentication = .registered
    /// Send a DPoP proof (RFC 9449 §5) with the request.
    public var dpop = false
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
    public var clientAuth: ClientAuthentication = .registered
    public var dpop = false
    public var refreshToken: Template
    public var scope: Template?
}

public struct ClientCredentialsParameters: Sendable {
    public var client: ClientRole
    public var clientAuth: ClientAuthentication = .registered
    public var dpop = false
    public var scope: Template?
}

/// A client's call about a token: RFC 7009 revocation or RFC 7662 introspection.
public struct TokenCallParameters: Sendable {
    public var client: ClientRole
    public var clientAuth: ClientAuthentication = .registered
    public var token: Template
    public var tokenTypeHint: Template?
}

public struct ResourceParameters: Sendable {
    /// How the access token travels: the `Authorization: Bearer` header or the `access_token` query parameter.
    public enum Transport: String, Sendable, CaseIterable { case header, query }
    public var token: Template
    public var transport: Transport
    /// Another protected URL than the target's `resource.url` (userinfo, a second API).
    public var url: Template?
    /// The `Authorization` scheme the token is sent with.
    public var scheme: AuthorizationScheme = .bearer
    /// The DPoP proof sent with the request, if any (by default one with the `DPoP` scheme).
    public var dpop: DPoPProofOptions?
}

/// The scheme of an `Authorization` header that carries an access token.
public enum AuthorizationScheme: String, Sendable, CaseIterable {
    case bearer = "Bearer"
    /// RFC 9449 §7.1: a DPoP-bound token, with a proof in the `DPoP` header.
    case dpop = "DPoP"
}

/// How a step's DPoP proof (RFC 9449 §4.2) departs from a correct one.
public struct DPoPProofOptions: Sendable {
    /// `htu` other than the request's URL.
    public var htu: Template?
    /// `htm` other than the request's method.
    public var htm: Template?
    /// Send exactly the proof an earlier step sent (same `jti`), instead of a fresh one.
    public var replay: String?

    public init(htu: Template? = nil, htm: Template? = nil, replay: String? = nil) {
        self.htu = htu
        self.htm = htm
        self.replay = replay
    }
}

public struct RawHTTPParameters: Sendable {
    public var method: String
    public var url: Template
    public var headers: [(name: String, value: Template)]
    public var body: Template?
    /// Send it even over http:// (only ever with invalid credentials).
    public var permitsPlaintext: Bool
    /// No answer at all (nothing listening, TLS refused) is an outcome to judge, not an error.
    public var noAnswerAllowed: Bool = false
}

public struct PasswordGrantParameters: Sendable {
    public var client: ClientRole
    public var scope: Template?
}

public struct VerifyIDTokenParameters: Sendable {
    /// The audience the token must name.
    public var client: ClientRole
    public var idToken: Template
    /// The nonce sent at authorize.
    public var nonce: Template?
    /// The code and access token that came with the ID token, which `c_hash` and `at_hash` must match.
    public var code: Template?
    public var accessToken: Template?
}

extension Action {
    /// Every template the action fills, so a plan can see what a probe refers to.
    public var templates: [Template] {
        func overridden(_ override: Override) -> [Template] {
            if case .value(let template) = override { [template] } else { [] }
        }
        switch self {
        case .discover, .signIn: return []
        case .authorize(let p), .pushAuthorization(let p):
            return [p.clientID, p.redirectURI, p.responseType, p.scope, p.codeVerifier, p.requestURI].compactMap { $0 } + p.extra.map(\.value)
        case .token(let p): return overridden(p.code) + overridden(p.redirectURI) + overridden(p.codeVerifier)
        case .refresh(let p): return [p.refreshToken] + [p.scope].compactMap { $0 }
        case .clientCredentials(let p): return [p.scope].compactMap { $0 }
        case .passwordGrant(let p): return [p.scope].compactMap { $0 }
        case .revoke(let p), .introspect(let p): return [p.token] + [p.tokenTypeHint].compactMap { $0 }
        case .resource(let p): return [p.token] + [p.url, p.dpop?.htu, p.dpop?.htm].compactMap { $0 }
        case .http(let p): return [p.url] + p.headers.map(\.value) + [p.body].compactMap { $0 }
        case .verifyIDToken(let p): return [p.idToken] + [p.nonce, p.code, p.accessToken].compactMap { $0 }
        }
    }
}

extension Probe {
    /// Every `{{ }}` reference in the probe: bindings, variants, actions and expectation values.
    public var references: [Template.Reference] {
        var templates = bindings.map(\.value) + variants.flatMap(\.values.values) + steps.flatMap(\.action.templates)
            + steps.compactMap(\.wait) + skipWhen.flatMap(\.values)
        let literals = steps.flatMap { ($0.when + $0.require + $0.expect).flatMap(\.matcher.literals) }
        templates += literals.compactMap { literal in
            let loose = SourceLocation(file: "", line: 0, column: 0)
            return try? TemplateParser.parse(literal, at: loose).get()
        }
        return templates.flatMap(\.references)
    }
}
