import Foundation

/// Sign-in by declared HTTP calls (`login.strategy: steps`) or by a supplied session cookie
/// (`cookie`), for servers whose login page is a script or needs a second factor. Runs in the
/// browser's cookie jar, so the session it creates is the one the authorization request uses.
struct DeclaredSignIn {
    typealias Send = @Sendable (HTTPRequest) async throws -> HTTPResponse

    var login: LoginSettings
    var user: UserCredentials?
    var issuer: String

    /// The values login templates may use, for one authorization request.
    func values(clientID: String, scope: String?, redirectURI: String) -> [String: String] {
        var values = ["client_id": clientID, "scope": scope ?? "", "redirect_uri": redirectURI, "issuer": issuer]
        if let user {
            values["user.username"] = user.username
            values["user.password"] = user.password.value
        }
        return values
    }

    /// The sign-in calls, once per browser session. What the server answered to the call that
    /// carried the user's credentials (the last one, if none visibly did) is the record.
    @discardableResult
    func signIn(values: [String: String], send: Send) async throws -> SignInRecord? {
        let answers = try await perform(login.signIn, kind: "sign-in", values: values, send: send)
        guard let last = answers.last(where: { !$0.request.credentials.isEmpty }) ?? answers.last else { return nil }
        return SignInRecord(url: last.request.url, status: last.response.status, location: last.response.header("Location"),
                            cookies: answers.flatMap { $0.response.headers(named: "Set-Cookie").compactMap(SetCookie.init(header:)) })
    }

    /// The consent calls, before each authorization request.
    func consent(values: [String: String], send: Send) async throws {
        try await perform(login.consent, kind: "consent", values: values, send: send)
    }

    @discardableResult
    private func perform(_ requests: [LoginRequest], kind: String, values: [String: String],
                         send: Send) async throws -> [(request: HTTPRequest, response: HTTPResponse)] {
        var answers: [(request: HTTPRequest, response: HTTPResponse)] = []
        for (index, declared) in requests.enumerated() {
            var secrets: [String] = []
            var request = HTTPRequest(
                method: declared.method,
                url: try Self.render(declared.url, values, secrets: &secrets),
                headers: try declared.headers.map { HTTPHeader(name: $0.name, value: try Self.render($0.value, values, secrets: &secrets)) },
                body: try declared.body.map { Data(try Self.render($0, values, secrets: &secrets).utf8) })
            request.credentials = secrets
            let response = try await send(request)
            answers.append((request, response))
            let accepted = declared.expectStatus.isEmpty ? (200..<300).contains(response.status) : declared.expectStatus.contains(response.status)
            guard accepted else {
                let expected = declared.expectStatus.isEmpty ? "2xx" : declared.expectStatus.map(String.init).joined(separator: " or ")
                throw ProbeError("\(kind) call \(index + 1) (\(declared.method) \(request.url), \(declared.location)) answered \(response.status), expected \(expected)")
            }
        }
        return answers
    }

    static func render(_ template: Template, _ values: [String: String]) throws -> String {
        var secrets: [String] = []
        return try render(template, values, secrets: &secrets)
    }

    /// Values that are secrets, as `secrets` collects them once filters have run: a password
    /// sent as `{{user.password | upper | base64}}` is that rendering, not the password itself.
    static let secretValues: Set<String> = ["user.password", "user.totp"]

    static func render(_ template: Template, _ values: [String: String], secrets: inout [String]) throws -> String {
        try template.pieces.map { piece in
            switch piece {
            case .text(let text): return text
            case .reference(let reference):
                let name = reference.path.joined(separator: ".")
                guard let value = values[name] else {
                    throw ProbeError("{{\(reference)}} has no value (\(template.location))")
                }
                let rendered = try reference.filters.reduce(value) { try TemplateContext.apply($1, to: $0) }
                if Self.secretValues.contains(name) { secrets.append(rendered) }
                return rendered
            }
        }.joined()
    }
}
