import Foundation

/// Who sends a request. Each has its own HTTP agent, and so its own cookie jar: the browser's
/// session never leaks into a client's back-channel call, nor one client's into another's.
enum Actor: Hashable, Sendable {
    case browser
    case client(ClientRole)
    /// The resource server caller and raw HTTP steps.
    case caller
}

/// Everything one probe run shares across its steps: agents, the redactor and the evidence.
final class ProbeSession: @unchecked Sendable {
    let target: Target
    let endpoints: EndpointMap
    let redactor: Redactor
    private let settings: TransportSettings
    private let lock = NSLock()
    private var agents: [Actor: HTTPAgent] = [:]
    private var exchanges: [RecordedExchange] = []
    private var browserSignedIn = false

    init(target: Target, endpoints: EndpointMap, settings: TransportSettings) {
        self.target = target
        self.endpoints = endpoints
        self.settings = settings
        self.redactor = Redactor(secrets: target.secrets)
    }

    var evidence: [RecordedExchange] { lock.withLock { exchanges } }

    /// True the first time it is asked: the browser's session is then being set up.
    func beginBrowserSession() -> Bool {
        lock.withLock {
            defer { browserSignedIn = true }
            return !browserSignedIn
        }
    }

    /// Puts a cookie in the browser's jar (a session supplied by the user).
    func addBrowserCookie(name: String, value: String, domain: String) throws {
        try agent(for: .browser).addCookie(name: name, value: value, domain: domain)
    }

    /// Sends one request as the actor and records it, redacted. Refuses to carry any known
    /// secret over plain http to a host that is not loopback, whatever the target allows.
    func send(_ request: HTTPRequest, as actor: Actor, step: String) async throws -> HTTPResponse {
        if let parts = URLParts(request.url), parts.scheme.lowercased() == "http", !parts.isLoopback,
           carriesCredential(request) {
            throw ProbeError("refused to send a credential over plain http to \(parts.host)")
        }
        let agent = try self.agent(for: actor)
        let started = ContinuousClock.now
        do {
            let response = try await agent.send(request)
            learnSecrets(from: response)
            record(request, response: response, step: step, actor: actor, elapsed: ContinuousClock.now - started)
            return response
        } catch {
            record(request, failure: error.description, step: step, actor: actor, elapsed: ContinuousClock.now - started)
            throw ProbeError("\(request.method) \(redactor.redact(request.url)): \(error)")
        }
    }

    private func carriesCredential(_ request: HTTPRequest) -> Bool {
        let body = request.body.flatMap { String(data: $0, encoding: .utf8) } ?? ""
        return request.headers.contains { $0.name.lowercased() == "authorization" }
            || redactor.containsSecret(request.url) || redactor.containsSecret(body)
    }

    private func agent(for actor: Actor) throws -> HTTPAgent {
        try lock.withLock {
            if let agent = agents[actor] { return agent }
            let agent = try HTTPAgent(settings: settings)
            agents[actor] = agent
            return agent
        }
    }

    /// Codes and tokens become secrets the moment the server hands them out.
    private func learnSecrets(from response: HTTPResponse) {
        if let document = JSONValue.parse(response.body) {
            for key in Self.secretFields { document[key]?.stringValue.map(redactor.remember) }
        }
        if let location = response.header("Location"), let parts = URLParts(location) {
            for (name, value) in parts.parameters where Self.secretFields.contains(name) { redactor.remember(value) }
        }
    }

    static let secretFields: Set<String> = ["access_token", "refresh_token", "id_token", "code", "device_code"]

    /// Evidence keeps the start of a page: enough to see what the server said.
    static let bodyLimit = 2_048

    private func record(_ request: HTTPRequest, response: HTTPResponse? = nil, failure: String? = nil, step: String, actor: Actor, elapsed: Duration) {
        let requestBody = request.body.flatMap { String(data: $0, encoding: .utf8) }
        let responseBody = response.flatMap { String(decoding: $0.body.prefix(Self.bodyLimit), as: UTF8.self) }
        let truncated = (response?.body.count ?? 0) > Self.bodyLimit ? " …(\(response!.body.count) bytes)" : ""
        var exchange = RecordedExchange(
            step: step,
            method: request.method,
            url: redactor.redact(request.url),
            requestHeaders: (request.headers + Self.jarCookies(sent: response?.sentHeaders ?? [], given: request.headers))
                .map { redactor.redactHeader(name: $0.name, value: $0.value) },
            requestBody: requestBody.map(redactor.redact),
            status: response?.status,
            responseHeaders: response?.headers.map { redactor.redactHeader(name: $0.name, value: $0.value) } ?? [],
            responseBody: responseBody.map { redactor.redact($0) + truncated },
            milliseconds: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
            transportError: failure
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
        for secret in target.secrets {
            guard let origin = secret.origin else { continue }
            for form in [secret.value, FormEncoding.encode(secret.value)] where sent.contains(Fingerprint.of(form)) {
                exchange.placeholders[Fingerprint.of(form)] = origin
            }
        }
    }
}
