import Foundation

/// Who sends a request. Each has its own HTTP agent, and so its own cookie jar: the browser's
/// session never leaks into a client's back-channel call, nor one client's into another's.
enum Actor: Hashable, Sendable {
    /// The browser with the target's shared signed-in session.
    case browser
    /// A browser of its own that never signs in: how the server treats a signed-out user.
    case signedOutBrowser
    case client(ClientRole)
    /// The resource server caller and raw HTTP steps.
    case caller
    /// A browser holding the shared session's cookies but the one named (`SessionCookieTrial`).
    case trialBrowser(without: String)
}

/// Everything one probe run shares across its steps: agents, the redactor and the evidence;
/// and, through `shared`, what all probes of the target share.
final class ProbeSession: @unchecked Sendable {
    let target: Target
    let endpoints: EndpointMap
    let redactor: Redactor
    let shared: TargetSession
    /// The probe's DPoP key (RFC 9449): one fresh P-256 key per probe run.
    let dpop = DPoPKey()
    private let settings: TransportSettings
    private let lock = NSLock()
    private var agents: [Actor: HTTPAgent] = [:]
    private var exchanges: [RecordedExchange] = []
    private var browserHasSession = false

    init(shared: TargetSession, settings: TransportSettings) {
        self.target = shared.target
        self.endpoints = shared.endpoints
        self.shared = shared
        self.settings = settings
        self.redactor = Redactor(copying: shared.redactor)
    }

    var evidence: [RecordedExchange] { lock.withLock { exchanges } }

    /// The exchanges recorded since `start` (an index into the evidence), for a shared step.
    func evidence(since start: Int) -> [RecordedExchange] { lock.withLock { Array(exchanges[min(start, exchanges.count)...]) } }

    /// Takes in a step another probe sent: its secrets, so this probe's reports redact them, and
    /// its exchanges, as this step's evidence.
    func adopt(_ shared: TargetSession.SharedOutcome, step: String) {
        shared.secrets.forEach(redactor.remember)
        lock.withLock {
            exchanges += shared.exchanges.map { exchange in
                var exchange = exchange
                exchange.step = step
                return exchange
            }
        }
    }

    /// Runs an authorization flow in the browser with the target's signed-in session (see
    /// `TargetSession.inSignedInBrowser`).
    func inSignedInBrowser<T: Sendable>(_ flow: (_ hasSession: Bool) async throws -> TargetSession.FlowResult<T>) async throws -> T {
        let browser = try agent(for: .browser)
        let seeded = lock.withLock { browserHasSession }
        let value = try await shared.inSignedInBrowser(browser, seeded: seeded, flow)
        lock.withLock { browserHasSession = true }
        return value
    }

    /// A browser of its own with these cookies (Netscape lines) in its jar.
    func trialBrowser(holding cookies: [String], without name: String) throws -> Actor {
        let actor = Actor.trialBrowser(without: name)
        try agent(for: actor).importCookies(cookies)
        return actor
    }

    /// Puts a cookie in the browser's jar (a session supplied by the user).
    func addBrowserCookie(name: String, value: String, domain: String) throws {
        try agent(for: .browser).addCookie(name: name, value: value, domain: domain)
    }

    /// Longest Retry-After honoured, and how often: a server that keeps asking for patience gets
    /// its answer recorded instead.
    static let longestRetryAfter = 30
    static let rateLimitResends = 2

    /// Sends one request as the actor and records it, redacted. A request that carries a
    /// credential goes only to an origin the target trusts, and never over plain http to a host
    /// that is not loopback, whatever the target allows.
    func send(_ request: HTTPRequest, as actor: Actor, step: String) async throws -> HTTPResponse {
        request.credentials.forEach(redactor.remember)
        let agent = try self.agent(for: actor)
        try await guardCredentials(of: request, from: agent)
        var resends = 0
        while true {
            // A probe the run stopped (its deadline passed) sends nothing more.
            if Task.isCancelled { throw ProbeError("stopped before \(request.method) \(redactor.redact(request.url))") }
            if let refusal = shared.breaker.refusal(for: request.url) { throw ProbeError(redactor.redact(refusal)) }
            await shared.pace()
            let started = ContinuousClock.now
            let response: HTTPResponse
            do {
                response = try await agent.send(request)
            } catch {
                count(request, elapsed: ContinuousClock.now - started)
                record(request, failure: error.description, step: step, actor: actor, elapsed: ContinuousClock.now - started)
                EndpointBreaker.Failure(error).map { shared.breaker.recordFailure($0, at: request.url) }
                throw ProbeError("\(request.method) \(redactor.redact(request.url)): \(error)", transient: error != .cancelled)
            }
            count(request, elapsed: ContinuousClock.now - started)
            learnSecrets(from: response)
            record(request, response: response, step: step, actor: actor, elapsed: ContinuousClock.now - started)
            // 429 and 503 with Retry-After: the request was not processed; send it again when asked.
            guard [429, 503].contains(response.status), resends < Self.rateLimitResends,
                  let seconds = response.header("Retry-After").flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
                  (0...Self.longestRetryAfter).contains(seconds) else {
                shared.breaker.record(status: response.status, at: request.url)
                return response
            }
            shared.count { $0.rateLimited += 1 }
            resends += 1
            try? await Task.sleep(for: .seconds(seconds))
        }
    }

    private func count(_ request: HTTPRequest, elapsed: Duration) {
        let isToken = endpoints.url(.token).map { request.url.hasPrefix($0) } ?? false
        shared.count {
            $0.requests += 1
            if isToken { $0.tokenRequests += 1 }
            $0.secondsWaiting += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
    }

    private func guardCredentials(of request: HTTPRequest, from agent: HTTPAgent) async throws {
        // A URL neither can read is refused by the wire before anything is sent.
        guard let parts = URLParts(request.url) else { return }
        let origin = Origin(parts)
        let plaintextToRemote = parts.scheme.lowercased() == "http" && !parts.isLoopback
        let trusted = origin.map(endpoints.trustedOrigins.contains) ?? false
        guard plaintextToRemote || !trusted, let credential = await credential(in: request, from: agent) else { return }
        if plaintextToRemote {
            throw ProbeError("refused to send \(credential) over plain http to \(parts.host)")
        }
        throw ProbeError("refused to send \(credential) to \(origin.map(String.init(describing:)) ?? parts.origin): "
            + "neither the issuer's origin nor one the target file names")
    }

    /// What in the request is a credential, in words that show no value; nil when nothing is.
    private func credential(in request: HTTPRequest, from agent: HTTPAgent) async -> String? {
        if let header = request.headers.first(where: { Self.credentialHeaders.contains($0.name.lowercased()) }) {
            return "the \(header.name) header"
        }
        if !request.credentials.isEmpty || redactor.containsSecret(request.url) { return "a secret" }
        if let header = request.headers.first(where: { redactor.containsSecret($0.value) }) {
            return "a secret in the \(header.name) header"
        }
        if let body = request.body, redactor.containsSecret(String(decoding: body, as: UTF8.self)) { return "a secret in the body" }
        let cookies = await agent.cookieNames(sentTo: request.url)
        if !cookies.isEmpty { return "the cookie\(cookies.count == 1 ? "" : "s") \(cookies.joined(separator: ", ")) of the session" }
        return nil
    }

    static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie"]

    private func agent(for actor: Actor) throws -> HTTPAgent {
        try lock.withLock {
            if let agent = agents[actor] { return agent }
            let agent = try HTTPAgent(settings: settings)
            agents[actor] = agent
            return agent
        }
    }

    /// Codes and tokens become secrets the moment the server hands them out; so do cookies,
    /// and the CSRF tokens of its forms, which mirror a cookie (Django's csrfmiddlewaretoken).
    private func learnSecrets(from response: HTTPResponse) {
        if let document = JSONValue.parse(response.body) {
            for key in Self.secretFields { document[key]?.stringValue.map(redactor.remember) }
        }
        if let location = response.header("Location"), let parts = URLParts(location) {
            for (name, value) in parts.parameters where Self.secretFields.contains(name) { redactor.remember(value) }
        }
        for cookie in response.headers(named: "Set-Cookie") {
            let pair = cookie.prefix { $0 != ";" }.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { redactor.remember(String(pair[1])) }
        }
        for header in response.headers where Self.isAntiForgery(header.name) { redactor.remember(header.value) }
        if BrowserFlow.isHTML(response), Self.mentionsAntiForgery(response.body) {
            for field in HTMLFormParser.parse(response.body).forms.flatMap(\.fields) where Self.isAntiForgery(field.name) {
                redactor.remember(field.value)
            }
        }
    }

    static let secretFields: Set<String> = ["access_token", "refresh_token", "id_token", "code", "device_code", "request_uri"]

    /// Whether a page names an anti-forgery token at all (ASCII, any case): only then are its
    /// forms read for one.
    static func mentionsAntiForgery(_ body: Data) -> Bool {
        let lowered = body.map { (65...90).contains($0) ? $0 | 0x20 : $0 }
        return ["csrf", "xsrf", "authenticity_token", "requestverificationtoken"].contains { needle in
            lowered.firstRange(of: Array(needle.utf8)) != nil
        }
    }

    /// Names of anti-forgery tokens in forms and headers: csrfmiddlewaretoken, X-CSRFToken, _csrf,
    /// X-XSRF-TOKEN, Rails' authenticity_token, ASP.NET's __RequestVerificationToken.
    static func isAntiForgery(_ name: String) -> Bool {
        let name = name.lowercased()
        return name.contains("csrf") || name.contains("xsrf") || name == "authenticity_token" || name == "__requestverificationtoken"
    }

    /// Evidence keeps the start of a page: enough to see what the server said.
    static let bodyLimit = 2_048

    private func record(_ request: HTTPRequest, response: HTTPResponse? = nil, failure: String? = nil, step: String, actor: Actor, elapsed: Duration) {
        // Headers first: the credentials and cookies they carry are then known to the rest.
        let requestHeaders = (request.headers + Self.jarCookies(sent: response?.sentHeaders ?? [], given: request.headers))
            .map { redactor.redactHeader(name: $0.name, value: $0.value) }
        let responseHeaders = response?.headers.map { redactor.redactHeader(name: $0.name, value: $0.value) } ?? []
        let requestBody = request.body.flatMap { String(data: $0, encoding: .utf8) }
        // Redacted before it is cut, so the cut cannot leave the first characters of a secret.
        let responseBody = response.map { response in
            let (text, cut) = redactor.redact(response.text, keepingAtMost: Self.bodyLimit)
            return cut ? text + " …(\(response.body.count) bytes)" : text
        }
        var exchange = RecordedExchange(
            step: step,
            method: request.method,
            url: redactor.redact(request.url),
            requestHeaders: requestHeaders,
            requestBody: requestBody.map(redactor.redact),
            status: response?.status,
            responseHeaders: responseHeaders,
            responseBody: responseBody,
            milliseconds: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
            transportError: failure.map(redactor.redact)
        )
        exchange.caFile = target.caFile
        annotate(&exchange, request: request, actor: actor)
        lock.withLock { exchanges.append(exchange) }
    }

    /// The Cookie header the agent's jar added, unless the request set its own: evidence shows
    /// every cookie that went out (redacted like any credential).
    static func jarCookies(sent: [HTTPHeader], given: [HTTPHeader]) -> [HTTPHeader] {
        guard !given.contains(where: { $0.name.lowercased() == "cookie" }) else { return [] }
        return sent.filter { $0.name.lowercased() == "cookie" }
    }

    /// Notes who authenticated and where the target's secrets shown in the exchange come from, so a
    /// report can rebuild the request with `${env:NAME}` placeholders instead of values.
    private func annotate(_ exchange: inout RecordedExchange, request: HTTPRequest, actor: Actor) {
        // Only when the request carried the registered Basic credentials: a probe that sends a
        // made-up secret must not be reproduced with the real one.
        if case .client(let role) = actor, let client = target.clients[role], let secret = client.secret,
           client.authMethod == .clientSecretBasic,
           request.headers.contains(where: { $0.name.lowercased() == "authorization" && $0.value == ClientRequests.basicCredentials(client.clientID, secret.value) }) {
            exchange.clientAuthentication = AuthenticatedClient(role: role.rawValue, clientID: client.clientID,
                                                                method: client.authMethod.rawValue, secretOrigin: secret.origin)
        }
        let sent = ([exchange.url, exchange.requestBody ?? ""] + exchange.requestHeaders).joined(separator: "\n")
        for (fingerprint, origin) in shared.placeholders where sent.contains(fingerprint) {
            exchange.placeholders[fingerprint] = origin
        }
    }
}
