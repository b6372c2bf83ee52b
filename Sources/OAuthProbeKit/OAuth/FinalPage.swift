import Foundation

/// The page an authorization request ended on, when the server sent the browser nowhere, and
/// what it means. Servers refuse with a page as often as with a redirect (RFC 6749 §4.1.2.1):
/// a 400 page (Keycloak, Okta, Spring), a 200 page on the authorization URL (Entra ID, Auth0),
/// a 200 page they redirect to (Duende's `/home/error`). Pages also come from what sits in
/// front of a server (a WAF's 403, a rate limiter's 429) and from a lost session (the login form
/// again, 401 included): those are no refusal.
enum FinalPage: Equatable {
    /// A link, form, meta refresh or script of the page leads the browser on to the redirect
    /// URI that was sent: the page delivers the browser there as surely as a redirect.
    case leadsOn(to: String, by: String)
    /// The login form: the browser has no session (it lost it, or never had one).
    case signIn
    /// A consent page the flow did not answer.
    case consent
    /// A status that a WAF, rate limiter, bot protection or proxy answers with, with a page of
    /// its own: not the server's OAuth answer to the request.
    case blocked(Int)
    /// A 4xx error page, or a bare 400, 401 or 403 with no page (Glewlwyd): the server's refusal.
    case errorPage
    /// Any other page, such as a 200 error page: a refusal when a control of the same probe
    /// showed the client and the sign-in work.
    case otherPage

    /// Statuses infrastructure answers with on its own: authentication and proxy challenges,
    /// WAF and bot blocks, rate limits, and the inconclusive ones of a token answer.
    static let blockingStatuses = StepOutcome.inconclusiveStatuses.union([401, 403, 407, 451])

    /// `page` is nil when the answer had no HTML body.
    static func classify(status: Int, page: HTMLPage?, pageURL: String?, kind: SeenPage.Kind?,
                         sentRedirectURI: String, registeredRedirectURI: String?) -> FinalPage {
        if let page, let pageURL, sentRedirectURI != registeredRedirectURI,
           let (destination, means) = leadsOn(page, at: pageURL, to: sentRedirectURI) {
            return .leadsOn(to: destination, by: means)
        }
        if kind == .login { return .signIn }
        if let page, FormSignIn.consent(in: page.forms) != nil { return .consent }
        // A bare refusal has no page; what stands in front of a server shows one.
        if page == nil, [400, 401, 403].contains(status) { return .errorPage }
        if status >= 500 || blockingStatuses.contains(status) { return .blocked(status) }
        if (400..<500).contains(status) { return .errorPage }
        return .otherPage
    }

    /// Where on the page a way on to `uri` is, if there is one: a link, a form's action or a
    /// meta refresh that resolves to it (compared as written, or by scheme, authority and path),
    /// or a script that names it (also with JSON's escaped slashes).
    static func leadsOn(_ page: HTMLPage, at pageURL: String, to uri: String) -> (String, String)? {
        let candidates = page.links.map { ($0, "a link") } + page.forms.map { ($0.action, "a form's action") }
            + page.refreshes.compactMap(HTMLPage.refreshTarget).map { ($0, "a meta refresh") }
        let base = URLParts(uri)?.base
        for (reference, means) in candidates where !reference.isEmpty {
            let destination = URLReference.resolve(reference, against: pageURL)
            if destination.hasPrefix(uri) || (base != nil && URLParts(destination)?.base == base) { return (destination, means) }
        }
        let escaped = uri.replacingOccurrences(of: "/", with: "\\/")
        if page.scripts.contains(where: { $0.contains(uri) || $0.contains(escaped) }) { return (uri, "a script") }
        return nil
    }
}
