import Foundation
import Yams

/// Reads a target file (interface.md, "Target file") into a `Target`. Never touches the network.
public struct TargetLoader {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The target, or every problem in the file. Warnings come back with a valid target too.
    public func load(file path: String) -> (target: Target?, diagnostics: [Diagnostic]) {
        let reader = YAMLReader(file: path)
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            reader.error(at: SourceLocation(file: path, line: 1, column: 1), "cannot read the file")
            return (nil, reader.diagnostics)
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        let parse = TargetParse(reader: reader, substitution: Substitution(baseDirectory: base, environment: environment), file: path)
        let target = reader.compose(text).flatMap(parse.target)
        return (reader.hasErrors ? nil : target, reader.diagnostics)
    }
}

/// One pass over one target file.
private struct TargetParse {
    let reader: YAMLReader
    let substitution: Substitution
    let file: String

    static let keys = ["name", "issuer", "endpoints", "allow_insecure_http", "tls", "clients", "user", "login",
                       "resource", "resource_b", "policy", "unallowed_scope", "max_concurrency", "max_requests_per_second"]

    func target(_ root: Node) -> Target? {
        guard let map = reader.mapping(root, "a target file") else { return nil }
        map.check(reader, "target", allowed: Self.keys, required: ["name", "issuer"])

        let allowInsecure = map["allow_insecure_http"].flatMap { reader.bool($0, "allow_insecure_http") } ?? false
        let name = map["name"].flatMap { reader.name($0, "name") == nil ? nil : plain($0, "name") }
        let issuer = map["issuer"].flatMap { url($0, "issuer", allowInsecure: allowInsecure) }
        var target = Target(name: name ?? "", issuer: issuer ?? "", allowInsecureHTTP: allowInsecure, file: file)
        target.issuerLocation = map.entry("issuer").map { reader.location(of: $0.keyNode) }

        if let node = map["endpoints"], let endpoints = reader.mapping(node, "endpoints") {
            for entry in endpoints.entries {
                guard let kind = EndpointKind(rawValue: entry.key), kind != .resource else {
                    let names = EndpointKind.allCases.filter { $0 != .resource }.map(\.rawValue).joined(separator: ", ")
                    reader.error(entry.keyNode, "endpoints: unknown endpoint '\(entry.key)' (known: \(names))")
                    continue
                }
                target.endpoints[kind.rawValue] = url(entry.value, "endpoints.\(entry.key)", allowInsecure: allowInsecure)
            }
        }
        if let node = map["tls"], let tls = reader.mapping(node, "tls") {
            tls.check(reader, "tls", allowed: ["ca_file"])
            if let caNode = tls["ca_file"], let path = plain(caNode, "tls.ca_file") {
                let resolved = URL(fileURLWithPath: path, relativeTo: substitution.baseDirectory).standardizedFileURL.path
                if !FileManager.default.isReadableFile(atPath: resolved) {
                    reader.error(caNode, "tls.ca_file: cannot read \(resolved)")
                } else if !Self.isPEMCertificates(atPath: resolved) {
                    reader.error(caNode, "tls.ca_file: \(resolved) is not a PEM file of certificates (no '-----BEGIN CERTIFICATE-----')")
                } else {
                    target.caFile = resolved
                }
            }
        }
        if let node = map["clients"], let clients = reader.mapping(node, "clients") {
            for entry in clients.entries {
                guard let role = ClientRole(rawValue: entry.key) else {
                    let names = ClientRole.allCases.map(\.rawValue).joined(separator: ", ")
                    reader.error(entry.keyNode, "clients: unknown role '\(entry.key)' (roles: \(names))")
                    continue
                }
                target.clients[role] = client(entry.value, role: role, allowInsecure: allowInsecure)
            }
        }
        if let node = map["user"], let user = reader.mapping(node, "user") {
            user.check(reader, "user", allowed: ["username", "password", "totp"], required: ["username", "password"])
            if let username = user["username"].flatMap({ substituted($0, "user.username")?.value }),
               let password = user["password"].flatMap({ secret($0, "user.password") }) {
                target.user = UserCredentials(username: username, password: password, totp: user["totp"].flatMap(totp))
            }
        }
        if let node = map["login"] { target.login = login(node, issuer: issuer, allowInsecure: allowInsecure) ?? LoginSettings() }
        if let node = map["resource"], let resource = reader.mapping(node, "resource") {
            resource.check(reader, "resource", allowed: ["url"], required: ["url"])
            target.resourceURL = resource["url"].flatMap { url($0, "resource.url", allowInsecure: allowInsecure) }
        }
        if let node = map["resource_b"], let resource = reader.mapping(node, "resource_b") {
            resource.check(reader, "resource_b", allowed: ["url", "scope"], required: ["url", "scope"])
            if let url = resource["url"].flatMap({ url($0, "resource_b.url", allowInsecure: allowInsecure) }),
               let scope = resource["scope"].flatMap({ plain($0, "resource_b.scope") }) {
                target.resourceB = SecondResource(url: url, scope: scope)
            }
        }
        if let node = map["policy"], let policy = reader.mapping(node, "policy") {
            policy.check(reader, "policy", allowed: ["max_access_token_lifetime", "require_iss_parameter", "opt_in", "refresh_reuse_grace_seconds",
                                                     "max_code_lifetime"])
            if let node = policy["max_code_lifetime"], let seconds = reader.int(node, "policy.max_code_lifetime") {
                if !(1...Step.longestWait).contains(seconds) {
                    reader.error(node, "policy.max_code_lifetime: give 1 to \(Step.longestWait) seconds (code.lifetime waits it out)")
                }
                target.policy.maxCodeLifetime = seconds
            }
            if let node = policy["refresh_reuse_grace_seconds"], let seconds = reader.int(node, "policy.refresh_reuse_grace_seconds") {
                if !(0...Step.longestWait).contains(seconds) {
                    reader.error(node, "policy.refresh_reuse_grace_seconds: give 0 to \(Step.longestWait) seconds (probes wait it out)")
                }
                target.policy.refreshReuseGraceSeconds = seconds
            }
            target.policy.maxAccessTokenLifetime = policy["max_access_token_lifetime"]
                .flatMap { reader.int($0, "policy.max_access_token_lifetime") }
            target.policy.requireIssParameter = policy["require_iss_parameter"].flatMap { reader.bool($0, "policy.require_iss_parameter") } ?? false
            target.policy.optIn = Set(policy["opt_in"].flatMap { reader.strings($0, "policy.opt_in") } ?? [])
        }
        target.unallowedScope = map["unallowed_scope"].flatMap { plain($0, "unallowed_scope") }
        // One scope token (RFC 6749 §3.3): probes add it to a scope and look for it in the grant.
        if let node = map["unallowed_scope"], let scope = target.unallowedScope,
           scope.isEmpty || scope.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "\"" || $0 == "\\" || $0.value == 0x7F }) {
            reader.error(node, "unallowed_scope: give one scope token (RFC 6749 §3.3: no spaces, quotes or backslashes), not '\(scope)'")
        }
        if let node = map["max_concurrency"], let limit = reader.int(node, "max_concurrency") {
            if limit < 1 { reader.error(node, "max_concurrency must be at least 1") }
            target.maxConcurrency = limit
        }
        if let node = map["max_requests_per_second"], let rate = reader.double(node, "max_requests_per_second") {
            if !(rate > 0) { reader.error(node, "max_requests_per_second must be more than 0") }
            target.maxRequestsPerSecond = rate
        }
        if target.clients.isEmpty { reader.error(root, "target: no clients; name at least one role under 'clients'") }
        return target
    }

    /// Trust anchors libcurl can read: PEM certificates, in a file of at most 16 MiB.
    static func isPEMCertificates(atPath path: String) -> Bool {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size < 16 << 20,
              let data = FileManager.default.contents(atPath: path) else { return false }
        return String(decoding: data, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----")
    }

    // MARK: Sign-in

    private func login(_ node: Node, issuer: String?, allowInsecure: Bool) -> LoginSettings? {
        guard let map = reader.mapping(node, "login") else { return nil }
        map.check(reader, "login", allowed: ["strategy", "sign_in", "consent", "authorize_parameters", "cookie", "session_cookie", "fields"],
                  required: ["strategy"])
        guard let strategyNode = map["strategy"], let strategy = reader.oneOf(strategyNode, "login.strategy", LoginStrategy.self) else { return nil }
        var login = LoginSettings(strategy: strategy)
        login.sessionCookieName = map["session_cookie"].flatMap { plain($0, "login.session_cookie") }
        if let node = map["fields"], let fields = reader.mapping(node, "login.fields") {
            fields.check(reader, "login.fields", allowed: ["username", "password", "one_time_code"], required: [])
            login.fields = SignInFieldNames(username: fields["username"].flatMap { plain($0, "login.fields.username") },
                                            password: fields["password"].flatMap { plain($0, "login.fields.password") },
                                            oneTimeCode: fields["one_time_code"].flatMap { plain($0, "login.fields.one_time_code") })
            if strategy != .form { reader.error(map.entry("fields")!.keyNode, "login.fields is for strategy form") }
        }
        login.signIn = map["sign_in"].flatMap { requests($0, "login.sign_in", issuer: issuer, allowInsecure: allowInsecure) } ?? []
        login.consent = map["consent"].flatMap { requests($0, "login.consent", issuer: issuer, allowInsecure: allowInsecure) } ?? []
        if let node = map["authorize_parameters"], let parameters = reader.mapping(node, "login.authorize_parameters") {
            login.authorizeParameters = parameters.entries.compactMap { entry in
                loginTemplate(entry.value, "login.authorize_parameters.\(entry.key)").map { (entry.key, $0) }
            }
        }
        if let node = map["cookie"], let cookie = reader.mapping(node, "login.cookie") {
            cookie.check(reader, "login.cookie", allowed: ["name", "value", "domain"], required: ["name", "value"])
            if let name = cookie["name"].flatMap({ plain($0, "login.cookie.name") }),
               let value = cookie["value"].flatMap({ secret($0, "login.cookie.value") }) {
                login.cookie = SessionCookie(name: name, value: value, domain: cookie["domain"].flatMap { plain($0, "login.cookie.domain") })
            }
        }
        switch strategy {
        case .steps where map["sign_in"] == nil:
            reader.error(node, "login: strategy steps needs 'sign_in', the calls that sign the user in")
        case .cookie where map["cookie"] == nil:
            reader.error(node, "login: strategy cookie needs 'cookie: { name, value }'")
        default:
            for key in ["sign_in", "consent"] where strategy == .form {
                if let entry = map.entry(key) { reader.error(entry.keyNode, "login.\(key) is for strategy steps") }
            }
        }
        return login
    }

    private func requests(_ node: Node, _ what: String, issuer: String?, allowInsecure: Bool) -> [LoginRequest]? {
        reader.sequence(node, what)?.enumerated().compactMap { index, item in
            let what = "\(what)[\(index + 1)]"
            guard let map = reader.mapping(item, what) else { return nil }
            map.check(reader, what, allowed: ["method", "url", "headers", "body", "expect_status"], required: ["url"])
            let method = map["method"].flatMap { reader.string($0, "\(what).method") } ?? "GET"
            var headers: [(name: String, value: Template)] = []
            // What the environment or a file puts in headers and body is a credential (an API key, a cookie).
            var carried = [map["body"]].compactMap { $0 }
            if let node = map["headers"], let headerMap = reader.mapping(node, "\(what).headers") {
                headers = headerMap.entries.compactMap { entry in loginTemplate(entry.value, "\(what).headers").map { (entry.key, $0) } }
                carried += headerMap.entries.map(\.value)
            }
            var expected: [Int] = []
            if let node = map["expect_status"] {
                if case .sequence(let items) = node {
                    expected = items.compactMap { reader.int($0, "\(what).expect_status") }
                } else if let status = reader.int(node, "\(what).expect_status") {
                    expected = [status]
                }
            }
            guard let urlNode = map["url"], let url = loginTemplate(urlNode, "\(what).url") else { return nil }
            // Where the call goes must be known before anything is sent: credentials go only there.
            switch (url.pieces.first, url.fixedURL(issuer: issuer ?? "")) {
            case (_, nil):
                reader.error(urlNode, "\(what).url '\(url)' is not an absolute http(s) URL: start it with https://host/ or {{issuer}}")
            case (.text?, let fixed?):
                _ = checkedURL(fixed, at: urlNode, "\(what).url", allowInsecure: allowInsecure, shown: url.description)
            default:
                break // {{issuer}}…: checked as the issuer
            }
            return LoginRequest(method: method, url: url, headers: headers, body: map["body"].flatMap { loginTemplate($0, "\(what).body") },
                                expectStatus: expected, location: reader.location(of: item), secrets: carried.flatMap(insertedSecrets))
        }
    }

    static let loginReferences: Set<String> = ["user.username", "user.password", "user.totp", "client_id", "scope", "redirect_uri", "issuer"]

    /// A template in a login call: `${env:}` substituted now, `{{ }}` filled at sign-in.
    private func loginTemplate(_ node: Node, _ what: String) -> Template? {
        guard let text = plain(node, what) else { return nil }
        switch TemplateParser.parse(text, at: reader.location(of: node)) {
        case .failure(let failure):
            reader.error(node, "\(what): \(failure.message)")
            return nil
        case .success(let template):
            for reference in template.references where !Self.loginReferences.contains(reference.path.joined(separator: ".")) {
                reader.error(node, "\(what): '{{\(reference)}}' is not one of \(Self.loginReferences.sorted().joined(separator: ", "))")
            }
            return template
        }
    }

    private func client(_ node: Node, role: ClientRole, allowInsecure: Bool) -> Client? {
        guard let map = reader.mapping(node, "clients.\(role.rawValue)") else { return nil }
        let what = "clients.\(role.rawValue)"
        map.check(reader, what, allowed: ["client_id", "secret", "redirect_uri", "scope", "auth_method"], required: ["client_id"])
        let clientID = map["client_id"].flatMap { substituted($0, "\(what).client_id")?.value }
        let secret = map["secret"].flatMap { self.secret($0, "\(what).secret") }
        // Redirect URIs are never fetched, only compared: any absolute URI is accepted.
        let redirectURI = map["redirect_uri"].flatMap { plain($0, "\(what).redirect_uri") }
        if let redirectURI, let node = map["redirect_uri"], URLParts(redirectURI) == nil {
            reader.error(node, "\(what).redirect_uri '\(redirectURI)' is not an absolute URI")
        }
        let scope = map["scope"].flatMap { plain($0, "\(what).scope") }
        let isConfidential = [.confidential, .confidentialB, .service, .disabled].contains(role)
        var method: ClientAuthMethod = isConfidential ? .clientSecretBasic : .none
        if let methodNode = map["auth_method"], let chosen = reader.oneOf(methodNode, "\(what).auth_method", ClientAuthMethod.self) {
            method = chosen
        }
        if isConfidential && secret == nil && map["secret"] == nil {
            reader.error(node, "\(what): a \(role.rawValue) client needs its secret")
        }
        if !isConfidential, let secretNode = map["secret"] {
            reader.warning(secretNode, "\(what): a public client has no secret (seed page: only confidential clients can have secrets); it is ignored")
        }
        if role != .service && redirectURI == nil {
            reader.error(node, "\(what): missing 'redirect_uri'")
        }
        guard let clientID else { return nil }
        return Client(clientID: clientID, secret: isConfidential ? secret : nil, redirectURI: redirectURI, scope: scope, authMethod: method)
    }

    // MARK: Values

    private func substituted(_ node: Node, _ what: String) -> (value: String, origin: String?)? {
        guard let text = reader.string(node, what) else { return nil }
        // `oauthprobe init` writes `<…>` where only the user knows the value.
        if let placeholder = text.firstMatch(of: #/<[^<>]+>/#) {
            reader.error(node, "\(what): fill in the placeholder \(placeholder.output)")
            return nil
        }
        switch substitution.apply(text) {
        case .success(let result): return (result.value, result.origin)
        case .failure(.message(let message)):
            reader.error(node, "\(what): \(message)")
            return nil
        }
    }

    /// The values `${env:}` and `${file:}` put into this value.
    private func insertedSecrets(_ node: Node) -> [Secret] {
        guard case .scalar(let scalar) = node, case .success(let result) = substitution.apply(scalar.string) else { return [] }
        return result.inserted
    }

    /// A value that is not a secret; `${...}` is still allowed (a client id from the environment).
    private func plain(_ node: Node, _ what: String) -> String? { substituted(node, what)?.value }

    /// `user.totp`: the base32 secret, or `{ secret, algorithm, digits, period }` (RFC 6238).
    private func totp(_ node: Node) -> OneTimePassword? {
        var secretNode = node
        var settings: MappingView?
        if case .mapping = node, let map = reader.mapping(node, "user.totp") {
            map.check(reader, "user.totp", allowed: ["secret", "algorithm", "digits", "period"], required: ["secret"])
            guard let node = map["secret"] else { return nil }
            secretNode = node
            settings = map
        }
        let secret = secret(secretNode, "user.totp")
        let readable = secret.map { OneTimePassword.key(fromBase32: $0.value) != nil } ?? false
        if secret != nil, !readable {
            reader.error(secretNode, "user.totp is not a base32 secret (RFC 4648 §6, as authenticator apps take it)")
        }
        var otp = OneTimePassword(secret: secret ?? Secret("", origin: nil))
        if let node = settings?["algorithm"], let algorithm = reader.oneOf(node, "user.totp.algorithm", OneTimePassword.Algorithm.self) {
            otp.algorithm = algorithm
        }
        if let node = settings?["digits"], let digits = reader.int(node, "user.totp.digits") {
            if (6...8).contains(digits) { otp.digits = digits } else { reader.error(node, "user.totp.digits must be 6, 7 or 8 (RFC 4226 §5.3)") }
        }
        if let node = settings?["period"], let period = reader.int(node, "user.totp.period") {
            if (1...300).contains(period) { otp.period = period } else { reader.error(node, "user.totp.period must be 1 to 300 seconds") }
        }
        return readable ? otp : nil
    }

    private func secret(_ node: Node, _ what: String) -> Secret? {
        guard let (value, origin) = substituted(node, what) else { return nil }
        if origin == nil {
            reader.warning(node, "\(what) is written inline; take it from ${env:NAME} or ${file:PATH}")
        }
        if value.isEmpty { reader.error(node, "\(what) is empty") }
        return Secret(value, origin: origin)
    }

    private func url(_ node: Node, _ what: String, allowInsecure: Bool) -> String? {
        guard let text = plain(node, what) else { return nil }
        return checkedURL(text, at: node, what, allowInsecure: allowInsecure, shown: text)
    }

    /// The URL if oauthprobe can send to it: http(s), a port libcurl accepts, plain http only
    /// where the target allows it. `shown` is how the problem quotes it (a template as written).
    private func checkedURL(_ text: String, at node: Node, _ what: String, allowInsecure: Bool, shown: String) -> String? {
        // RFC 3986 has no room for a space or a control character anywhere in a URL: a server
        // would read another URL than the one written, or none.
        if let blank = text.unicodeScalars.first(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) {
            let name = blank == " " ? "a space (%20 percent-encoded)" : "U+\(String(blank.value, radix: 16, uppercase: true).leftPadded(to: 4))"
            reader.error(node, "\(what) '\(shown)' contains \(name): a URL holds no spaces or control characters; percent-encode it or remove it")
            return nil
        }
        guard let parts = URLParts(text), ["https", "http"].contains(parts.scheme.lowercased()) else {
            reader.error(node, "\(what) '\(shown)' is not an http(s) URL")
            return nil
        }
        if let port = parts.port, !port.isEmpty, !(Int(port).map { (1...65_535).contains($0) } ?? false) {
            reader.error(node, "\(what) '\(shown)': port \(port) is not between 1 and 65535")
            return nil
        }
        if parts.scheme.lowercased() == "http" && !allowInsecure {
            reader.error(node, "\(what) uses http://; set allow_insecure_http: true for a local server, or use https")
            return nil
        }
        if parts.scheme.lowercased() == "http" && !parts.isLoopback {
            reader.warning(node, "\(what): plain http to a host that is not loopback (\(parts.host)); secrets are never sent there")
        }
        return text
    }
}
