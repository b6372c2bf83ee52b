import Foundation

/// Runs one planned probe variant on one target: its steps in order, each checked against its
/// `when`, `require` and `expect`, ending in a verdict.
struct ProbeExecution {
    let item: PlannedProbe
    /// What the target's probes share: the signed-in browser, the pace, the counts.
    let shared: TargetSession
    let settings: TransportSettings
    var target: Target { shared.target }
    var endpoints: EndpointMap { shared.endpoints }
    /// Why the target's metadata could not be fetched, if it could not: no probe can run then.
    var discoveryFailure: String?
    /// The server failure that ended the previous attempt of this probe. Met again at the same
    /// step with the same answer, after a control succeeded, it is taken as a refusal.
    var previousFailure: ServerFailure?

    func run() async -> ProbeResult {
        let started = ContinuousClock.now
        let session = ProbeSession(shared: shared, settings: settings)
        var serverFailure: ServerFailure?
        var failedStep: String?
        let (verdict, message) = await verdict(session: session, serverFailure: &serverFailure, failedStep: &failedStep)
        var result = Self.result(of: item, on: target, verdict: verdict, message: session.redactor.redact(message),
                                 evidence: session.evidence, duration: ContinuousClock.now - started)
        result.serverFailure = verdict == .error ? serverFailure : nil
        result.failedStep = verdict == .fail ? failedStep : nil
        return result
    }

    /// A result of the planned probe variant on the target.
    static func result(of item: PlannedProbe, on target: Target, verdict: Verdict, message: String,
                       evidence: [RecordedExchange] = [], duration: Duration = .zero) -> ProbeResult {
        ProbeResult(
            target: target.name, suite: item.suite.name, probeID: item.probe.id, variant: item.variant?.name,
            title: item.probe.title, practice: item.probe.practice, refs: item.probe.refs, severity: item.probe.severity,
            verdict: verdict, message: message, evidence: evidence, duration: duration,
            location: item.variant?.location ?? item.probe.location)
    }

    /// Why the probe cannot run, when an endpoint it needs is one the run gave up on.
    func givenUpEndpoint() -> String? {
        shared.breaker.refusal(forAny: item.probe.endpoints.compactMap(endpoints.url))
    }

    /// The verdict and its reason; `serverFailure` learns whether the server (or the network)
    /// failed, which makes the probe worth another attempt alone, and `failedStep` which step's
    /// expectation did not hold (what a waiver names).
    private func verdict(session: ProbeSession, serverFailure: inout ServerFailure?, failedStep: inout String?) async -> (Verdict, String) {
        if let reason = item.skipReason { return (.skip, reason) }
        if let discoveryFailure { return (.error, "metadata discovery failed: \(discoveryFailure)") }
        let missing = item.probe.endpoints.filter { endpoints.url($0) == nil }
        if !missing.isEmpty {
            let names = missing.map { $0 == .resource ? "resource.url" : "\($0.rawValue) endpoint" }
            let source = endpoints.metadata == nil ? "no metadata was found and the target file names none" : "not in metadata nor in the target's endpoints"
            return (.skip, "the target has no \(names.joined(separator: ", ")) (\(source))")
        }
        if let refusal = endpoints.untrustedRefusal(for: item.probe.endpoints) { return (.error, refusal) }
        if let givenUp = givenUpEndpoint() { return (.error, givenUp) }
        var context = TemplateContext(target: target, endpoints: endpoints, variant: item.variant)
        var notes: [String] = []
        var controlSucceeded = false
        var sharedKeys: [String: String] = [:]
        var redeemed: Set<String> = []
        do {
            for binding in item.probe.bindings {
                context.bindings[binding.name] = try context.render(binding.value)
            }
            if let reason = try notApplicable(context) { return (.skip, "not applicable: \(reason)") }
            for step in item.probe.steps {
                if let unmet = try step.when.first(where: { !(try condition($0, holdsIn: context)) }) {
                    if step.skipProbeUnlessWhen {
                        let seen = context.outcomes[unmet.step ?? ""].map { " (\($0.summary))" } ?? ""
                        return (.skip, "not applicable: \(step.because ?? "\(unmet) does not hold")\(seen)")
                    }
                    notes.append("step '\(step.name)' not needed: \(unmet) does not hold")
                    continue
                }
                try await pause(before: step, context)
                let sentAt = ContinuousClock.now
                var outcome: StepOutcome
                if step.shared {
                    let key = try sharedKey(step, context: context, keys: sharedKeys)
                    sharedKeys[step.name] = key
                    let start = session.evidence.count
                    let (shared, fresh) = try await self.shared.sharedStep(key) {
                        let outcome = try await perform(step, context: context, session: session)
                        return TargetSession.SharedOutcome(outcome: outcome, exchanges: session.evidence(since: start),
                                                           secrets: Self.secretFields.compactMap { outcome.fields[$0] })
                    }
                    if !fresh {
                        session.adopt(shared, step: step.name)
                        notes.append("\(step.name): shared with an earlier probe of this run")
                    }
                    outcome = shared.outcome
                } else {
                    outcome = try await perform(step, context: context, session: session)
                }
                if let note = weigh(&outcome, of: step, sentAt: sentAt, context: context, controlSucceeded: controlSucceeded, redeemed: redeemed) {
                    notes.append(note)
                }
                if case .token(let parameters) = step.action, let from = parameters.from { redeemed.insert(from) }
                context.outcomes[step.name] = outcome
                if let failure = outcome.serverFailure {
                    serverFailure = ServerFailure(step: step.name, answer: outcome.answer)
                    return (.error, "step '\(step.name)': \(failure), so its answer is no verdict (\(outcome.summary))")
                }
                if let reason = outcome.undecided {
                    return (.error, "step '\(step.name)': \(reason), so its answer is no verdict (\(outcome.summary))")
                }
                switch try judge(step.require, outcome, context) {
                case .undecided(let reason): return (.error, "step '\(step.name)': \(reason)")
                case .unmet(let unmet): return (.error, "precondition not met at step '\(step.name)': " + describe(unmet, outcome))
                case .met: controlSucceeded = controlSucceeded || !step.require.isEmpty
                }
                switch try judge(step.expect, outcome, context) {
                case .undecided(let reason): return (.error, "step '\(step.name)': \(reason), so no verdict (\(outcome.summary))")
                case .unmet(let failed):
                    failedStep = step.name
                    return (.fail, "step '\(step.name)': " + describe(failed, outcome))
                case .met: break
                }
                notes.append("\(step.name): \(outcome.summary)")
            }
        } catch let skip as ProbeSkip {
            return (.skip, "not applicable: \(skip.reason)")
        } catch let error as ProbeError {
            serverFailure = error.transient ? ServerFailure(step: "", answer: error.message) : nil
            return (.error, error.message)
        } catch {
            return (.error, "\(error)")
        }
        return (.pass, notes.joined(separator: "; "))
    }

    /// What the probe's own history makes of an outcome: a `server_error` met again alone is a
    /// refusal in the wrong words (only a real one, where a refusal is expected, after a control
    /// of this attempt: any other 5xx stays an error); a page is a refusal only behind a control;
    /// a code or request_uri presented after its lifetime decides nothing. A note, if any.
    private func weigh(_ outcome: inout StepOutcome, of step: Step, sentAt: ContinuousClock.Instant, context: TemplateContext,
                       controlSucceeded: Bool, redeemed: Set<String>) -> String? {
        var note: String?
        if outcome.fields["error"] == "server_error", controlSucceeded, step.expect.contains(where: \.isRefusal),
           previousFailure == ServerFailure(step: step.name, answer: outcome.answer) {
            outcome.serverErrorTakenAsRefusal = true
            outcome.undecided = nil
            note = "step '\(step.name)' answered \(outcome.answer) on every attempt: a refusal in the wrong words (RFC 6749 §5.2 and §4.1.2.1 name the error codes for one)"
        }
        if let reason = outcome.refusalNeedsControl, !controlSucceeded { outcome.undecided = reason }
        if let reason = presentedAfterLifetime(step, outcome, sentAt: sentAt, context: context, redeemed: redeemed) {
            outcome.undecided = reason
        }
        return note
    }

    /// Seconds after which a code presented again may simply have expired: half the shortest
    /// code lifetime in common use (60 s at Keycloak, Okta and Auth0).
    static let replayWindow = 30

    /// Why a refusal proves nothing when a code or a request_uri is presented again after its
    /// lifetime: the server may refuse it as expired, not as used.
    private func presentedAfterLifetime(_ step: Step, _ outcome: StepOutcome, sentAt: ContinuousClock.Instant,
                                        context: TemplateContext, redeemed: Set<String>) -> String? {
        switch step.action {
        case .token(let parameters):
            guard let from = parameters.from, redeemed.contains(from), outcome.tokenAnswer == .refused,
                  let issued = context.outcomes[from]?.answeredAt else { return nil }
            let age = issued.duration(to: sentAt)
            guard age > .seconds(Self.replayWindow) else { return nil }
            return "the code was presented again \(age.components.seconds) s after it was issued, when it may have expired "
                + "(60 s at Keycloak, Okta and Auth0), so its refusal proves nothing"
        case .authorize(let parameters):
            guard parameters.requestURI != nil, outcome.fields["code"] == nil, let requestURI = outcome.fields["request_uri"],
                  let expiry = PushedAuthorization.pushingStep(of: requestURI, in: context.outcomes)?.requestURIExpiry,
                  sentAt > expiry else { return nil }
            return "the request_uri was presented after its expires_in had passed, so its refusal proves nothing (RFC 9126 §2.2)"
        default:
            return nil
        }
    }

    /// Values of a shared outcome that are secrets: what the server hands out, and the PKCE
    /// verifier the step made.
    static let secretFields = ProbeSession.secretFields.union(["code_verifier"])

    /// What makes two shared steps the same: the action, its role and every parameter as
    /// rendered, and for a code redemption, the key of the authorize step it redeems.
    private func sharedKey(_ step: Step, context: TemplateContext, keys: [String: String]) throws -> String {
        func rendered(_ name: String, _ template: Template?) throws -> String {
            "\(name)=\(try template.map(context.render) ?? "-")"
        }
        var parts = [step.action.keyword, step.action.role?.rawValue ?? ""]
        switch step.action {
        case .authorize(let p):
            parts += [try rendered("client_id", p.clientID), try rendered("redirect_uri", p.redirectURI),
                      try rendered("response_type", p.responseType), try rendered("scope", p.scope),
                      try rendered("code_verifier", p.codeVerifier), "pkce=\(p.pkce.rawValue)", "browser=\(p.browser.rawValue)"]
            parts += ["par=\(p.par.map(String.init) ?? "-")", "push_client_auth=\(p.clientAuth.rawValue)", "offline=\(p.offline)"]
            parts += try p.extra.map { try rendered($0.name, $0.value) }
        case .token(let p): parts += ["client_auth=\(p.clientAuth.rawValue)", "from=\(p.from.flatMap { keys[$0] } ?? "-")"]
        case .clientCredentials(let p): parts += ["client_auth=\(p.clientAuth.rawValue)", try rendered("scope", p.scope)]
        case .http(let p):
            parts += [p.method, try rendered("url", p.url), try rendered("body", p.body), "plaintext=\(p.permitsPlaintext)"]
            parts += try p.headers.map { try rendered($0.name, $0.value) }
        default: throw ProbeError("step '\(step.name)': a \(step.action.keyword) step cannot be shared")
        }
        return parts.joined(separator: "\n")
    }

    /// Waits as long as the step's `wait` says (a grace window the target declares).
    private func pause(before step: Step, _ context: TemplateContext) async throws {
        guard let wait = step.wait else { return }
        let text = try context.render(wait)
        guard let seconds = Int(text), (0...Step.longestWait).contains(seconds) else {
            throw ProbeError("step '\(step.name)': wait '\(text)' is not a number of seconds from 0 to \(Step.longestWait)")
        }
        if seconds > 0 { try? await Task.sleep(for: .seconds(seconds)) }
    }

    /// The first of the probe's `skip_when` conditions that holds, as its reason.
    private func notApplicable(_ context: TemplateContext) throws -> String? {
        for condition in item.probe.skipWhen {
            let values = try condition.values.map(context.render)
            if condition.comparison.holds(values) { return condition.because }
        }
        return nil
    }

    /// What a list of expectations comes to: all met, some unmet (with what was seen), or not
    /// decidable on this answer.
    private enum Conclusion {
        case met
        case unmet([(Expectation, String)])
        case undecided(String)
    }

    /// Judges expectations after filling the templates in their literals
    /// (`{{policy.max_access_token_lifetime}}`).
    private func judge(_ expectations: [Expectation], _ outcome: StepOutcome, _ context: TemplateContext) throws -> Conclusion {
        var unmet: [(Expectation, String)] = []
        for expectation in expectations {
            var filled = expectation
            filled.matcher = try expectation.matcher.mapLiterals { try context.render(text: $0, at: expectation.location) }
            switch Evaluation.judge(filled, in: outcome, target: target) {
            case .holds: continue
            case .fails(let actual): unmet.append((filled, actual))
            case .undecided(let reason): return .undecided("\(filled.subject.name) cannot be judged: \(reason)")
            }
        }
        return unmet.isEmpty ? .met : .unmet(unmet)
    }

    /// `expected code: absent, got code = …`, then what the step saw unless that was already said.
    private func describe(_ mismatches: [(Expectation, String)], _ outcome: StepOutcome) -> String {
        let text = mismatches.map { "expected \($0.0), got \($0.1)" }.joined(separator: "; ")
        return text.contains(outcome.summary) ? text : "\(text) (\(outcome.summary))"
    }

    private func condition(_ expectation: Expectation, holdsIn context: TemplateContext) throws -> Bool {
        guard let name = expectation.step, let outcome = context.outcomes[name] else { return false }
        switch try judge([expectation], outcome, context) {
        case .met: return true
        case .unmet: return false
        case .undecided(let reason): throw ProbeError("step '\(name)': \(reason), so it cannot decide what comes next")
        }
    }

    // MARK: Actions

    private func perform(_ step: Step, context: TemplateContext, session: ProbeSession) async throws -> StepOutcome {
        func client(_ role: ClientRole) throws -> Client {
            guard let client = target.clients[role] else { throw ProbeError("the target has no \(role.rawValue) client") }
            return client
        }
        func endpoint(_ kind: EndpointKind) throws -> String {
            guard let url = endpoints.url(kind) else { throw ProbeError("the target has no \(kind.rawValue) endpoint") }
            return url
        }
        func send(_ request: HTTPRequest, as actor: Actor) async throws -> StepOutcome {
            Self.outcome(of: try await session.send(request, as: actor, step: step.name))
        }
        /// A grant at the token endpoint. Its answer must be tokens or a refusal: anything else
        /// settles nothing. Issued tokens are completed with what the token itself shows.
        func grant(_ form: [(String, String)], role: ClientRole, authentication: ClientAuthentication, requestedScope: String?,
                   dpop: Bool = false) async throws -> StepOutcome {
            let request = ClientRequests.post(to: try endpoint(.token), parameters: form, as: try client(role), authentication: authentication)
            var outcome = dpop
                ? try await Self.sendWithProof(request, options: DPoPProofOptions(), accessToken: nil, context: context,
                                               session: session, as: .client(role), step: step.name)
                : try await send(request, as: .client(role))
            switch outcome.tokenAnswer {
            case .neither(let reason): outcome.undecided = reason
            case .refused: break
            case .issued: try await complete(&outcome, role: role, step: step.name, session: session)
            }
            return outcome
        }

        switch step.action {
        case .discover:
            let url = endpoints.metadata?.url ?? Metadata.candidateURLs(issuer: target.issuer)[0]
            var outcome = try await send(HTTPRequest(method: "GET", url: url, headers: [HTTPHeader(name: "Accept", value: "application/json")]), as: .caller)
            guard case .object? = outcome.json else {
                if outcome.status == 200 { outcome.undecided = "the metadata document at \(url) is not a JSON object" }
                return outcome
            }
            // RFC 8414 §2: an absent grant_types_supported means ["authorization_code", "implicit"].
            if outcome.json?["grant_types_supported"] == nil {
                outcome.fields["grant_types_supported"] = "authorization_code implicit"
                outcome.summary += " (no grant_types_supported: RFC 8414 §2's default, authorization_code and implicit)"
            }
            // RFC 9207: iss is owed when the server says it sends it, or the organisation demands it.
            let advertised = outcome.json?["authorization_response_iss_parameter_supported"] == .bool(true)
            outcome.fields["iss_parameter_required"] = String(advertised || target.policy.requireIssParameter)
            return outcome

        case .authorize(let parameters):
            return try await authorize(parameters, client: try client(parameters.client), endpoint: try endpoint(.authorization),
                                       context: context, session: session, step: step.name)

        case .pushAuthorization(let parameters):
            return try await authorize(parameters, client: try client(parameters.client), endpoint: endpoints.url(.authorization) ?? "",
                                       context: context, session: session, step: step.name, pushOnly: true)

        case .token(let parameters):
            let source = parameters.from.flatMap { context.outcomes[$0] }
            func value(_ override: Override, _ field: String) throws -> String? {
                switch override {
                case .omit: return nil
                case .value(let template): return try context.render(template)
                case .inherit:
                    guard let source, let from = parameters.from else { return nil }
                    if field == "code", source.fields["code"] == nil {
                        throw ProbeError("step '\(from)' gave no authorization code: \(source.summary)")
                    }
                    return source.fields[field]
                }
            }
            var form = [("grant_type", "authorization_code")]
            if let code = try value(parameters.code, "code") { form.append(("code", code)) }
            if let redirectURI = try value(parameters.redirectURI, "redirect_uri") { form.append(("redirect_uri", redirectURI)) }
            if let verifier = try value(parameters.codeVerifier, "code_verifier") { form.append(("code_verifier", verifier)) }
            return try await grant(form, role: parameters.client, authentication: parameters.clientAuth,
                                   requestedScope: source?.fields["requested_scope"], dpop: parameters.dpop)

        case .refresh(let parameters):
            var form = [("grant_type", "refresh_token"), ("refresh_token", try context.render(parameters.refreshToken))]
            let scope = try parameters.scope.map(context.render)
            if let scope { form.append(("scope", scope)) }
            return try await grant(form, role: parameters.client, authentication: parameters.clientAuth, requestedScope: scope,
                                   dpop: parameters.dpop)

        case .clientCredentials(let parameters):
            var form = [("grant_type", "client_credentials")]
            let scope = try parameters.scope.map(context.render) ?? Self.serviceScope(of: client(parameters.client), role: parameters.client)
            if let scope { form.append(("scope", scope)) }
            return try await grant(form, role: parameters.client, authentication: parameters.clientAuth, requestedScope: scope,
                                   dpop: parameters.dpop)

        case .passwordGrant(let parameters):
            guard let user = target.user else { throw ProbeError("the target has no user") }
            var form = [("grant_type", "password"), ("username", user.username), ("password", user.password.value)]
            let scope = try parameters.scope.map(context.render) ?? client(parameters.client).scope
            if let scope { form.append(("scope", scope)) }
            return try await grant(form, role: parameters.client, authentication: .registered, requestedScope: scope)

        case .revoke(let parameters), .introspect(let parameters):
            var form = [("token", try context.render(parameters.token))]
            if let hint = try parameters.tokenTypeHint.map(context.render) { form.append(("token_type_hint", hint)) }
            let kind: EndpointKind = if case .revoke = step.action { .revocation } else { .introspection }
            let request = ClientRequests.post(to: try endpoint(kind), parameters: form, as: try client(parameters.client),
                                              authentication: parameters.clientAuth)
            return try await send(request, as: .client(parameters.client))

        case .signIn:
            return try await signInOutcome(session: session, step: step.name)

        case .resource(let parameters):
            let token = try context.render(parameters.token)
            let url = try parameters.url.map(context.render) ?? endpoint(.resource)
            try await requireTokenRefusal(at: url, session: session, step: step.name)
            var headers = [HTTPHeader(name: "Accept", value: "application/json")]
            var requestURL = url
            switch parameters.transport {
            case .header: headers.append(HTTPHeader(name: "Authorization", value: "\(parameters.scheme.rawValue) \(token)"))
            case .query: requestURL = ClientRequests.authorizationURL(endpoint: url, parameters: [("access_token", token)])
            }
            let request = HTTPRequest(method: "GET", url: requestURL, headers: headers)
            if let proof = parameters.dpop {
                return try await Self.sendWithProof(request, options: proof, accessToken: token, context: context,
                                                    session: session, as: .caller, step: step.name)
            }
            return try await send(request, as: .caller)

        case .http(let parameters):
            let headers = try parameters.headers.map { HTTPHeader(name: $0.name, value: try context.render($0.value)) }
            var request = HTTPRequest(method: parameters.method, url: try context.render(parameters.url), headers: headers,
                                      body: try parameters.body.map { Data(try context.render($0).utf8) })
            request.permitsPlaintext = parameters.permitsPlaintext
            do {
                return try await send(request, as: .caller)
            } catch let error as ProbeError where parameters.noAnswerAllowed {
                return StepOutcome(fields: ["answer": "no answer"], summary: "no answer: \(error.message)")
            }

        case .verifyIDToken(let parameters):
            let token = try context.render(parameters.idToken)
            let jwks = try await session.send(HTTPRequest(method: "GET", url: try endpoint(.jwks), headers: [HTTPHeader(name: "Accept", value: "application/json")]),
                                              as: .caller, step: step.name)
            guard jwks.status == 200 else { throw ProbeError("the JWKS answered \(jwks.status)") }
            var check = IDTokenCheck(issuer: target.issuer, clientID: try client(parameters.client).clientID,
                                     nonce: try parameters.nonce.map(context.render))
            check.code = try parameters.code.map(context.render)
            check.accessToken = try parameters.accessToken.map(context.render)
            let fields = await check.check(token, jwks: jwks.body)
            let summary = fields.keys.sorted().map { "\($0) \(fields[$0]!)" }.joined(separator: ", ")
            return StepOutcome(status: jwks.status, fields: fields, summary: "the ID token: \(summary)")
        }
    }

    /// A resource that serves a request without a token cannot show whether a token is refused:
    /// each resource URL is asked once per run without one, and must not answer 2xx.
    private func requireTokenRefusal(at url: String, session: ProbeSession, step: String) async throws {
        let status = try await shared.anonymousStatus(of: url) {
            try await session.send(HTTPRequest(method: "GET", url: url, headers: [HTTPHeader(name: "Accept", value: "application/json")]),
                                   as: .caller, step: step).status
        }
        if (200..<300).contains(status) {
            throw ProbeError("the resource \(url) answers \(status) to a request without a token, so it cannot show whether a token is refused (RFC 6750 §3.1 asks for 401)")
        }
    }

    private func authorize(_ parameters: AuthorizeParameters, client: Client, endpoint: String, context: TemplateContext,
                           session: ProbeSession, step: String, pushOnly: Bool = false) async throws -> StepOutcome {
        guard let redirectURI = try parameters.redirectURI.map(context.render) ?? client.redirectURI else {
            throw ProbeError("the \(parameters.client.rawValue) client has no redirect_uri")
        }
        let clientID = try parameters.clientID.map(context.render) ?? client.clientID
        let responseType = try parameters.responseType.map(context.render) ?? "code"
        let responseTypes = Set(Evaluation.words(responseType))
        var scope = try parameters.scope.map(context.render) ?? Self.defaultScope(of: client, role: parameters.client, responseTypes: responseTypes)
        let offline = parameters.offline && OfflineAccess.offered(by: endpoints.metadata)
        if offline { scope = OfflineAccess.adding(to: scope) }
        let state = Base64URL.randomToken()
        // PKCE belongs to the code: a response type without one sends none, so an attack on the
        // response type differs from its control in the response type alone.
        let pkce = PKCE(method: responseTypes.contains("code") ? parameters.pkce : .none,
                        verifier: try parameters.codeVerifier.map(context.render))
        var query = [("response_type", responseType), ("client_id", clientID), ("redirect_uri", redirectURI)]
        if let scope { query.append(("scope", scope)) }
        query.append(("state", state))
        // OpenID Connect requires a nonce with id tokens from the front channel (Core §3.2.2.1).
        var nonce: String?
        if (scope ?? "").split(separator: " ").contains("openid") || responseTypes.contains("id_token") {
            nonce = Base64URL.randomToken()
            query.append(("nonce", nonce!))
        }
        if let challenge = pkce.challenge {
            query += [("code_challenge", challenge), ("code_challenge_method", pkce.method.rawValue)]
            session.redactor.remember(pkce.verifier)
        }
        for extra in parameters.extra { query.append((extra.name, try context.render(extra.value))) }
        // OIDC Core §11: offline_access is ignored unless consent is asked for.
        if offline, !parameters.extra.contains(where: { $0.name == "prompt" }) { query.append(("prompt", "consent")) }

        let signedOut = parameters.browser == .signedOut
        let actor: Actor = signedOut ? .signedOutBrowser : .browser
        let send: BrowserFlow.Send = { request in try await session.send(request, as: actor, step: step) }
        let login = target.login
        let declared = DeclaredSignIn(login: login, user: target.user, issuer: target.issuer)
        let values = declared.values(clientID: clientID, scope: scope, redirectURI: redirectURI)
        if login.strategy != .form {
            for parameter in login.authorizeParameters {
                query.append((parameter.name, try DeclaredSignIn.render(parameter.value, values)))
            }
        }
        // RFC 9126: the parameters pushed first (as the step says, else as the metadata requires),
        // or a request_uri pushed before; the browser then carries client_id and the request_uri alone.
        var pushed: PushedAuthorization.Sent?
        var requestURIExpiry: ContinuousClock.Instant?
        if pushOnly || (parameters.par ?? (parameters.requestURI == nil && PushedAuthorization.required(by: endpoints.metadata))) {
            guard let parURL = endpoints.url(.pushedAuthorizationRequest) else {
                throw ProbeError("the target has no pushed_authorization_request endpoint\(parameters.par == nil ? ", yet its metadata requires pushed authorization requests" : "")")
            }
            let sent = PushedAuthorization.Sent(state: state, nonce: nonce, codeVerifier: pkce.challenge == nil ? nil : pkce.verifier,
                                                redirectURI: redirectURI, scope: scope)
            let request = PushedAuthorization.request(to: parURL, parameters: query, as: client, authentication: parameters.clientAuth)
            let push = PushedAuthorization.outcome(of: try await session.send(request, as: .client(parameters.client), step: step), sent: sent)
            if pushOnly { return push }
            guard push.undecided == nil, push.serverFailure == nil, let requestURI = push.fields["request_uri"], (200..<300).contains(push.status ?? 0) else {
                return PushedAuthorization.notSent(push)
            }
            pushed = sent
            requestURIExpiry = push.requestURIExpiry
            query = PushedAuthorization.browserParameters(clientID: clientID, requestURI: requestURI)
        } else if let template = parameters.requestURI {
            let requestURI = try context.render(template)
            pushed = PushedAuthorization.pushingStep(of: requestURI, in: context.outcomes).flatMap(PushedAuthorization.Sent.init(pushed:))
            query = PushedAuthorization.browserParameters(clientID: clientID, requestURI: requestURI)
        }
        let start = ClientRequests.authorizationURL(endpoint: endpoint, parameters: query)
        let result: BrowserFlow.Outcome
        if signedOut {
            result = try await BrowserFlow(strategy: login.strategy, user: target.user, send: send, signsIn: false).run(from: start)
        } else {
            result = try await session.inSignedInBrowser { hasSession in
                var signedIn = false
                if login.strategy != .form, !hasSession {
                    if let cookie = login.cookie {
                        try session.addBrowserCookie(name: cookie.name, value: cookie.value.value,
                                                     domain: cookie.domain ?? URLParts(endpoint)?.host ?? "")
                    } else {
                        var values = values
                        if login.asksOneTimeCode, let totp = target.user?.totp {
                            values["user.totp"] = try await session.shared.oneTimeCode(totp)
                        }
                        if let record = try await declared.signIn(values: values, send: send) { session.shared.record(record) }
                        session.shared.count { $0.signIns += 1 }
                    }
                    signedIn = true
                }
                // A browser with a session does not sign in by itself: a login page then means
                // the session is gone, and the shared session decides who signs in anew.
                var flow = BrowserFlow(strategy: login.strategy, user: target.user, send: send, signsIn: !hasSession)
                flow.fieldNames = login.fields
                if let totp = target.user?.totp {
                    let shared = session.shared
                    flow.oneTimeCode = { try await shared.oneTimeCode(totp) }
                }
                // Declared consent sets the user's grant on the server (Glewlwyd replaces it):
                // the flow that relies on it runs before another probe's consent changes it.
                let grant = [clientID, scope ?? "", redirectURI].joined(separator: " ")
                let result = try await session.shared.withConsent(login.consent.isEmpty ? nil : {
                    try await declared.consent(values: values, send: send)
                }, given: grant) {
                    try await flow.run(from: start)
                }
                if result.signedIn { session.shared.count { $0.signIns += 1 } }
                if let record = result.signIn { session.shared.record(record) }
                return TargetSession.FlowResult(value: result, signedIn: signedIn || result.signedIn,
                                                sessionLost: hasSession && result.asksToSignIn(strategy: login.strategy))
            }
        }
        var outcome = StepOutcome(summary: "")
        outcome.registeredRedirectURI = client.redirectURI
        outcome.sentRedirectURI = redirectURI
        outcome.sentState = state
        switch result.end {
        case .leftServer(let location):
            outcome.summary = "the browser was sent to \(location)"
            arrive(at: location, carrying: URLParts(location)?.parameters ?? [], sent: redirectURI, registered: client.redirectURI,
                   signedOut: signedOut, into: &outcome)
        case .posted(let action, let fields):
            // form_post (or a page that auto-submits): the response goes to `action` in a POST.
            outcome.summary = "the browser was made to post \(fields.map(\.name).joined(separator: ", ")) to \(action)"
            arrive(at: action, carrying: fields, sent: redirectURI, registered: client.redirectURI, signedOut: signedOut, into: &outcome)
        case .stayed(let status, let title):
            outcome.status = status
            outcome.summary = "the server answered \(status)\(title.map { " (\"\($0)\")" } ?? "") and sent the browser nowhere"
            read(FinalPage.classify(status: status, page: result.finalPage, pageURL: result.finalURL, kind: result.pages.last?.kind,
                                     sentRedirectURI: redirectURI, registeredRedirectURI: client.redirectURI),
                  status: status, signedOut: signedOut, into: &outcome)
        }
        outcome.fields.merge(result.pages.fields()) { first, _ in first }
        if !result.pages.isEmpty { outcome.summary += "; pages shown: " + result.pages.map(\.defences).joined(separator: "; ") }
        // Tokens belong in the fragment or a form post, never in the query (OAuth 2.0 Multiple
        // Response Type Encoding Practices §2.1): the query reaches logs and Referer headers.
        if case .leftServer(let location) = result.end {
            let inQuery = Set((URLParts(location)?.query).map(FormEncoding.decode)?.map(\.name) ?? []).intersection(["access_token", "id_token", "refresh_token"])
            if !inQuery.isEmpty { outcome.fields["tokens_in_query"] = inQuery.sorted().joined(separator: " ") }
        }
        outcome.fields["response_kind"] = ["code", "access_token", "id_token", "error"].first { outcome.fields[$0] != nil }
            .map { $0 == "code" ? "code" : $0 == "error" ? "error" : "tokens" } ?? "none"
        // What later steps reuse, taken from what this step sent.
        outcome.fields["redirect_uri"] = redirectURI
        if let scope { outcome.fields["requested_scope"] = scope }
        if let nonce { outcome.fields["nonce"] = nonce }
        if pkce.challenge != nil { outcome.fields["code_verifier"] = pkce.verifier }
        outcome.requestURIExpiry = requestURIExpiry
        if let pushed {
            pushed.record(in: &outcome)
            if let requestURI = query.first(where: { $0.0 == "request_uri" })?.1 { outcome.fields["request_uri"] = requestURI }
        }
        return outcome
    }

    /// What the page the browser stayed on decides (RFC 6749 §4.1.2.1: a request the server will
    /// not redirect is answered with an error page). A signed-out browser asks one thing only:
    /// was it sent, or led, to the redirect URI?
    private func read(_ page: FinalPage, status: Int, signedOut: Bool, into outcome: inout StepOutcome) {
        switch page {
        case .leadsOn(let destination, let means):
            outcome.redirect = destination
            take(URLParts(destination)?.parameters ?? [], into: &outcome)
            outcome.summary += ", but \(means) on the page leads it on to \(destination)"
        case _ where signedOut:
            return
        case .signIn:
            outcome.summary += ": the login page"
            outcome.undecided = "the login page came back (status \(status)): the browser's session was lost, so the request was never judged"
        case .consent:
            outcome.summary += ": a consent page"
            outcome.undecided = "the browser stayed on a consent page it had already answered, so the request was never judged"
        case .blocked(let status):
            outcome.summary += ": a page a WAF, rate limiter or proxy answers with"
            outcome.undecided = "the browser stayed on a \(status) page: a WAF, rate limiter, bot protection or sign-in challenge answers so, not the server's OAuth refusal (RFC 6749 §4.1.2.1)"
        case .errorPage:
            outcome.summary += ": an error page"
        case .otherPage:
            outcome.summary += ": a page that neither redirects nor leads on to the redirect URI"
            outcome.refusalNeedsControl = "the browser stayed on a \(status) page, which is a refusal only where a control step of the same probe got a code first"
        }
    }

    /// What the run's sign-in showed, as an outcome: the status that answered the credentials
    /// and the session cookie's flags. A probe signs in (its authorize step) before it asks.
    private func signInOutcome(session: ProbeSession, step: String) async throws -> StepOutcome {
        guard target.login.strategy != .cookie else {
            throw ProbeSkip("the target supplies its session cookie (login.strategy cookie): the harness never signs in, so there is no sign-in to look at")
        }
        guard var record = session.shared.signInRecord else {
            throw ProbeError("no sign-in was seen in this run: an earlier authorize step signs in")
        }
        let candidates = record.candidates.map(\.name)
        if target.login.sessionCookieName == nil, target.login.strategy == .form, candidates.count > 1,
           let cookies = session.shared.currentSessionCookies, let client = target.clients[.public] ?? target.clients[.confidential],
           let endpoint = endpoints.url(.authorization) {
            record.signingOut = try await session.shared.signingOutCookies {
                try await SessionCookieTrial(session: session, step: step).signingOut(candidates, sessionCookies: cookies, client: client, endpoint: endpoint)
            }
        }
        var outcome = StepOutcome(status: record.status, summary: record.summary)
        if let location = record.location { outcome.headers = [HTTPHeader(name: "Location", value: location)] }
        outcome.fields = record.fields(sessionCookieName: target.login.sessionCookieName)
        if outcome.fields["session_cookie"] == nil {
            let reason = target.login.sessionCookieName.map { "the sign-in set no cookie named \($0) (login.session_cookie)" }
                ?? "the sign-in set no cookie but CSRF tokens, so the session cookie is unknown (name it in login.session_cookie)"
            for field in SignInRecord.fieldNames { outcome.unseen[field] = reason }
        }
        return outcome
    }

    private func take(_ parameters: [(name: String, value: String)], into outcome: inout StepOutcome) {
        for (name, value) in parameters where outcome.fields[name] == nil { outcome.fields[name] = value }
    }

    /// The scope an authorization request asks for unless the step says otherwise: the
    /// client's. `response_type=token` is no OpenID Connect flow, so it asks for the client's
    /// API scopes (IdentityServer refuses identity scopes there).
    static func defaultScope(of client: Client, role: ClientRole, responseTypes: Set<String>) throws -> String? {
        guard responseTypes == ["token"] else { return client.scope }
        return try apiScope(of: client, role: role, because: "response_type=token is no OpenID Connect flow")
    }

    /// The scope a client_credentials grant asks for unless the step says otherwise: the
    /// client's API scopes, as there is no user for identity scopes to speak of.
    static func serviceScope(of client: Client, role: ClientRole) throws -> String? {
        try apiScope(of: client, role: role, because: "client_credentials has no user")
    }

    /// The client's scope without identity scopes; none when it names no scope (the server's
    /// default for it). A client with identity scopes alone makes the request pointless.
    private static func apiScope(of client: Client, role: ClientRole, because reason: String) throws -> String? {
        guard let scope = client.scope else { return nil }
        let api = IdentityScopes.apiScopes(of: scope)
        if api.isEmpty {
            throw ProbeSkip("\(reason), so it may not ask for identity scopes (\(scope)), and the \(role.rawValue) client has no other scope")
        }
        return api.joined(separator: " ")
    }

    /// The browser was sent off the identity server, to `destination` with `parameters`: an
    /// authorization response where it is one, else what the place is.
    private func arrive(at destination: String, carrying parameters: [(name: String, value: String)], sent: String, registered: String?,
                        signedOut: Bool, into outcome: inout StepOutcome) {
        let origin = URLParts(destination)?.origin ?? destination
        switch Destination(destination, parameters: parameters, sent: sent, registered: registered, sentState: outcome.sentState) {
        case .client:
            outcome.redirect = destination
            take(parameters, into: &outcome)
        case .upstreamSignIn:
            // Its state and client_id are the upstream request's, not an authorization response.
            outcome.summary += ": a sign-in request to another identity provider"
            if !signedOut {
                outcome.undecided = "the browser was sent to sign in at \(origin) (federated sign-in): its session was lost, so the request was never judged"
            }
        case .operatorErrorPage:
            take(parameters, into: &outcome)
            outcome.summary += ": the operator's error page, not the client"
        case .unknown:
            outcome.redirect = destination
            take(parameters, into: &outcome)
            outcome.undecided = "the browser was sent to \(origin), which is neither the redirect URI nor the identity server, with no authorization response (a sign-in or error page elsewhere?)"
        }
    }

    /// What a token answer says is completed, and corrected, by what the token itself shows: a
    /// JWT's `exp` and scope claim decide (`AccessTokenClaims`); an answer that leaves out
    /// `scope` (RFC 6749 §5.1) about an opaque token is completed by introspection.
    private func complete(_ outcome: inout StepOutcome, role: ClientRole, step: String, session: ProbeSession) async throws {
        let token = outcome.fields["access_token"] ?? ""
        if let claims = CompactJWT(token)?.claims { AccessTokenClaims.adopt(claims, into: &outcome, now: Date()) }
        guard outcome.fields["scope"] == nil else { return }
        if let introspected = try await introspectedScope(of: token, role: role, step: step, session: session) {
            outcome.fields["scope"] = introspected
            outcome.summary += " (no scope in the answer; introspection: \(introspected))"
            return
        }
        outcome.scopeUnseen = "the answer omits scope and the token's own scope cannot be seen (an opaque token and no introspection endpoint a client may use)"
    }

    /// The scope RFC 7662 introspection reports for a token, asked as a client that has a secret.
    private func introspectedScope(of token: String, role: ClientRole, step: String, session: ProbeSession) async throws -> String? {
        guard let url = endpoints.url(.introspection),
              let asker = [role, .confidential, .service].first(where: { target.clients[$0]?.secret != nil }),
              let client = target.clients[asker] else { return nil }
        let request = ClientRequests.post(to: url, parameters: [("token", token), ("token_type_hint", "access_token")], as: client)
        let answer = Self.outcome(of: try await session.send(request, as: .client(asker), step: step))
        guard answer.status == 200, answer.json?["active"] == .bool(true) else { return nil }
        return answer.fields["scope"]
    }

    /// The response as an outcome: JSON fields flattened (a `null` one is absent), and a
    /// summary that names the fields present but never shows a token's value.
    static func outcome(of response: HTTPResponse) -> StepOutcome {
        var outcome = StepOutcome(status: response.status, headers: response.headers, summary: "")
        outcome.json = JSONValue.parse(response.body)
        outcome.bodyLength = response.body.count
        for (key, value) in outcome.json?.members ?? [:] { outcome.fields[key] = value.text }
        // Status and error together: what a probe compares when two answers must differ.
        outcome.fields["answer"] = outcome.answer
        let tokens = ["access_token", "refresh_token", "id_token"].filter { outcome.fields[$0] != nil }
        var summary = "the server answered \(response.status)"
        if !tokens.isEmpty { summary += " with \(tokens.joined(separator: ", "))" }
        if let error = outcome.fields["error"] { summary += " error=\(error)" }
        outcome.summary = summary
        return outcome
    }
}
