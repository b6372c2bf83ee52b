import Foundation
import Testing
@testable import OAuthProbeKit

/// The bundled reference servers, started by `scripts/test` (which sets OAUTHPROBE_REFERENCE_SERVERS=1).
/// When that variable is set, a server that is not answering fails these tests rather than skipping them.
enum ReferenceServers {
    static let enabled = ProcessInfo.processInfo.environment["OAUTHPROBE_REFERENCE_SERVERS"] == "1"
    static let servers = TestSupport.repositoryRoot.appendingPathComponent("Tests/Servers")
    static let targetFiles = ["dot/targets/hardened", "dot/targets/permissive", "glewlwyd/targets/strict", "glewlwyd/targets/lax"]
        .map { servers.appendingPathComponent("\($0).yaml").path }

    /// One run of every suite on all four targets, in process, shared by the verdict and the
    /// redaction tests: the record, and the console's progress lines as they were printed.
    static let run = Task { () -> (inputs: Inputs, record: RunRecord, progress: String) in
        let inputs = Inputs.load(targets: targetFiles, suites: [TestSupport.suitesFolder])
        precondition(!inputs.hasErrors, "\(inputs.diagnostics)")
        let console = ConsoleReport(colour: false)
        let lines = LockedLines()
        let record = await Runner(options: RunOptions(concurrency: 4, timeout: .seconds(20)))
            .run(Planner.plan(targets: inputs.targets, suites: inputs.suites), progress: { lines.append(console.progressLine($0)) })
        return (inputs, record, lines.text)
    }

    static var results: [ProbeResult] {
        get async { await run.value.record.results }
    }

    /// Every secret the fixtures hold: client secrets, the user's password, Glewlwyd's admin password.
    static var secrets: [String] {
        ["dot", "glewlwyd"].flatMap { server -> [String] in
            let folder = servers.appendingPathComponent("\(server)/state/secrets")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.compactMap { try? String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }
}

/// What one probe variant must conclude on one target, and the server setting that makes it so.
struct ExpectedVerdict: Sendable, CustomTestStringConvertible {
    var target: String
    var id: String
    var verdict: Verdict
    var because: String

    var testDescription: String { "\(target) \(id) → \(verdict.rawValue)" }
}

/// One probe variant on both configurations of both servers. The reasons name the settings of
/// Tests/Servers/dot/dotserver/settings.py (hardened, permissive) and of
/// Tests/Servers/glewlwyd/provision.py (strict, lax).
struct VerdictRow {
    var id: String
    var dot: (hardened: Verdict, permissive: Verdict, because: String)
    var glewlwyd: (strict: Verdict, lax: Verdict, because: String)

    var expectations: [ExpectedVerdict] {
        [ExpectedVerdict(target: "dot-hardened", id: id, verdict: dot.hardened, because: dot.because),
         ExpectedVerdict(target: "dot-permissive", id: id, verdict: dot.permissive, because: dot.because),
         ExpectedVerdict(target: "glewlwyd-strict", id: id, verdict: glewlwyd.strict, because: glewlwyd.because),
         ExpectedVerdict(target: "glewlwyd-lax", id: id, verdict: glewlwyd.lax, because: glewlwyd.because)]
    }
}

let redirectVariants = ["other-host", "subdomain", "userinfo", "other-port", "http-scheme", "path-suffix", "trailing-slash",
                        "dot-segments", "encoded-path", "path-case", "extra-query", "fragment", "wildcard-host"]

let verdictRows: [VerdictRow] = [
    // Always Use HTTPS
    VerdictRow(id: "https.metadata-endpoints",
               dot: (.pass, .fail, "hardened pins OIDC_ISS_ENDPOINT to its https URL; permissive's TLS front on :8403 still advertises the http://127.0.0.1:8402 URLs of its pinned issuer"),
               glewlwyd: (.pass, .pass, "both serve plain http on loopback, which allow_insecure_http exempts (local servers)")),
    VerdictRow(id: "https.plaintext-refused[same-port]",
               dot: (.pass, .pass, "http:// to a gunicorn TLS port (:8401, :8403) gets no answer"),
               glewlwyd: (.fail, .fail, "Glewlwyd serves only plain http: the http form is the token endpoint itself")),
    VerdictRow(id: "https.plaintext-refused[default-port]",
               dot: (.pass, .pass, "nothing listens on port 80 of 127.0.0.1"),
               glewlwyd: (.pass, .pass, "nothing listens on port 80 of 127.0.0.1")),
    VerdictRow(id: "https.plaintext-refused[advertised]",
               dot: (.pass, .fail, "hardened advertises https only; permissive advertises its plain-http port :8402, which answers 401 invalid_client as over https"),
               glewlwyd: (.fail, .fail, "the advertised token endpoint is plain http and answers as the real one")),
    VerdictRow(id: "https.hsts",
               dot: (.pass, .fail, "SECURE_HSTS_SECONDS=31536000 in hardened, 0 in permissive"),
               glewlwyd: (.skip, .skip, "plain http only, where browsers ignore Strict-Transport-Security (RFC 6797 §8.1)")),
    // Protect Client Secrets
    VerdictRow(id: "client-auth.secret-required",
               dot: (.pass, .pass, "DOT authenticates confidential clients by their secret in both modes"),
               glewlwyd: (.pass, .pass, "Glewlwyd authenticates confidential clients by their secret in both modes")),
    VerdictRow(id: "client-auth.wrong-secret",
               dot: (.pass, .pass, "a wrong secret gets 401 invalid_client in both modes"),
               glewlwyd: (.pass, .pass, "a wrong secret gets 401/403 in both modes")),
    VerdictRow(id: "client-auth.secret-in-query",
               dot: (.pass, .pass, "DOT reads client credentials from the Authorization header and the body only"),
               glewlwyd: (.pass, .pass, "Glewlwyd reads client credentials from the Authorization header and the body only")),
    // Use the Correct Flow
    VerdictRow(id: "flows.implicit-disabled[token]",
               dot: (.pass, .pass, "probe-public's authorization_grant_type is authorization-code: unauthorized_client"),
               glewlwyd: (.pass, .fail, "strict: auth-type-token-enabled=false; lax: enabled and probe-public has the token type")),
    VerdictRow(id: "flows.implicit-disabled[id-token-token]",
               dot: (.pass, .pass, "probe-public's authorization_grant_type is authorization-code: unauthorized_client"),
               glewlwyd: (.pass, .fail, "strict: auth-type-token-enabled=false; lax: enabled and probe-public has the token and id_token types")),
    VerdictRow(id: "flows.password-disabled",
               dot: (.pass, .pass, "probe-web's authorization_grant_type is authorization-code: the password grant is unauthorized"),
               glewlwyd: (.fail, .fail, "strict: auth-type-password-enabled=false, but answered with a bare 403, not RFC 6749 §5.2's unsupported_grant_type or unauthorized_client, so nothing shows the grant off; lax: enabled and probe-web has the password type")),
    VerdictRow(id: "flows.client-credentials-public",
               dot: (.pass, .pass, "a public client cannot authenticate for client_credentials"),
               glewlwyd: (.pass, .pass, "a public client cannot authenticate for client_credentials")),
    VerdictRow(id: "flows.hybrid-restricted[code-token]",
               dot: (.pass, .pass, "probe-public is an authorization-code application: no token response types"),
               glewlwyd: (.pass, .fail, "lax gives probe-public the token type: an access token comes in the fragment")),
    VerdictRow(id: "flows.hybrid-restricted[code-id-token-token]",
               dot: (.pass, .pass, "probe-public is an authorization-code application: no token response types"),
               glewlwyd: (.pass, .fail, "lax gives probe-public the token type: an access token comes in the fragment")),
    VerdictRow(id: "flows.metadata",
               dot: (.fail, .fail, "DOT's OpenID discovery has no grant_types_supported, which RFC 8414 §2 and OIDC Discovery §3 read as authorization_code and implicit; permissive also lists token types and plain"),
               glewlwyd: (.fail, .fail, "Glewlwyd's discovery lists the implicit grant in both modes")),
    // Apply Least Privilege
    VerdictRow(id: "scope.unallowed-rejected",
               dot: (.pass, .fail, "SCOPES_BACKEND_CLASS limits each application to allowed_scopes in hardened; permissive grants every scope"),
               glewlwyd: (.pass, .fail, "restrict-scope-client-property=allowed_scope drops write in strict; lax has no restriction")),
    VerdictRow(id: "scope.service-unallowed-rejected",
               dot: (.pass, .fail, "per-client scopes in hardened: invalid_scope; permissive grants read write"),
               glewlwyd: (.pass, .pass, "the client's own scope list bounds client_credentials in both modes: scope_invalid")),
    VerdictRow(id: "scope.refresh-no-escalation",
               dot: (.pass, .pass, "oauthlib refuses a refresh scope beyond the original grant in both modes"),
               glewlwyd: (.pass, .pass, "Glewlwyd refuses a refresh scope beyond the original grant in both modes")),
    VerdictRow(id: "scope.within-requested",
               dot: (.pass, .pass, "the token carries the scope asked for"),
               glewlwyd: (.pass, .pass, "the token carries the scope asked for")),
    // Handle Tokens Securely
    VerdictRow(id: "token.no-store",
               dot: (.pass, .pass, "oauthlib sets Cache-Control: no-store on token responses"),
               glewlwyd: (.pass, .pass, "Glewlwyd sets Cache-Control: no-store on token responses")),
    VerdictRow(id: "token.query-param-rejected",
               dot: (.pass, .fail, "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT=True refuses ?access_token= in hardened; off in permissive"),
               glewlwyd: (.pass, .pass, "userinfo reads the Authorization header only in both modes")),
    VerdictRow(id: "token.bearer-header-accepted",
               dot: (.pass, .pass, "/api/me accepts a bearer header with scope read"),
               glewlwyd: (.pass, .pass, "userinfo accepts a bearer header")),
    VerdictRow(id: "token.tampered-signature-rejected",
               dot: (.skip, .skip, "DOT's access tokens are opaque: there is no signature to alter"),
               glewlwyd: (.pass, .pass, "JWT access tokens: an altered signature does not verify")),
    VerdictRow(id: "token.alg-none-rejected",
               dot: (.skip, .skip, "DOT's access tokens are opaque: there is no signature to strip"),
               glewlwyd: (.pass, .pass, "Glewlwyd refuses unsigned JWT access tokens")),
] + ["code", "code-id-token", "code-token", "token", "id-token-token"].map { variant in
    let tokenInFront = ["code-token", "token", "id-token-token"].contains(variant)
    return VerdictRow(id: "token.not-in-front-channel[\(variant)]",
                      dot: (.pass, .pass, "probe-public is an authorization-code application: no token in the authorization response"),
                      glewlwyd: (.pass, tokenInFront ? .fail : .pass,
                                 tokenInFront ? "lax gives probe-public the token type: the access token comes in the fragment"
                                              : "no access token is issued from the authorization endpoint for this response type"))
} + [
    VerdictRow(id: "token.id-token-valid",
               dot: (.pass, .fail, "RS256 with the JWKS key; permissive's iss is the pinned http://127.0.0.1:8402/o, not the https issuer"),
               glewlwyd: (.pass, .pass, "RS256 with the JWKS key, iss, aud, exp and nonce as sent")),
    // Refresh and Reference Tokens
    VerdictRow(id: "refresh.public-client-denied",
               dot: (.pass, .fail, "OAUTH2_VALIDATOR_CLASS=NoPublicRefreshValidator in hardened; DOT's default issues and honours public refresh tokens"),
               glewlwyd: (.pass, .fail, "probe-public lacks the refresh_token type in strict: its refresh is refused; lax has it")),
    VerdictRow(id: "refresh.client-credentials-none",
               dot: (.pass, .pass, "oauthlib issues no refresh token for client_credentials"),
               glewlwyd: (.pass, .pass, "no refresh token for client_credentials")),
    VerdictRow(id: "refresh.rotation-reuse-detected",
               dot: (.skip, .fail, "hardened gives the public client no refresh token (NoPublicRefreshValidator); permissive does, and ROTATE_REFRESH_TOKEN is off"),
               glewlwyd: (.skip, .fail, "strict refuses the public client's refresh token on first use; lax honours it and refresh-token-one-use=never")),
    VerdictRow(id: "refresh.access-token-lifetime",
               dot: (.pass, .fail, "ACCESS_TOKEN_EXPIRE_SECONDS 300 in hardened, 36000 in permissive (policy 3600)"),
               glewlwyd: (.pass, .fail, "access-token-duration 300 in strict, 36000 in lax (policy 3600)")),
    VerdictRow(id: "refresh.revocation-effective",
               dot: (.pass, .pass, "revoke_token deletes the token in both modes"),
               glewlwyd: (.pass, .pass, "revocation disables the token in both modes")),
    // Secure Redirect URIs
] + redirectVariants.map { variant in
    let wildcard = ["subdomain", "wildcard-host"].contains(variant)
    return VerdictRow(id: "redirect-uri.unregistered[\(variant)]",
               dot: wildcard
                   ? (.pass, .fail, "permissive sets ALLOW_URI_WILDCARDS and registers https://*.public.client.test/cb beside the exact URI: any subdomain gets a code")
                   : (.pass, .pass, "redirect_to_uri_allowed compares scheme, netloc, path and query: a 400 page, no redirect, in both modes"),
               glewlwyd: (.pass, .pass, "redirect_uri compared as an exact string: 403, no redirect, in both modes"))
} + [
    VerdictRow(id: "redirect-uri.unregistered[host-case]",
               dot: (.fail, .fail, "DOT compares the lower-cased hostname: https://PUBLIC.CLIENT.TEST/cb gets a code, in both modes"),
               glewlwyd: (.pass, .pass, "redirect_uri compared as an exact string: 403, in both modes")),
    VerdictRow(id: "pkce.required-public",
               dot: (.pass, .fail, "PKCE_REQUIRED=True in hardened, False in permissive"),
               glewlwyd: (.pass, .fail, "pkce-required-public-client true in strict, false in lax")),
    VerdictRow(id: "redirect-uri.unknown-client",
               dot: (.pass, .pass, "an unknown client_id gets an error page, never a redirect"),
               glewlwyd: (.pass, .pass, "an unknown client_id gets 403, never a redirect")),
    VerdictRow(id: "redirect-uri.token-mismatch",
               dot: (.pass, .pass, "oauthlib compares the token request's redirect_uri with the code's"),
               glewlwyd: (.pass, .pass, "the code is bound to its redirect_uri")),
    VerdictRow(id: "pkce.plain-rejected",
               dot: (.pass, .fail, "COMPLIANT_BCP_RFC9700_PKCE_METHOD (S256 only) in hardened; plain accepted in permissive"),
               glewlwyd: (.pass, .fail, "pkce-method-plain-allowed false in strict, true in lax")),
    VerdictRow(id: "pkce.verifier-mismatch",
               dot: (.pass, .pass, "a wrong verifier gets invalid_grant in both modes"),
               glewlwyd: (.pass, .pass, "a wrong verifier gets invalid_code in both modes")),
    VerdictRow(id: "pkce.downgrade",
               dot: (.pass, .fail, "hardened refuses the challenge-less request (PKCE_REQUIRED); permissive ignores a verifier sent for a code without challenge"),
               glewlwyd: (.pass, .fail, "strict requires PKCE for public clients; lax ignores a verifier sent for a code without challenge")),
    VerdictRow(id: "code.replay-rejected",
               dot: (.pass, .pass, "a grant is deleted when redeemed"),
               glewlwyd: (.pass, .pass, "a code is disabled when redeemed")),
    VerdictRow(id: "code.replay-revokes-tokens",
               dot: (.fail, .fail, "DOT has no setting to revoke the first tokens on replay (RFC 6749 §4.1.2 SHOULD)"),
               glewlwyd: (.pass, .fail, "auth-type-code-revoke-replayed true in strict, false in lax")),
    VerdictRow(id: "authz.state-echoed",
               dot: (.pass, .pass, "state returned unchanged"),
               glewlwyd: (.pass, .pass, "state returned unchanged")),
    VerdictRow(id: "authz.iss-parameter[success]",
               dot: (.pass, .fail, "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS in hardened, off in permissive; policy.require_iss_parameter demands it"),
               glewlwyd: (.pass, .fail, "oauth-as-iss-id true in strict, false in lax; policy.require_iss_parameter demands it")),
    VerdictRow(id: "authz.iss-parameter[error-response]",
               dot: (.fail, .fail, "DOT adds iss to successful responses only, not to error redirects (RFC 9207 §2)"),
               glewlwyd: (.pass, .fail, "strict adds iss to every redirect, errors included; lax to none")),
    // Validate Trusted Applications Regularly
    VerdictRow(id: "client.disabled-rejected",
               dot: (.pass, .pass, "Application.is_usable() returns enabled: 400 page at authorize, 401 invalid_client at token"),
               glewlwyd: (.pass, .pass, "enabled=false: 403 at authorize and at token")),
    VerdictRow(id: "client.unknown-rejected",
               dot: (.pass, .pass, "an unknown client gets invalid_client"),
               glewlwyd: (.pass, .pass, "an unknown client gets 403")),
    // Avoid Token Reuse
    VerdictRow(id: "token-reuse.code-cross-client[victim-redirect-uri]",
               dot: (.pass, .pass, "a grant is bound to its application: invalid_grant for another client"),
               glewlwyd: (.pass, .pass, "a code is bound to its client: unauthorized_client")),
    VerdictRow(id: "token-reuse.code-cross-client[own-redirect-uri]",
               dot: (.pass, .pass, "a grant is bound to its application: invalid_grant for another client"),
               glewlwyd: (.pass, .pass, "a code is bound to its client and redirect_uri: invalid_code")),
    VerdictRow(id: "token-reuse.refresh-cross-client",
               dot: (.pass, .pass, "a refresh token is looked up with the authenticated client: invalid_grant"),
               glewlwyd: (.pass, .pass, "a refresh token is bound to its client: 400")),
    VerdictRow(id: "token-reuse.distinct-per-request",
               dot: (.pass, .pass, "each request generates a new random token"),
               glewlwyd: (.pass, .pass, "each request signs a new JWT")),
    VerdictRow(id: "token-reuse.revoke-cross-client",
               dot: (.pass, .pass, "revoke_token ignores a token of another application: it keeps working"),
               glewlwyd: (.pass, .pass, "a client may revoke only its own tokens: 200, and the token keeps working")),
    // The catalogue's second wave (issue 13)
    VerdictRow(id: "pages.session-cookie-flags",
               dot: (.pass, .fail, "hardened sets SESSION_COOKIE_SECURE, HTTPONLY and SAMESITE=Lax; permissive leaves SESSION_COOKIE_SECURE off behind its TLS front"),
               glewlwyd: (.fail, .fail, "the session cookie is set without HttpOnly and without SameSite in both modes (no setting for either)")),
    VerdictRow(id: "pages.no-307-after-login",
               dot: (.pass, .pass, "Django's LoginView answers the credentials with 302"),
               glewlwyd: (.pass, .pass, "the login API answers the credentials with 200 JSON")),
    VerdictRow(id: "pages.frame-protection",
               dot: (.pass, .pass, "XFrameOptionsMiddleware: X-Frame-Options DENY on the login and consent pages"),
               glewlwyd: (.pass, .pass, "login.html is served with X-Frame-Options deny; the signed-in browser sees no page")),
    VerdictRow(id: "pages.referrer-policy",
               dot: (.pass, .pass, "SECURE_REFERRER_POLICY no-referrer in hardened; Django's default same-origin in permissive"),
               glewlwyd: (.pass, .pass, "login.html is served with Referrer-Policy no-referrer")),
    VerdictRow(id: "pages.no-cors-authorize",
               dot: (.pass, .pass, "no CORS middleware"),
               glewlwyd: (.fail, .fail, "allow_origin is \"*\" by default: Access-Control-Allow-Origin on every answer, the authorization endpoint's included")),
    VerdictRow(id: "introspection.requires-auth[anonymous]",
               dot: (.pass, .pass, "the introspection view needs client credentials or an introspection-scoped token: 403"),
               glewlwyd: (.pass, .pass, "introspection takes HTTP Basic only: 401")),
    VerdictRow(id: "introspection.requires-auth[public-client]",
               dot: (.pass, .pass, "a client_id alone authenticates nobody there: 403"),
               glewlwyd: (.pass, .pass, "introspection takes HTTP Basic only: 401")),
    VerdictRow(id: "revocation.requires-auth",
               dot: (.pass, .pass, "revoke_token authenticates a confidential client: 401 invalid_client without or with a wrong secret"),
               glewlwyd: (.pass, .pass, "revocation takes HTTP Basic only: 401")),
    VerdictRow(id: "metadata.issuer-match",
               dot: (.pass, .fail, "hardened's OIDC_ISS_ENDPOINT is its https URL; permissive's metadata on :8403 names its pinned http issuer"),
               glewlwyd: (.pass, .pass, "the issuer is the metadata's own URL in both modes")),
    VerdictRow(id: "oidc.nonce-echoed",
               dot: (.pass, .pass, "the nonce is copied into the ID token"),
               glewlwyd: (.pass, .pass, "the nonce is copied into the ID token")),
    VerdictRow(id: "oidc.id-token-audience",
               dot: (.pass, .pass, "aud is the client_id alone"),
               glewlwyd: (.pass, .pass, "aud is the client_id alone")),
    VerdictRow(id: "pkce.verifier-length[short]",
               dot: (.fail, .fail, "oauthlib compares the S256 of whatever verifier comes: no length or character check (RFC 7636 §4.1)"),
               glewlwyd: (.pass, .pass, "a verifier outside 43-128 characters of the RFC 7636 set is refused")),
    VerdictRow(id: "pkce.verifier-length[outside-charset]",
               dot: (.fail, .fail, "oauthlib compares the S256 of whatever verifier comes: no length or character check (RFC 7636 §4.1)"),
               glewlwyd: (.pass, .pass, "a verifier outside 43-128 characters of the RFC 7636 set is refused")),
    VerdictRow(id: "pkce.verifier-length[too-long]",
               dot: (.fail, .fail, "oauthlib compares the S256 of whatever verifier comes: no length or character check (RFC 7636 §4.1)"),
               glewlwyd: (.pass, .pass, "a verifier outside 43-128 characters of the RFC 7636 set is refused")),
    VerdictRow(id: "code.lifetime",
               dot: (.skip, .skip, "opt-in slow, which the reference targets leave off (the mutant server shows it)"),
               glewlwyd: (.skip, .skip, "opt-in slow, which the reference targets leave off")),
    VerdictRow(id: "token-reuse.id-token-as-access-token[resource]",
               dot: (.fail, .fail, "/api/me accepts the ID token as a bearer token (see Tests/Servers/dot/README.md)"),
               glewlwyd: (.pass, .pass, "userinfo (the resource) refuses an ID token: 401")),
    VerdictRow(id: "token-reuse.id-token-as-access-token[userinfo]",
               dot: (.pass, .pass, "DOT's userinfo looks the token up among access tokens"),
               glewlwyd: (.skip, .skip, "the resource is the userinfo endpoint, which the resource variant checks")),
    VerdictRow(id: "token.audience-restricted",
               dot: (.skip, .skip, "the reference targets name no second API (resource_b); the mutant server shows it"),
               glewlwyd: (.skip, .skip, "the reference targets name no second API (resource_b)")),
    VerdictRow(id: "flows.tokens-not-in-query[token]",
               dot: (.pass, .pass, "the public client may use no response type that returns tokens: unauthorized_client"),
               glewlwyd: (.pass, .fail, "strict refuses the response type; lax honours response_mode=query and puts the tokens in the query")),
    VerdictRow(id: "flows.tokens-not-in-query[id-token-token]",
               dot: (.pass, .pass, "the public client may use no response type that returns tokens: unauthorized_client"),
               glewlwyd: (.pass, .fail, "strict refuses the response type; lax honours response_mode=query and puts the tokens in the query")),
    VerdictRow(id: "flows.tokens-not-in-query[code-id-token]",
               dot: (.pass, .pass, "the public client may use no response type that returns tokens: unauthorized_client"),
               glewlwyd: (.pass, .fail, "strict refuses the response type; lax honours response_mode=query and puts the tokens in the query")),
    VerdictRow(id: "flows.tokens-not-in-query[code-token]",
               dot: (.pass, .pass, "the public client may use no response type that returns tokens: unauthorized_client"),
               glewlwyd: (.pass, .fail, "strict refuses the response type; lax honours response_mode=query and puts the tokens in the query")),
    VerdictRow(id: "oidc.c-hash[code-id-token]",
               dot: (.skip, .skip, "the public client may use no hybrid or implicit response type: no ID token in the front channel"),
               glewlwyd: (.skip, .pass, "strict refuses the response type; lax issues the ID token with a correct c_hash")),
    VerdictRow(id: "oidc.c-hash[code-id-token-token]",
               dot: (.skip, .skip, "the public client may use no hybrid or implicit response type: no ID token in the front channel"),
               glewlwyd: (.skip, .pass, "strict refuses the response type; lax issues the ID token with a correct c_hash")),
    VerdictRow(id: "oidc.at-hash[code-id-token-token]",
               dot: (.skip, .skip, "the public client may use no hybrid or implicit response type: no ID token in the front channel"),
               glewlwyd: (.skip, .pass, "strict refuses the response type; lax issues the ID token with a correct at_hash")),
    VerdictRow(id: "oidc.at-hash[id-token-token]",
               dot: (.skip, .skip, "the public client may use no hybrid or implicit response type: no ID token in the front channel"),
               glewlwyd: (.skip, .pass, "strict refuses the response type; lax issues the ID token with a correct at_hash")),
    // Pushed authorization requests and DPoP: features neither reference server offers as configured
    VerdictRow(id: "par.request-uri-single-use",
               dot: (.skip, .skip, "DOT 3.4.1 has no PAR endpoint (the mutant server adds one)"),
               glewlwyd: (.skip, .skip, "provision.py leaves oauth-par-allowed off: metadata names no PAR endpoint")),
    VerdictRow(id: "par.request-uri-client-bound",
               dot: (.skip, .skip, "DOT 3.4.1 has no PAR endpoint (the mutant server adds one)"),
               glewlwyd: (.skip, .skip, "provision.py leaves oauth-par-allowed off: metadata names no PAR endpoint")),
    VerdictRow(id: "par.required-enforced",
               dot: (.skip, .skip, "DOT 3.4.1 has no PAR endpoint (the mutant server adds one)"),
               glewlwyd: (.skip, .skip, "provision.py leaves oauth-par-allowed off: metadata names no PAR endpoint")),
    VerdictRow(id: "dpop.bound-token-not-bearer",
               dot: (.skip, .skip, "DOT 3.4.1 has no DPoP (the mutant server adds it): metadata lists no dpop_signing_alg_values_supported"),
               glewlwyd: (.skip, .skip, "provision.py leaves oauth-dpop-allowed off: metadata lists no dpop_signing_alg_values_supported")),
    VerdictRow(id: "dpop.proof-replay-rejected",
               dot: (.skip, .skip, "DOT 3.4.1 has no DPoP (the mutant server adds it): metadata lists no dpop_signing_alg_values_supported"),
               glewlwyd: (.skip, .skip, "provision.py leaves oauth-dpop-allowed off: metadata lists no dpop_signing_alg_values_supported")),
    VerdictRow(id: "dpop.proof-htu-htm-checked[htu]",
               dot: (.skip, .skip, "DOT 3.4.1 has no DPoP (the mutant server adds it): metadata lists no dpop_signing_alg_values_supported"),
               glewlwyd: (.skip, .skip, "provision.py leaves oauth-dpop-allowed off: metadata lists no dpop_signing_alg_values_supported")),
    VerdictRow(id: "dpop.proof-htu-htm-checked[htm]",
               dot: (.skip, .skip, "DOT 3.4.1 has no DPoP (the mutant server adds it): metadata lists no dpop_signing_alg_values_supported"),
               glewlwyd: (.skip, .skip, "provision.py leaves oauth-dpop-allowed off: metadata lists no dpop_signing_alg_values_supported")),
]

let expectedVerdicts = verdictRows.flatMap(\.expectations)

@Suite("Verdicts on the live reference servers", .enabled(if: ReferenceServers.enabled, "set OAUTHPROBE_REFERENCE_SERVERS=1 (scripts/test does)"),
       .serialized)
struct ReferenceServerTests {
    @Test("every probe variant has the verdict its server's settings cause", arguments: expectedVerdicts)
    func verdict(_ expected: ExpectedVerdict) async throws {
        let results = await ReferenceServers.results
        let result = try #require(results.first { $0.target == expected.target && $0.displayID == expected.id })
        #expect(result.verdict == expected.verdict, "\(expected.because) — got: \(result.message)")
    }

    @Test("the table covers every result, and the modes differ where their settings differ")
    func coverage() async {
        let results = await ReferenceServers.results
        #expect(results.count == expectedVerdicts.count)
        let expectedIDs = Set(expectedVerdicts.map { "\($0.target) \($0.id)" })
        let missing = results.map { "\($0.target) \($0.displayID)" }.filter { !expectedIDs.contains($0) }
        #expect(missing.isEmpty, "results without an expected verdict: \(missing)")
        for (strict, lax) in [("dot-hardened", "dot-permissive"), ("glewlwyd-strict", "glewlwyd-lax")] {
            for id in ["pkce.required-public", "refresh.public-client-denied"] {
                let verdicts = results.filter { $0.displayID == id && [strict, lax].contains($0.target) }.map(\.verdict)
                #expect(Set(verdicts).count == 2, "\(id) must differ between \(strict) and \(lax)")
            }
        }
        #expect(!results.contains { $0.verdict == .error }, "\(results.filter { $0.verdict == .error }.map { "\($0.target) \($0.displayID): \($0.message)" })")
        // A skip names why the probe does not apply to this server.
        for result in results where result.verdict == .skip {
            let named = ["not applicable: ", "the target has no ", "opt-in probe: "].contains { result.message.hasPrefix($0) }
            #expect(named, "\(result.target) \(result.displayID): \(result.message)")
        }
    }
}
