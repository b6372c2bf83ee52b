import Foundation

/// Drives an authorization request the way a browser would, with no human: follows redirects
/// only while they stay on the identity server, signs in through its login form, approves its
/// consent form, and stops the moment the server sends the browser anywhere else. That place is
/// never fetched: only where the server pointed is recorded.
struct BrowserFlow {
    typealias Send = @Sendable (HTTPRequest) async throws -> HTTPResponse

    /// How the flow ended.
    enum End: Sendable {
        /// The server sent the browser off the identity server, to this URL.
        case leftServer(String)
        /// The server answered a page that posts an authorization response off the identity
        /// server (`response_mode=form_post`): where it posts, and what.
        case posted(action: String, fields: [(name: String, value: String)])
        /// The server answered a page and sent the browser nowhere (an error page, usually).
        case stayed(status: Int, title: String?)
    }

    struct Outcome: Sendable {
        var end: End
        var signedIn: Bool
        var consented: Bool
        /// The HTML pages the server showed on the way, in order.
        var pages: [SeenPage] = []
        /// How the server answered the login form, when this flow signed in.
        var signIn: SignInRecord?
        /// The page the browser stayed on (nil when the answer had no HTML body), and its URL.
        var finalPage: HTMLPage?
        var finalURL: String?
    }

    var strategy: LoginStrategy
    var user: UserCredentials?
    var send: Send
    /// The target's names for the sign-in fields, where recognition would guess wrong.
    var fieldNames = SignInFieldNames()
    /// A fresh one-time code of the user's TOTP, never one already sent (`TargetSession`).
    var oneTimeCode: (@Sendable () async throws -> String)?
    /// False for a signed-out browser: it stops at the login form, which then ends the flow.
    var signsIn = true
    static let maximumHops = 20
    static let userAgent = "oauthprobe/0.1"

    func run(from start: String) async throws -> Outcome {
        guard let server = URLParts(start) else { throw ProbeError("authorization URL is not absolute: \(start)") }
        var request = Self.get(start)
        var signedIn = false
        var consented = false
        var pages: [SeenPage] = []
        var signIn: SignInRecord?
        var credentialsSent = false
        // What the sign-in pages were given so far: a page that asks it again refused it.
        var given: Set<String> = []
        func outcome(_ end: End) -> Outcome {
            Outcome(end: end, signedIn: signedIn, consented: consented, pages: pages, signIn: signIn)
        }
        for _ in 0..<Self.maximumHops {
            let response = try await send(request)
            let setCookies = response.headers(named: "Set-Cookie").compactMap(SetCookie.init(header:))
            if credentialsSent {
                credentialsSent = false
                if signIn == nil || [307, 308].contains(response.status) {
                    // The answer to the password, or to a later page's code if that one posts them on.
                    signIn = SignInRecord(url: request.url, status: response.status, location: response.header("Location"),
                                          cookies: (signIn?.cookies ?? []) + setCookies)
                } else {
                    signIn?.add(setCookies)
                }
            } else {
                // The session cookie may come on any hop after the credentials (Keycloak's does).
                signIn?.add(setCookies)
            }
            if (300..<400).contains(response.status), let location = response.header("Location") {
                let next = URLReference.resolve(location, against: request.url)
                guard let parts = URLParts(next), parts.isSameOrigin(as: server) else {
                    return outcome(.leftServer(next))
                }
                request = Self.get(next, referer: request.url)
                continue
            }
            let isHTML = Self.isHTML(response)
            let page = isHTML ? HTMLFormParser.parse(response.body) : HTMLPage(title: nil, forms: [])
            let forms = page.forms
            let login = FormSignIn.signInForm(in: forms, names: fieldNames)
            let consent = consented ? nil : FormSignIn.consent(in: forms)
            if isHTML, !response.body.isEmpty {
                pages.append(SeenPage(url: request.url, response: response, kind: login != nil ? .login : consent != nil ? .consent : .page,
                                      metaReferrer: page.referrer))
            }
            func stayed() -> Outcome {
                var result = outcome(.stayed(status: response.status, title: page.title))
                result.finalPage = isHTML && !response.body.isEmpty ? page : nil
                result.finalURL = request.url
                return result
            }
            if let login {
                guard signsIn else { return stayed() }
                guard strategy == .form else {
                    throw ProbeError("sign-in (\(strategy.rawValue)) did not give the browser a session: the server shows its login form")
                }
                request = try await signingIn(login, page: request.url, given: &given)
                if login.password != nil || login.oneTimeCode != nil {
                    signedIn = true
                    credentialsSent = true
                }
                continue
            }
            // A browser with no session is shown a sign-in: a form there that asks nothing known is
            // a sign-in page this strategy cannot follow (a changed page, a captcha, a widget).
            if signsIn, strategy == .form, !signedIn, (200..<300).contains(response.status),
               let unknown = forms.first(where: { !$0.fields.filter(\.isVisibleInput).isEmpty }) {
                let after = given.isEmpty ? "" : " after the \(given.sorted().joined(separator: " and ")) was sent"
                throw ProbeError("sign-in: the page \(request.url) (\(page.title ?? "no title")) shows a form the form strategy does not understand "
                    + "(fields: \(unknown.fields.filter(\.isVisibleInput).map(\.name).joined(separator: ", ")))\(after): no user name, password "
                    + "or one-time code field it recognises; name them in login.fields, or sign in with login.strategy steps")
            }
            if let consent {
                try Self.checkStaysOnServer(consent.form, "consent", page: request.url)
                request = Self.submit(consent.form, fields: consent.form.submission(pressing: consent.button).map { ($0.name, $0.value) },
                                      page: request.url)
                consented = true
                continue
            }
            if let delivery = Self.responsePost(in: forms, page: request.url, server: server) {
                return outcome(delivery)
            }
            return stayed()
        }
        throw ProbeError("more than \(Self.maximumHops) redirects inside the identity server")
    }

    /// The submission of one sign-in page: the user name, password and one-time code it asks.
    /// A page that asks again what it was given refused it; a code is made when the page asks.
    private func signingIn(_ login: SignInForm, page: String, given: inout Set<String>) async throws -> HTTPRequest {
        let asked = Set([login.username.map { _ in "user name" }, login.password.map { _ in "password" },
                         login.oneTimeCode.map { _ in "one-time code" }].compactMap { $0 })
        if let again = ["one-time code", "password", "user name"].first(where: { asked.contains($0) && given.contains($0) }) {
            let why = again == "one-time code" ? "a wrong user.totp secret, or this machine's clock?" : "wrong user or password?"
            throw ProbeError("sign-in failed: the page asking for the \(login.asks) (\(page)) came back after the \(again) was sent (\(why))")
        }
        guard let user else { throw ProbeError("sign-in needed but the target has no user") }
        try Self.checkStaysOnServer(login.form, "login", page: page)
        var code: String?
        if login.oneTimeCode != nil {
            guard let oneTimeCode, user.totp != nil else {
                throw ProbeError("sign-in: the page \(page) asks for a one-time code, and the target's user has no totp "
                    + "(user.totp: \"${env:NAME}\", the base32 secret of the user's authenticator)")
            }
            code = try await oneTimeCode()
        }
        given.formUnion(asked)
        return Self.submit(login.form, fields: login.filled(username: user.username, password: user.password.value, code: code),
                           page: page, credentials: code.map { [$0] } ?? [])
    }

    /// A form that carries an authorization response (code, tokens, error, state) to another
    /// origin: the page delivers the response by posting it there, so the browser is sent off.
    static func responsePost(in forms: [HTMLForm], page: String, server: URLParts) -> End? {
        let responseFields: Set<String> = ["code", "access_token", "id_token", "error", "state"]
        for form in forms {
            let action = URLReference.resolve(form.action, against: page)
            guard let target = URLParts(action), !target.isSameOrigin(as: server) else { continue }
            let fields = form.submission()
            if fields.contains(where: { responseFields.contains($0.name) }) { return .posted(action: action, fields: fields) }
        }
        return nil
    }

    static func get(_ url: String, referer: String? = nil) -> HTTPRequest {
        var headers = [HTTPHeader(name: "Accept", value: "text/html"), HTTPHeader(name: "User-Agent", value: userAgent)]
        if let referer { headers.append(HTTPHeader(name: "Referer", value: referer)) }
        return HTTPRequest(method: "GET", url: url, headers: headers, body: nil)
    }

    /// A form is submitted only to the origin of its page: the password, the session cookie and
    /// the answer that decides the verdict all stay with the identity server.
    static func checkStaysOnServer(_ form: HTMLForm, _ kind: String, page: String) throws {
        let action = URLReference.resolve(form.action, against: page)
        let there = Origin(action)
        guard let there, there == Origin(page) else {
            throw ProbeError("the \(kind) form posts to another origin, \(there.map { "\($0)" } ?? action), "
                + "not the identity server's: it was not submitted")
        }
    }

    /// A form submission with the headers a browser sends (servers check Origin and Referer
    /// against CSRF).
    static func submit(_ form: HTMLForm, fields: [(String, String)], page: String, credentials: [String] = []) -> HTTPRequest {
        let action = URLReference.resolve(form.action, against: page)
        let encoded = FormEncoding.encode(fields)
        var headers = [HTTPHeader(name: "Accept", value: "text/html"), HTTPHeader(name: "User-Agent", value: userAgent),
                       HTTPHeader(name: "Referer", value: page)]
        if let origin = URLParts(page)?.origin { headers.append(HTTPHeader(name: "Origin", value: origin)) }
        var request: HTTPRequest
        if form.method.lowercased() == "get" {
            // A browser replaces the action's query with the form's fields.
            let base = action.split(separator: "?", maxSplits: 1).first.map(String.init) ?? action
            request = HTTPRequest(method: "GET", url: "\(base)?\(encoded)", headers: headers, body: nil)
        } else {
            headers.append(HTTPHeader(name: "Content-Type", value: "application/x-www-form-urlencoded"))
            request = HTTPRequest(method: "POST", url: action, headers: headers, body: Data(encoded.utf8))
        }
        request.credentials = credentials
        return request
    }

    static func isHTML(_ response: HTTPResponse) -> Bool {
        (response.header("Content-Type") ?? "text/html").lowercased().contains("html")
    }
}

extension BrowserFlow.Outcome {
    /// The browser was shown a sign-in instead of an answer: the login form (with any status:
    /// some servers answer it 401), a sign-in request to another identity provider, or, where
    /// the login page is a script (`steps`, `cookie`), any page that is no error.
    func asksToSignIn(strategy: LoginStrategy) -> Bool {
        switch end {
        case .stayed(let status, _):
            return pages.last?.kind == .login || (strategy != .form && (200..<300).contains(status))
        case .leftServer(let location):
            return Destination.isSignInRequest(URLParts(location)?.parameters ?? [])
        case .posted(_, let fields):
            return Destination.isSignInRequest(fields)
        }
    }
}
