import Foundation
import Yams

/// Reads suite files (Suites/README.md describes the language) into `Suite`s. Never touches the network.
public struct SuiteLoader {
    public init() {}

    /// Suites from files and folders (a folder contributes its `*.yaml` files, sorted), and every
    /// problem across all of them, including probe ids defined twice.
    public func load(paths: [String]) -> (suites: [Suite], diagnostics: [Diagnostic]) {
        var suites: [Suite] = []
        var diagnostics: [Diagnostic] = []
        for file in Self.suiteFiles(in: paths, diagnostics: &diagnostics) {
            let (suite, problems) = load(file: file)
            diagnostics += problems
            if let suite { suites.append(suite) }
        }
        // In the seed page's order, so every report reads heading by heading.
        suites = suites.enumerated().sorted {
            (Practice.order(of: $0.element.practice), $0.offset) < (Practice.order(of: $1.element.practice), $1.offset)
        }.map(\.element)
        var seen: [String: SourceLocation] = [:]
        for probe in suites.flatMap(\.probes) {
            if let first = seen[probe.id] {
                diagnostics.append(Diagnostic(.error, at: probe.location, "probe id '\(probe.id)' is already defined at \(first)"))
            } else {
                seen[probe.id] = probe.location
            }
        }
        return (suites, diagnostics)
    }

    public func load(file: String) -> (suite: Suite?, diagnostics: [Diagnostic]) {
        let reader = YAMLReader(file: file)
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            reader.error(at: SourceLocation(file: file, line: 1, column: 1), "cannot read the file")
            return (nil, reader.diagnostics)
        }
        let suite = reader.compose(text).flatMap { SuiteParse(reader: reader, file: file).suite($0) }
        return (reader.hasErrors ? nil : suite, reader.diagnostics)
    }

    static func suiteFiles(in paths: [String], diagnostics: inout [Diagnostic]) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(Diagnostic(.error, at: SourceLocation(file: path, line: 1, column: 1), "no such file or folder"))
                continue
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return files
    }
}

/// One pass over one suite file.
private struct SuiteParse {
    let reader: YAMLReader
    let file: String

    static let actionKeys = ["discover", "authorize", "token", "refresh", "client_credentials", "revoke", "resource", "http",
                             "password_grant", "verify_id_token", "introspect", "sign_in", "push_authorization"]
    /// `topic.check`: two or more dot-separated parts of lower-case words joined by single '-'.
    static func isProbeID(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.allSatisfy { part in
            part.split(separator: "-", omittingEmptySubsequences: false).allSatisfy { word in
                !word.isEmpty && word.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
            }
        }
    }

    /// A step, variant or `let` name: a lower-case letter, then letters, digits, '-' or '_'.
    static func isName(_ text: String) -> Bool {
        guard let first = text.utf8.first, (0x61...0x7A).contains(first) else { return false }
        return text.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F }
    }

    func suite(_ root: Node) -> Suite? {
        guard let map = reader.mapping(root, "a suite file") else { return nil }
        map.check(reader, "suite", allowed: ["practice", "probes"], required: ["practice", "probes"])
        let heading = map["practice"].flatMap { practice($0) } ?? ""
        let probes = map["probes"].flatMap { probeList($0) }?.compactMap { probe($0, practice: heading) } ?? []
        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        return Suite(name: name, practice: heading, file: file, probes: probes)
    }

    /// A suite without probes is a mistake, not a suite that always passes.
    private func probeList(_ node: Node) -> [Node]? {
        if case .scalar(let scalar) = node, ["", "~", "null"].contains(scalar.string) {
            reader.error(node, "probes: list at least one probe")
            return nil
        }
        let items = reader.sequence(node, "probes")
        if items?.isEmpty == true { reader.error(node, "probes: list at least one probe") }
        return items
    }

    private func practice(_ node: Node) -> String? {
        guard let heading = reader.string(node, "practice") else { return nil }
        guard Practice.headings.contains(heading) else {
            reader.error(node, "practice '\(heading)' is not a heading of the seed page (\(Practice.headings.joined(separator: "; ")))")
            return nil
        }
        return heading
    }

    private func probe(_ node: Node, practice suitePractice: String) -> Probe? {
        guard let map = reader.mapping(node, "a probe") else { return nil }
        map.check(reader, "probe", allowed: ["id", "title", "practice", "refs", "severity", "roles", "endpoints", "let", "matrix", "skip_when", "steps", "opt_in"],
                  required: ["id", "title", "refs", "severity", "steps"])
        let id = map["id"].flatMap { reader.string($0, "id", longest: YAMLReader.longestName) } ?? ""
        if let idNode = map["id"], !id.isEmpty, !Self.isProbeID(id) {
            reader.error(idNode, "id '\(id)' must be topic.check: lower case words joined by '-', parts by '.'")
        }
        let title = map["title"].flatMap { reader.string($0, "title") } ?? ""
        let practice = map["practice"].flatMap { self.practice($0) } ?? suitePractice
        let refs = map["refs"].flatMap { reader.strings($0, "refs") } ?? []
        if let refsNode = map["refs"], refs.isEmpty { reader.error(refsNode, "refs: name at least one RFC section") }
        let severity = map["severity"].flatMap { reader.oneOf($0, "severity", Severity.self) } ?? .medium
        let roles = (map["roles"].flatMap { reader.sequence($0, "roles") } ?? []).compactMap { reader.oneOf($0, "roles", ClientRole.self) }
        let declaredEndpoints = (map["endpoints"].flatMap { reader.sequence($0, "endpoints") } ?? [])
            .compactMap { reader.oneOf($0, "endpoints", EndpointKind.self) }

        var scope = ReferenceScope(roles: Set(roles))
        var bindings: [(name: String, value: Template)] = []
        if let node = map["let"], let lets = reader.mapping(node, "let") {
            for entry in lets.entries {
                guard name(entry.keyNode, entry.key, "let") else { continue }
                if let template = template(entry.value, "let.\(entry.key)", scope: scope) {
                    bindings.append((entry.key, template))
                }
                scope.names.insert(entry.key)
            }
        }
        let variants = map["matrix"].map { matrix($0, scope: scope) } ?? []
        scope.variantKeys = Set(variants.flatMap(\.values.keys))
        scope.hasMatrix = map["matrix"] != nil
        let skipWhen = map["skip_when"].map { skipConditions($0, scope: scope) } ?? []

        var steps: [Step] = []
        for stepNode in map["steps"].flatMap({ reader.sequence($0, "steps") }) ?? [] {
            guard let step = step(stepNode, index: steps.count, scope: scope) else { continue }
            if scope.steps.keys.contains(step.name) {
                reader.error(stepNode, "step name '\(step.name)' is used twice in this probe")
            }
            if let role = step.action.role, !roles.contains(role) {
                reader.error(stepNode, "step '\(step.name)' acts as '\(role.rawValue)', which is not in this probe's roles")
            }
            if let problem = Self.consumesShared(step, steps: steps) { reader.error(stepNode, problem) }
            scope.steps[step.name] = step.action.keyword
            scope.sharedSteps[step.name] = step.shared ? step.action.keyword : nil
            steps.append(step)
        }
        if let stepsNode = map["steps"], steps.isEmpty, !reader.hasErrors { reader.error(stepsNode, "steps: a probe needs at least one step") }
        if let stepsNode = map["steps"], !steps.isEmpty, steps.allSatisfy(\.expect.isEmpty), !reader.hasErrors {
            reader.error(stepsNode, "steps: no step has an 'expect', so this probe could never fail")
        }
        let endpoints = Set(declaredEndpoints).union(steps.compactMap { Self.endpoint(for: $0.action) })
            .union(steps.compactMap { Self.pushEndpoint(for: $0.action) })
        var probe = Probe(id: id, title: title, practice: practice, refs: refs, severity: severity, roles: roles,
                          endpoints: EndpointKind.allCases.filter(endpoints.contains), bindings: bindings,
                          variants: variants, steps: steps, optIn: map["opt_in"].flatMap { reader.string($0, "opt_in") },
                          location: reader.location(of: node))
        probe.skipWhen = skipWhen
        return probe
    }

    /// `skip_when: [{ equal: [A, B], because: … }]`: one comparison of rendered values each.
    private func skipConditions(_ node: Node, scope: ReferenceScope) -> [SkipCondition] {
        let comparisons = SkipCondition.Comparison.allCases.map(\.rawValue)
        return (reader.sequence(node, "skip_when") ?? []).compactMap { item in
            guard let map = reader.mapping(item, "a skip_when entry") else { return nil }
            map.check(reader, "skip_when", allowed: comparisons + ["because"], required: ["because"])
            let given = map.entries.filter { comparisons.contains($0.key) }
            guard given.count == 1, let entry = given.first, let comparison = SkipCondition.Comparison(rawValue: entry.key) else {
                reader.error(item, "skip_when: give exactly one of \(comparisons.joined(separator: ", "))")
                return nil
            }
            let values = (reader.sequence(entry.value, "skip_when.\(entry.key)") ?? []).compactMap {
                template($0, "skip_when.\(entry.key)", scope: scope)
            }
            if values.count < 2 { reader.error(entry.value, "skip_when.\(entry.key): compare at least two values") }
            guard let because = map["because"].flatMap({ reader.string($0, "because") }), values.count >= 2 else { return nil }
            return SkipCondition(comparison: comparison, values: values, because: because)
        }
    }

    /// Why an action cannot be shared between probes, if it cannot: only a signed-in browser's
    /// authorization request, a code redemption of such a shared request (as it comes), a client
    /// credentials grant and a raw request (one that changes nothing: the suite's word) give
    /// every probe the same thing.
    private static func unsharable(_ action: Action, scope: ReferenceScope) -> String? {
        switch action {
        case .authorize(let p):
            if p.requestURI != nil { return "a request_uri is presented once, by one probe" }
            return p.browser == .signedIn ? nil : "a signed-out browser's request is no control to share"
        case .token(let p) where p.dpop:
            return "a DPoP-bound token is bound to its probe's own key, which no other probe holds"
        case .clientCredentials(let p) where p.dpop:
            return "a DPoP-bound token is bound to its probe's own key, which no other probe holds"
        case .token(let p):
            guard let from = p.from, scope.sharedSteps[from] != nil else {
                return "a shared token step redeems the code of a shared authorize step ('from')"
            }
            if case .inherit = p.code, case .inherit = p.redirectURI, case .inherit = p.codeVerifier { return nil }
            return "a shared token step redeems the code as its authorize step got it, with no code, redirect_uri or code_verifier of its own"
        case .clientCredentials, .http: return nil
        default: return "only authorize, token, client_credentials and http steps can be shared"
        }
    }

    /// Why a step would spoil an outcome other probes share, if it would: a shared code is
    /// redeemed once, by a shared token step; shared tokens are read, never refreshed or revoked.
    private static func consumesShared(_ step: Step, steps: [Step]) -> String? {
        let shared = Dictionary(steps.filter(\.shared).map { ($0.name, $0.action.keyword) }, uniquingKeysWith: { first, _ in first })
        if case .token(let p) = step.action, let from = p.from, shared[from] != nil, !step.shared {
            return "step '\(step.name)' redeems the code of shared step '\(from)': mark it shared too, or make '\(from)' its own"
        }
        let consuming: Bool = switch step.action {
        case .refresh, .revoke: true
        default: false
        }
        for reference in step.action.templates.flatMap(\.references) where reference.path.count >= 2 && shared[reference.path[0]] != nil {
            if reference.path[1] == "code" {
                return "step '\(step.name)' uses the code of shared step '\(reference.path[0])', which only a shared token step may redeem"
            }
            if reference.path[1] == "request_uri" {
                return "step '\(step.name)' presents the request_uri of shared step '\(reference.path[0])', which its first presentation uses up"
            }
            if consuming, ["access_token", "refresh_token", "id_token"].contains(reference.path[1]) {
                return "step '\(step.name)' would \(step.action.keyword) a token of shared step '\(reference.path[0])', which other probes read: take the tokens in a step of its own"
            }
        }
        return nil
    }

    static func endpoint(for action: Action) -> EndpointKind? {
        switch action {
        case .authorize: .authorization
        case .token, .refresh, .clientCredentials, .passwordGrant: .token
        case .revoke: .revocation
        case .introspect: .introspection
        case .resource: .resource
        case .verifyIDToken: .jwks
        case .pushAuthorization: .pushedAuthorizationRequest
        case .discover, .http, .signIn: nil
        }
    }

    /// An authorize step that pushes its request first also needs the PAR endpoint.
    static func pushEndpoint(for action: Action) -> EndpointKind? {
        if case .authorize(let p) = action, p.par == true { return .pushedAuthorizationRequest }
        return nil
    }

    private func matrix(_ node: Node, scope: ReferenceScope) -> [Variant] {
        guard let items = reader.sequence(node, "matrix") else { return [] }
        var variants: [Variant] = []
        for item in items {
            guard let map = reader.mapping(item, "a matrix entry") else { continue }
            guard let nameNode = map["variant"], let name = reader.string(nameNode, "variant") else {
                reader.error(item, "matrix entry: missing 'variant' (its name in reports)")
                continue
            }
            guard self.name(nameNode, name, "variant") else { continue }
            if variants.contains(where: { $0.name == name }) { reader.error(nameNode, "variant '\(name)' is listed twice") }
            var values: [String: Template] = [:]
            for entry in map.entries where entry.key != "variant" {
                values[entry.key] = template(entry.value, "matrix.\(entry.key)", scope: scope)
            }
            if let first = variants.first, Set(first.values.keys) != Set(values.keys) {
                reader.error(item, "variant '\(name)' sets \(values.keys.sorted()) but '\(first.name)' sets \(first.values.keys.sorted()); every variant sets the same keys")
            }
            variants.append(Variant(name: name, values: values, location: reader.location(of: item)))
        }
        if variants.isEmpty { reader.error(node, "matrix: list at least one variant") }
        return variants
    }

    // MARK: Steps

    private func step(_ node: Node, index: Int, scope: ReferenceScope) -> Step? {
        guard let map = reader.mapping(node, "a step") else { return nil }
        map.check(reader, "step", allowed: ["name", "when", "otherwise", "because", "wait", "shared", "require", "expect"] + Self.actionKeys)
        let actionEntries = map.entries.filter { Self.actionKeys.contains($0.key) }
        guard actionEntries.count == 1, let actionEntry = actionEntries.first else {
            reader.error(node, "a step takes exactly one action (\(Self.actionKeys.joined(separator: ", "))), found \(actionEntries.count)")
            return nil
        }
        var name = actionEntry.key
        if let nameNode = map["name"], let given = reader.string(nameNode, "name"), self.name(nameNode, given, "step name") {
            name = given
        } else if scope.steps[name] != nil {
            name = "\(name)-\(index + 1)"
        }
        guard let action = action(actionEntry.key, actionEntry.value, scope: scope) else { return nil }
        let when = map["when"].map { expectations($0, "when", action: nil, scope: scope) } ?? []
        let require = map["require"].map { expectations($0, "require", action: action, scope: scope) } ?? []
        let expect = map["expect"].map { expectations($0, "expect", action: action, scope: scope) } ?? []
        var step = Step(name: name, action: action, when: when, require: require, expect: expect, location: reader.location(of: node))
        if let otherwise = map["otherwise"], let text = reader.string(otherwise, "otherwise") {
            if text != "skip" { reader.error(otherwise, "otherwise: the only choice is 'skip' (the probe does not apply)") }
            if when.isEmpty { reader.error(otherwise, "otherwise: needs a 'when' on the same step") }
            step.skipProbeUnlessWhen = true
        }
        step.wait = map["wait"].flatMap { template($0, "wait", scope: scope) }
        if let node = map["shared"], let shared = reader.bool(node, "shared") {
            step.shared = shared
            if shared, let problem = Self.unsharable(action, scope: scope) { reader.error(node, "shared: \(problem)") }
        }
        if let node = map["because"] {
            if !step.skipProbeUnlessWhen { reader.error(node, "because: gives the reason of 'otherwise: skip', which this step lacks") }
            step.because = reader.string(node, "because")
        }
        return step
    }

    private func action(_ keyword: String, _ node: Node, scope: ReferenceScope) -> Action? {
        // Actions without parameters: `discover: {}` or a bare `discover:`.
        if let bare = ["discover": Action.discover, "sign_in": .signIn][keyword] {
            if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "~" { return bare }
            _ = reader.mapping(node, keyword)?.check(reader, keyword, allowed: [])
            return bare
        }
        guard let map = reader.mapping(node, keyword) else { return nil }
        func role() -> ClientRole? {
            guard let node = map["client"] else { return nil }
            return reader.oneOf(node, "\(keyword).client", ClientRole.self)
        }
        func value(_ key: String) -> Template? {
            map[key].flatMap { template($0, "\(keyword).\(key)", scope: scope) }
        }
        func clientAuth() -> ClientAuthentication {
            map["client_auth"].flatMap { reader.oneOf($0, "\(keyword).client_auth", ClientAuthentication.self) } ?? .registered
        }
        func dpop() -> Bool {
            map["dpop"].flatMap { reader.bool($0, "\(keyword).dpop") } ?? false
        }
        switch keyword {
        case "authorize", "push_authorization":
            let pushOnly = keyword == "push_authorization"
            map.check(reader, keyword, allowed: ["client", "client_id", "redirect_uri", "response_type", "scope", "pkce", "code_verifier", "extra", "client_auth", "offline"]
                        + (pushOnly ? [] : ["browser", "par", "request_uri"]), required: ["client"])
            guard let client = role() else { return nil }
            let pkce = map["pkce"].flatMap { reader.oneOf($0, "authorize.pkce", PKCEMode.self) } ?? .s256
            var extra: [(name: String, value: Template)] = []
            if let node = map["extra"], let extras = reader.mapping(node, "authorize.extra") {
                extra = extras.entries.compactMap { entry in
                    template(entry.value, "authorize.extra.\(entry.key)", scope: scope).map { (entry.key, $0) }
                }
            }
            var parameters = AuthorizeParameters(client: client, clientID: value("client_id"), redirectURI: value("redirect_uri"),
                                                 responseType: value("response_type"), scope: value("scope"), pkce: pkce, extra: extra)
            parameters.browser = map["browser"].flatMap { reader.oneOf($0, "authorize.browser", BrowserKind.self) } ?? .signedIn
            parameters.codeVerifier = value("code_verifier")
            parameters.offline = map["offline"].flatMap { reader.bool($0, "\(keyword).offline") } ?? false
            if let node = map["code_verifier"], pkce == .none { reader.error(node, "authorize.code_verifier: needs PKCE (pkce S256 or plain)") }
            pushedRequest(map, keyword, into: &parameters, scope: scope)
            return pushOnly ? .pushAuthorization(parameters) : .authorize(parameters)
        case "token":
            map.check(reader, keyword, allowed: ["client", "client_auth", "from", "code", "redirect_uri", "code_verifier", "dpop"], required: ["client"])
            guard let client = role() else { return nil }
            let from = map["from"].flatMap { reader.string($0, "token.from") }
            if let fromNode = map["from"], let from, scope.steps[from] != "authorize" {
                reader.error(fromNode, "token.from '\(from)' must name an earlier authorize step")
            }
            func override(_ key: String) -> Override {
                guard let node = map[key] else { return .inherit }
                if case .scalar(let scalar) = node, scalar.string == "omit" { return .omit }
                return template(node, "token.\(key)", scope: scope).map(Override.value) ?? .inherit
            }
            if from == nil && map["code"] == nil { reader.error(node, "token: give 'from' (an authorize step) or 'code'") }
            var parameters = TokenParameters(client: client, from: from, code: override("code"),
                                             redirectURI: override("redirect_uri"), codeVerifier: override("code_verifier"))
            parameters.clientAuth = clientAuth()
            parameters.dpop = dpop()
            return .token(parameters)
        case "refresh":
            map.check(reader, keyword, allowed: ["client", "client_auth", "refresh_token", "scope", "dpop"], required: ["client", "refresh_token"])
            guard let client = role(), let token = value("refresh_token") else { return nil }
            return .refresh(RefreshParameters(client: client, clientAuth: clientAuth(), dpop: dpop(), refreshToken: token, scope: value("scope")))
        case "client_credentials":
            map.check(reader, keyword, allowed: ["client", "client_auth", "scope", "dpop"], required: ["client"])
            guard let client = role() else { return nil }
            return .clientCredentials(ClientCredentialsParameters(client: client, clientAuth: clientAuth(), dpop: dpop(), scope: value("scope")))
        case "password_grant":
            map.check(reader, keyword, allowed: ["client", "scope"], required: ["client"])
            guard let client = role() else { return nil }
            return .passwordGrant(PasswordGrantParameters(client: client, scope: value("scope")))
        case "verify_id_token":
            map.check(reader, keyword, allowed: ["client", "id_token", "nonce", "code", "access_token"], required: ["client", "id_token"])
            guard let client = role(), let idToken = value("id_token") else { return nil }
            return .verifyIDToken(VerifyIDTokenParameters(client: client, idToken: idToken, nonce: value("nonce"),
                                                          code: value("code"), accessToken: value("access_token")))
        case "revoke", "introspect":
            map.check(reader, keyword, allowed: ["client", "client_auth", "token", "token_type_hint"], required: ["client", "token"])
            guard let client = role(), let token = value("token") else { return nil }
            let parameters = TokenCallParameters(client: client, clientAuth: clientAuth(), token: token, tokenTypeHint: value("token_type_hint"))
            return keyword == "revoke" ? .revoke(parameters) : .introspect(parameters)
        case "resource":
            map.check(reader, keyword, allowed: ["token", "transport", "url", "scheme", "dpop"], required: ["token"])
            let transport = map["transport"].flatMap { reader.oneOf($0, "resource.transport", ResourceParameters.Transport.self) } ?? .header
            guard let token = value("token") else { return nil }
            var parameters = ResourceParameters(token: token, transport: transport, url: value("url"))
            parameters.scheme = map["scheme"].flatMap { reader.oneOf($0, "resource.scheme", AuthorizationScheme.self) } ?? .bearer
            parameters.dpop = map["dpop"].map { proofOptions($0, scope: scope) } ?? (parameters.scheme == .dpop ? DPoPProofOptions() : nil)
            return .resource(parameters)
        case "http":
            map.check(reader, keyword, allowed: ["method", "url", "headers", "body", "plaintext", "no_answer"], required: ["url"])
            let method = map["method"].flatMap { reader.string($0, "http.method") } ?? "GET"
            var headers: [(name: String, value: Template)] = []
            if let node = map["headers"], let headerMap = reader.mapping(node, "http.headers") {
                headers = headerMap.entries.compactMap { entry in
                    template(entry.value, "http.headers.\(entry.key)", scope: scope).map { (entry.key, $0) }
                }
            }
            let plaintext = map["plaintext"].flatMap { reader.bool($0, "http.plaintext") } ?? false
            guard let url = value("url") else { return nil }
            var parameters = RawHTTPParameters(method: method, url: url, headers: headers, body: value("body"), permitsPlaintext: plaintext)
            if let node = map["no_answer"], let text = reader.string(node, "http.no_answer") {
                if text != "allowed" { reader.error(node, "http.no_answer: the only choice is 'allowed'") }
                parameters.noAnswerAllowed = true
            }
            return .http(parameters)
        default:
            return nil
        }
    }

    /// `par: true` (push this request first) or `request_uri:` (present one pushed before) on an
    /// authorize step, and `client_auth`, which says how a push authenticates.
    private func pushedRequest(_ map: MappingView, _ keyword: String, into parameters: inout AuthorizeParameters, scope: ReferenceScope) {
        parameters.par = map["par"].flatMap { reader.bool($0, "authorize.par") }
        parameters.requestURI = map["request_uri"].flatMap { template($0, "authorize.request_uri", scope: scope) }
        if let node = map["request_uri"] {
            if parameters.par == true { reader.error(node, "authorize: give 'par: true' (push this request) or 'request_uri' (one pushed before), not both") }
            // The browser sends client_id and the request_uri alone (RFC 9126 §4): nothing else would go out.
            let unsent = ["redirect_uri", "response_type", "scope", "pkce", "code_verifier", "extra", "offline"].filter { map[$0] != nil }
            if !unsent.isEmpty {
                reader.error(node, "authorize.request_uri: the browser sends client_id and request_uri only, so \(unsent.joined(separator: ", ")) would not be sent")
            }
        }
        if let node = map["client_auth"] {
            parameters.clientAuth = reader.oneOf(node, "\(keyword).client_auth", ClientAuthentication.self) ?? .registered
            if keyword == "authorize", parameters.par != true { reader.error(node, "authorize.client_auth: only with 'par: true', where it says how the push authenticates") }
        }
    }

    /// A resource step's `dpop:`: `true` (a correct proof), `false` (none), or how the proof departs
    /// from a correct one: `{ htu: URL, htm: METHOD }`, or `{ replay: STEP }` (that step's proof again).
    private func proofOptions(_ node: Node, scope: ReferenceScope) -> DPoPProofOptions? {
        if case .scalar = node {
            return reader.bool(node, "resource.dpop") == true ? DPoPProofOptions() : nil
        }
        guard let map = reader.mapping(node, "resource.dpop") else { return nil }
        map.check(reader, "resource.dpop", allowed: ["htu", "htm", "replay"])
        var options = DPoPProofOptions(htu: map["htu"].flatMap { template($0, "resource.dpop.htu", scope: scope) },
                                       htm: map["htm"].flatMap { template($0, "resource.dpop.htm", scope: scope) })
        if let node = map["replay"], let name = reader.string(node, "resource.dpop.replay") {
            if scope.steps[name] != "resource" {
                reader.error(node, "resource.dpop.replay '\(name)' must name an earlier resource step (whose proof is sent again)")
            }
            if options.htu != nil || options.htm != nil {
                reader.error(node, "resource.dpop.replay sends the earlier proof byte for byte: no htu or htm beside it")
            }
            options.replay = name
        }
        return options
    }

    // MARK: Expectations

    /// Subjects each kind of action produces; anything else is a typo worth reporting.
    static func subjects(for action: Action) -> (fields: Set<String>, anyField: Bool) {
        switch action {
        case .authorize: (["code", "state", "error", "error_description", "iss", "access_token", "id_token", "refresh_token", "token_type", "response_kind",
                           "tokens_in_query", "pages", "framing", "referrer_policy"], false)
        case .token, .refresh, .clientCredentials, .passwordGrant:
            (["access_token", "refresh_token", "id_token", "error", "scope", "expires_in", "token_type", "answer"], false)
        case .verifyIDToken: (["signature", "issuer", "audience", "azp", "expiry", "nonce", "alg", "c_hash", "at_hash"], false)
        case .signIn: (Set(SignInRecord.subjects), false)
        case .discover, .revoke, .introspect, .resource, .http, .pushAuthorization: ([], true)
        }
    }

    private func expectations(_ node: Node, _ what: String, action: Action?, scope: ReferenceScope) -> [Expectation] {
        guard let map = reader.mapping(node, what) else { return [] }
        return map.entries.compactMap { entry in
            var stepName: String?
            var subjectName = entry.key
            var subjectAction = action
            if action == nil {
                // `when:` looks back at an earlier step: `tokens.refresh_token: present`.
                guard let dot = entry.key.firstIndex(of: "."), let keyword = scope.steps[String(entry.key[..<dot])] else {
                    reader.error(entry.keyNode, "\(what): '\(entry.key)' must be STEP.SUBJECT naming an earlier step")
                    return nil
                }
                stepName = String(entry.key[..<dot])
                subjectName = String(entry.key[entry.key.index(after: dot)...])
                subjectAction = Self.sampleAction(keyword)
            }
            guard let subjectAction, let subject = subject(subjectName, entry.keyNode, what, action: subjectAction),
                  let matcher = matcher(entry.value, subject: subject, what, scope: scope) else { return nil }
            return Expectation(step: stepName, subject: subject, matcher: matcher, location: reader.location(of: entry.keyNode))
        }
    }

    private func subject(_ name: String, _ node: Node, _ what: String, action: Action) -> Subject? {
        switch name {
        case "status": return .status
        case "tokens":
            guard case .authorize = action else { return .tokens }
        case "redirect":
            if case .authorize = action { return .redirect }
        case "endpoint_urls":
            if case .discover = action { return .endpointURLs }
        default:
            if name.hasPrefix("header.") { return .header(String(name.dropFirst(7))) }
            let (fields, anyField) = Self.subjects(for: action)
            if anyField || fields.contains(name) { return .field(name) }
        }
        let (fields, _) = Self.subjects(for: action)
        let known = (["status", "header.NAME"] + (action.keyword == "authorize" ? ["redirect"] : ["tokens"]) + fields.sorted())
        reader.error(node, "\(what): '\(name)' is not something a \(action.keyword) step produces (known: \(known.joined(separator: ", ")))")
        return nil
    }

    static let comparisons = ["not", "contains", "lacks", "within", "at_most", "at_least", "differs_from"]

    private func matcher(_ node: Node, subject: Subject, _ what: String, scope: ReferenceScope) -> Matcher? {
        if case .sequence(let items) = node {
            let matchers = items.compactMap { matcher($0, subject: subject, what, scope: scope) }
            return matchers.count == items.count ? .oneOf(matchers) : nil
        }
        if case .mapping = node {
            // One comparison, or several that must all hold: `{ lacks: plain, contains: S256 }`.
            guard let map = reader.mapping(node, what), !map.entries.isEmpty else { return nil }
            let matchers = map.entries.compactMap { comparison($0, subject: subject, what, scope: scope) }
            guard matchers.count == map.entries.count else { return nil }
            return matchers.count == 1 ? matchers[0] : .allOf(matchers)
        }
        guard let text = reader.string(node, "\(what).\(subject.name)") else { return nil }
        let keywords: [String]
        switch subject {
        case .tokens: keywords = ["issued", "none"]
        case .redirect: keywords = ["none", "registered-only", "present"]
        case .endpointURLs: keywords = ["https"]
        case .status:
            if let hundreds = text.wholeMatch(of: #/([1-5])xx/#).flatMap({ Int($0.1) }) { return .statusClass(hundreds) }
            guard Int(text) != nil else {
                reader.error(node, "\(what).status must be a status code such as 400 or a class such as 4xx")
                return nil
            }
            return .equals(text)
        case .field("state"): keywords = ["echoed", "present", "absent"]
        case .field("iss"): keywords = ["issuer", "present", "absent"]
        default:
            guard literal(text, node, "\(what).\(subject.name)", scope: scope) else { return nil }
            return text == "present" ? .present : text == "absent" ? .absent : text == "jwt" ? .jwt : .equals(text)
        }
        guard keywords.contains(text) else {
            reader.error(node, "\(what).\(subject.name) must be one of: \(keywords.joined(separator: ", "))")
            return nil
        }
        return text == "present" ? .present : text == "absent" ? .absent : .equals(text)
    }

    private func comparison(_ entry: MappingView.Entry, subject: Subject, _ what: String, scope: ReferenceScope) -> Matcher? {
        guard Self.comparisons.contains(entry.key) else {
            reader.error(entry.keyNode, "\(what).\(subject.name): '\(entry.key)' is not a comparison (\(Self.comparisons.joined(separator: ", ")))")
            return nil
        }
        if entry.key == "not" { return matcher(entry.value, subject: subject, what, scope: scope).map(Matcher.not) }
        if case .sequence(let items) = entry.value, ["contains", "lacks"].contains(entry.key) {
            // A list means all of them: `lacks: [token, "id_token token"]`.
            let words = items.compactMap { reader.string($0, "\(what).\(subject.name).\(entry.key)") }
            guard words.count == items.count, !words.isEmpty else { return nil }
            return .allOf(words.map { entry.key == "contains" ? .contains($0) : .lacks($0) })
        }
        guard let text = reader.string(entry.value, "\(what).\(subject.name).\(entry.key)"),
              literal(text, entry.value, "\(what).\(subject.name)", scope: scope) else { return nil }
        switch entry.key {
        case "contains": return .contains(text)
        case "lacks": return .lacks(text)
        case "within": return .within(text)
        case "at_most": return .atMost(text)
        case "at_least": return .atLeast(text)
        default: return .differsFrom(text)
        }
    }

    /// Checks the templates a literal may hold; false when it has problems (reported).
    private func literal(_ text: String, _ node: Node, _ what: String, scope: ReferenceScope) -> Bool {
        guard text.contains("{{") else { return true }
        return template(node, what, scope: scope) != nil && !reader.hasErrors(at: reader.location(of: node))
    }

    /// An action of the given kind, to look up which subjects it produces.
    private static func sampleAction(_ keyword: String) -> Action {
        let placeholder = Template(pieces: [], location: SourceLocation(file: "", line: 0, column: 0))
        switch keyword {
        case "authorize": return .authorize(AuthorizeParameters(client: .public))
        case "token", "refresh", "client_credentials", "password_grant": return .clientCredentials(.init(client: .service, scope: nil))
        case "verify_id_token": return .verifyIDToken(.init(client: .public, idToken: placeholder, nonce: nil))
        case "discover": return .discover
        case "sign_in": return .signIn
        default: return .http(RawHTTPParameters(method: "GET", url: placeholder, headers: [], body: nil, permitsPlaintext: false))
        }
    }

    // MARK: Names and templates

    private func name(_ node: Node, _ text: String, _ what: String) -> Bool {
        guard text.count <= YAMLReader.longestName else {
            reader.error(node, "\(what) is \(text.count) characters long; at most \(YAMLReader.longestName)")
            return false
        }
        guard Self.isName(text) else {
            reader.error(node, "\(what) '\(text)' must be lower case letters, digits, '-' or '_'")
            return false
        }
        return true
    }

    private func template(_ node: Node, _ what: String, scope: ReferenceScope) -> Template? {
        guard let text = reader.string(node, what) else { return nil }
        switch TemplateParser.parse(text, at: reader.location(of: node)) {
        case .failure(let failure):
            reader.error(node, "\(what): \(failure.message)")
            return nil
        case .success(let template):
            for reference in template.references {
                if let problem = scope.problem(with: reference) { reader.error(node, "\(what): \(problem)") }
            }
            return template
        }
    }
}

/// What a template may refer to at a given point of a probe.
private struct ReferenceScope {
    var roles: Set<ClientRole>
    var names: Set<String> = []
    var variantKeys: Set<String> = []
    var hasMatrix = false
    /// Earlier steps by name, with their action keyword.
    var steps: [String: String] = [:]
    /// The earlier steps marked `shared`.
    var sharedSteps: [String: String] = [:]

    static let clientFields = ["client_id", "redirect_uri", "scope", "api_scope"]
    static let targetFields = ["issuer", "name", "unallowed_scope"]
    static let policyFields = ["max_access_token_lifetime", "require_iss_parameter", "refresh_reuse_grace_seconds", "max_code_lifetime"]
    static let secondResourceFields = ["url", "scope"]

    func problem(with reference: Template.Reference) -> String? {
        let path = reference.path
        switch path[0] {
        case "clients":
            guard path.count >= 3, let role = ClientRole(rawValue: path[1]), Self.clientFields.contains(path[2]) else {
                return "'{{\(reference)}}' must be clients.ROLE.(\(Self.clientFields.joined(separator: "|")))"
            }
            return roles.contains(role) ? nil : "'{{\(reference)}}' uses role '\(role.rawValue)', which is not in this probe's roles"
        case "variant":
            guard hasMatrix else { return "'{{\(reference)}}' refers to a variant but the probe has no matrix" }
            return path.count >= 2 && variantKeys.contains(path[1]) ? nil : "'{{\(reference)}}': no matrix key '\(path.count > 1 ? path[1] : "")'"
        case "endpoints":
            return path.count >= 2 && EndpointKind(rawValue: path[1]) != nil ? nil : "'{{\(reference)}}': no such endpoint"
        case "target":
            return path.count >= 2 && Self.targetFields.contains(path[1]) ? nil
                : "'{{\(reference)}}' must be target.(\(Self.targetFields.joined(separator: "|")))"
        case "policy":
            return path.count == 2 && Self.policyFields.contains(path[1]) ? nil
                : "'{{\(reference)}}' must be policy.(\(Self.policyFields.joined(separator: "|")))"
        case "metadata":
            return path.count >= 2 ? nil : "'{{\(reference)}}' must name a metadata field: metadata.token_endpoint"
        case "resource_b":
            return path.count == 2 && Self.secondResourceFields.contains(path[1]) ? nil
                : "'{{\(reference)}}' must be resource_b.(\(Self.secondResourceFields.joined(separator: "|")))"
        default:
            if names.contains(path[0]) || steps[path[0]] != nil { return nil }
            return "'{{\(reference)}}': '\(path[0])' is not a let name or an earlier step (nor clients, variant, endpoints, target, policy, metadata, resource_b)"
        }
    }
}
