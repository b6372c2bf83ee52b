import Foundation

/// Runs one planned probe variant on one target: its steps in order, each checked against its
/// `when`, `require` and `expect`, ending in a verdict.
struct ProbeExecution {
    let item: PlannedProbe
    let target: Target
    let endpoints: EndpointMap
    let settings: TransportSettings
    /// Why the target's metadata could not be fetched, if it could not: no probe can run then.
    var discoveryFailure: String?

    func run() async -> ProbeResult {
        let started = ContinuousClock.now
        let session = ProbeSession(target: target, endpoints: endpoints, settings: settings)
        let (verdict, message) = await verdict(session: session)
        return ProbeResult(
            target: target.name, suite: item.suite.name, probeID: item.probe.id, variant: item.variant?.name,
            title: item.probe.title, practice: item.probe.practice, refs: item.probe.refs, severity: item.probe.severity,
            verdict: verdict, message: session.redactor.redact(message), evidence: session.evidence,
            duration: ContinuousClock.now - started, location: item.variant?.location ?? item.probe.location)
    }

    private func verdict(session: ProbeSession) async -> (Verdict, String) {
        if let reason = item.skipReason { return (.skip, reason) }
        if let discoveryFailure { return (.error, "metadata discovery failed: \(discoveryFailure)") }
        let missing = item.probe.endpoints.filter { endpoints.url($0) == nil }
        if !missing.isEmpty {
            let names = missing.map { $0 == .resource ? "resource.url" : "\($0.rawValue) endpoint" }
            let source = endpoints.metadata == nil ? "no metadata was found and the target file names none" : "not in metadata nor in the target's endpoints"
            return (.skip, "the target has no \(names.joined(separator: ", ")) (\(source))")
        }
        if let refusal = endpoints.untrustedRefusal(for: item.probe.endpoints) { return (.error, refusal) }
        var context = TemplateContext(target: target, endpoints: endpoints, variant: item.variant)
        var notes: [String] = []
        do {
            for binding in item.probe.bindings {
                context.bindings[binding.name] = try context.render(binding.value)
            }
            for step in item.probe.steps {
                if let unmet = try step.when.first(where: { !(try condition($0, holdsIn: context)) }) {
                    if step.skipProbeUnlessWhen {
                        return (.skip, "not applicable: \(unmet) does not hold\(context.outcomes[unmet.step ?? ""].map { " (\($0.summary))" } ?? "")")
                    }
                    notes.append("step '\(step.name)' not needed: \(unmet) does not hold")
                    continue
                }
                let outcome = try await perform(step, context: context, session: session)
                context.outcomes[step.name] = outcome
                if let failure = outcome.serverFailure {
                    return (.error, "step '\(step.name)': \(failure), so its answer is no verdict (\(outcome.summary))")
                }
                let unmet = try mismatches(step.require, outcome, context)
                if !unmet.isEmpty {
                    return (.error, "precondition not met at step '\(step.name)': " + describe(unmet, outcome))
                }
                let failed = try mismatches(step.expect, outcome, context)
                if !failed.isEmpty {
                    return (.fail, "step '\(step.name)': " + describe(failed, outcome))
                }
                notes.append("\(step.name): \(outcome.summary)")
            }
        } catch let error as ProbeError {
            return (.error, error.message)
        } catch {
            return (.error, "\(error)")
        }
        return (.pass, notes.joined(separator: "; "))
    }

    /// The expectations that do not hold, with what was seen instead. Templates in their
    /// literals (`{{policy.max_access_token_lifetime}}`) are filled first.
    private func mismatches(_ expectations: [Expectation], _ outcome: StepOutcome, _ context: TemplateContext) throws -> [(Expectation, String)] {
        try expectations.compactMap { expectation in
            var filled = expectation
            filled.matcher = try expectation.matcher.mapLiterals { try context.render(text: $0, at: expectation.location) }
            return Evaluation.mismatch(filled, in: outcome, target: target).map { (filled, $0) }
        }
    }

    /// `expected code: absent, got code = …`, then what the step saw unless that was already said.
    private func describe(_ mismatches: [(Expectation, String)], _ outcome: StepOutcome) -> String {
        let text = mismatches.map { "expected \($0.0), got \($0.1)" }.joined(separator: "; ")
        return text.contains(outcome.summary) ? text : "\(text) (\(outcome.summary))"
    }

    private func condition(_ expectation: Expectation, holdsIn context: TemplateContext) throws -> Bool {
        guard let name = expectation.step, let outcome = context.outcomes[name] else { return false }
        return try mismatches([expectation], outcome, context).isEmpty
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
        /// A grant at the token endpoint; an issued token without `scope` was granted the scope
        /// asked for (RFC 6749 §5.1).
        func grant(_ form: [(String, String)], role: ClientRole, authentication: ClientAuthentication, requestedScope: String?) async throws -> StepOutcome {
            let request = ClientRequests.post(to: try endpoint(.token), parameters: form, as: try client(role), authentication: authentication)
            var outcome = try await send(request, as: .client(role))
            if outcome.tokensIssued, outcome.fields["scope"] == nil, let requestedScope {
                outcome.fields["scope"] = requestedScope
                outcome.summary += " (no scope: granted as requested)"
            }
            return outcome
        }

        switch step.action {
        case .discover:
            let url = endpoints.metadata?.url ?? Metadata.candidateURLs(issuer: target.issuer)[0]
            var outcome = try await send(HTTPRequest(method: "GET", url: url, headers: [HTTPHeader(name: "Accept", value: "application/json")]), as: .caller)
            // RFC 9207: iss is owed when the server says it sends it, or the organisation demands it.
            let advertised = outcome.json?["authorization_response_iss_parameter_supported"] == .bool(true)
            outcome.fields["iss_parameter_required"] = String(advertised || target.policy.requireIssParameter)
            return outcome

        case .authorize(let parameters):
            return try await authorize(parameters, client: try client(parameters.client), endpoint: try endpoint(.authorization),
                                       context: context, session: session, step: step.name)

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
                                   requestedScope: source?.fields["requested_scope"])

        case .refresh(let parameters):
            var form = [("grant_type", "refresh_token"), ("refresh_token", try context.render(parameters.refreshToken))]
            let scope = try parameters.scope.map(context.render)
            if let scope { form.append(("scope", scope)) }
            return try await grant(form, role: parameters.client, authentication: parameters.clientAuth, requestedScope: scope)

        case .clientCredentials(let parameters):
            var form = [("grant_type", "client_credentials")]
            let scope = try parameters.scope.map(context.render) ?? client(parameters.client).scope
            if let scope { form.append(("scope", scope)) }
            return try await grant(form, role: parameters.client, authentication: parameters.clientAuth, requestedScope: scope)

        case .passwordGrant(let parameters):
            guard let user = target.user else { throw ProbeError("the target has no user") }
            var form = [("grant_type", "password"), ("username", user.username), ("password", user.password.value)]
            let scope = try parameters.scope.map(context.render) ?? client(parameters.client).scope
            if let scope { form.append(("scope", scope)) }
            return try await grant(form, role: parameters.client, authentication: .registered, requestedScope: scope)

        case .revoke(let parameters):
            var form = [("token", try context.render(parameters.token))]
            if let hint = try parameters.tokenTypeHint.map(context.render) { form.append(("token_type_hint", hint)) }
            let request = ClientRequests.post(to: try endpoint(.revocation), parameters: form, as: try client(parameters.client),
                                              authentication: parameters.clientAuth)
            return try await send(request, as: .client(parameters.client))

        case .resource(let parameters):
            let token = try context.render(parameters.token)
            let url = try endpoint(.resource)
            var headers = [HTTPHeader(name: "Accept", value: "application/json")]
            var requestURL = url
            switch parameters.transport {
            case .header: headers.append(HTTPHeader(name: "Authorization", value: "Bearer \(token)"))
            case .query: requestURL = ClientRequests.authorizationURL(endpoint: url, parameters: [("access_token", token)])
            }
            return try await send(HTTPRequest(method: "GET", url: requestURL, headers: headers), as: .caller)

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
            let check = IDTokenCheck(issuer: target.issuer, clientID: try client(parameters.client).clientID,
                                     nonce: try parameters.nonce.map(context.render))
            let fields = await check.check(token, jwks: jwks.body)
            let summary = fields.keys.sorted().map { "\($0) \(fields[$0]!)" }.joined(separator: ", ")
            return StepOutcome(status: jwks.status, fields: fields, summary: "the ID token: \(summary)")
        }
    }

    private func authorize(_ parameters: AuthorizeParameters, client: Client, endpoint: String, context: TemplateContext,
                           session: ProbeSession, step: String) async throws -> StepOutcome {
        guard let redirectURI = try parameters.redirectURI.map(context.render) ?? client.redirectURI else {
            throw ProbeError("the \(parameters.client.rawValue) client has no redirect_uri")
        }
        let clientID = try parameters.clientID.map(context.render) ?? client.clientID
        let responseType = try parameters.responseType.map(context.render) ?? "code"
        let scope = try parameters.scope.map(context.render) ?? client.scope
        let state = Base64URL.randomToken()
        let pkce = PKCE(method: parameters.pkce)
        var query = [("response_type", responseType), ("client_id", clientID), ("redirect_uri", redirectURI)]
        if let scope { query.append(("scope", scope)) }
        query.append(("state", state))
        // OpenID Connect requires a nonce with id tokens from the front channel (Core §3.2.2.1).
        var nonce: String?
        if (scope ?? "").split(separator: " ").contains("openid") || responseType.contains("id_token") {
            nonce = Base64URL.randomToken()
            query.append(("nonce", nonce!))
        }
        if let challenge = pkce.challenge {
            query += [("code_challenge", challenge), ("code_challenge_method", pkce.method.rawValue)]
            session.redactor.remember(pkce.verifier)
        }
        for extra in parameters.extra { query.append((extra.name, try context.render(extra.value))) }

        let send: BrowserFlow.Send = { request in try await session.send(request, as: .browser, step: step) }
        let login = target.login
        if login.strategy != .form {
            let declared = DeclaredSignIn(login: login, user: target.user, issuer: target.issuer)
            let values = declared.values(clientID: clientID, scope: scope, redirectURI: redirectURI)
            if session.beginBrowserSession() {
                if let cookie = login.cookie {
                    try session.addBrowserCookie(name: cookie.name, value: cookie.value.value,
                                                 domain: cookie.domain ?? URLParts(endpoint)?.host ?? "")
                }
                try await declared.signIn(values: values, send: send)
            }
            try await declared.consent(values: values, send: send)
            for parameter in login.authorizeParameters {
                query.append((parameter.name, try DeclaredSignIn.render(parameter.value, values)))
            }
        }
        let flow = BrowserFlow(strategy: login.strategy, user: target.user, send: send)
        let result = try await flow.run(from: ClientRequests.authorizationURL(endpoint: endpoint, parameters: query))
        var outcome = StepOutcome(summary: "")
        outcome.registeredRedirectURI = client.redirectURI
        outcome.sentState = state
        switch result.end {
        case .leftServer(let location):
            outcome.redirect = location
            for (name, value) in URLParts(location)?.parameters ?? [] where outcome.fields[name] == nil {
                outcome.fields[name] = value
            }
            outcome.summary = "the browser was sent to \(location)"
        case .stayed(let status, let title):
            outcome.status = status
            outcome.summary = "the server answered \(status)\(title.map { " (\"\($0)\")" } ?? "") and sent the browser nowhere"
        }
        // What later steps reuse, taken from what this step sent.
        outcome.fields["redirect_uri"] = redirectURI
        if let scope { outcome.fields["requested_scope"] = scope }
        if let nonce { outcome.fields["nonce"] = nonce }
        if pkce.challenge != nil { outcome.fields["code_verifier"] = pkce.verifier }
        return outcome
    }

    /// The response as an outcome: JSON fields flattened, and a summary that names the fields
    /// present but never shows a token's value.
    static func outcome(of response: HTTPResponse) -> StepOutcome {
        var outcome = StepOutcome(status: response.status, headers: response.headers, summary: "")
        outcome.json = JSONValue.parse(response.body)
        if case .object(let object)? = outcome.json {
            for (key, value) in object { outcome.fields[key] = value.text }
        }
        // Status and error together: what a probe compares when two answers must differ.
        outcome.fields["answer"] = "\(response.status) \(outcome.fields["error"] ?? "-")"
        let tokens = ["access_token", "refresh_token", "id_token"].filter { outcome.fields[$0] != nil }
        var summary = "the server answered \(response.status)"
        if !tokens.isEmpty { summary += " with \(tokens.joined(separator: ", "))" }
        if let error = outcome.fields["error"] { summary += " error=\(error)" }
        outcome.summary = summary
        return outcome
    }
}
