import Foundation

/// Which cookies of the sign-in carry the session: the ones whose absence signs the user out.
/// Servers set cookies beside the session cookie that scripts must read (Keycloak's
/// `KEYCLOAK_SESSION`, Duende's `idsrv.session`, for the OpenID Connect session iframe); holding
/// those to HttpOnly would fail a server for a cookie that grants nothing. Each candidate is left
/// out of a copy of the session's cookies, and an authorization request in that browser shows
/// whether the user is still signed in: one request chain per candidate, once per run, and only
/// where the sign-in set several candidates and the target names none (`login.session_cookie`).
struct SessionCookieTrial {
    let session: ProbeSession
    let step: String

    /// The names, among `candidates`, without which the server asks the user to sign in again.
    func signingOut(_ candidates: [String], sessionCookies: [String], client: Client, endpoint: String) async throws -> [String] {
        var needed: [String] = []
        for name in candidates {
            let actor = try session.trialBrowser(holding: sessionCookies.filter { JarCookie(line: $0)?.name != name }, without: name)
            let send: BrowserFlow.Send = { request in try await session.send(request, as: actor, step: step) }
            let flow = BrowserFlow(strategy: session.target.login.strategy, user: nil, send: send, signsIn: false)
            if try await flow.run(from: Self.request(client: client, endpoint: endpoint)).asksToSignIn(strategy: session.target.login.strategy) {
                needed.append(name)
            }
        }
        return needed
    }

    /// A plain code request of the client's (PKCE S256, state, and nonce with openid): the
    /// browser's session decides whether the server asks for a sign-in.
    static func request(client: Client, endpoint: String) -> String {
        var query = [("response_type", "code"), ("client_id", client.clientID), ("redirect_uri", client.redirectURI ?? "")]
        if let scope = client.scope { query.append(("scope", scope)) }
        query += [("state", Base64URL.randomToken()),
                  ("code_challenge", PKCE(method: .s256).challenge ?? ""), ("code_challenge_method", "S256")]
        if Evaluation.words(client.scope ?? "").contains("openid") { query.append(("nonce", Base64URL.randomToken())) }
        return ClientRequests.authorizationURL(endpoint: endpoint, parameters: query)
    }
}
