import Foundation

/// Fills templates from the target, the variant, `let` bindings and earlier outcomes.
struct TemplateContext {
    var target: Target
    var endpoints: EndpointMap
    var variant: Variant?
    var bindings: [String: String] = [:]
    var outcomes: [String: StepOutcome] = [:]

    func render(_ template: Template) throws -> String {
        try template.pieces.map { piece in
            switch piece {
            case .text(let text): text
            case .reference(let reference): try value(of: reference)
            }
        }.joined()
    }

    /// A literal that may hold `{{ }}` (expectation values), parsed now: the loader checked it.
    func render(text: String, at location: SourceLocation) throws -> String {
        guard text.contains("{{") else { return text }
        switch TemplateParser.parse(text, at: location) {
        case .success(let template): return try render(template)
        case .failure(let failure): throw ProbeError("\(location): \(failure.message)")
        }
    }

    func value(of reference: Template.Reference) throws -> String {
        let path = reference.path
        // The longest prefix that names a value; what follows picks a part of it as a URL.
        for split in stride(from: path.count, through: 1, by: -1) {
            guard let base = try lookup(Array(path[..<split])) else { continue }
            var value = base
            for accessor in path[split...] {
                guard let part = Self.urlPart(accessor, of: value) else {
                    // A URI with no authority (a native app's custom scheme) has no parts to bend.
                    if URLParts(value) == nil {
                        throw ProbeSkip("'\(value)' has no host to take the \(accessor) of (a custom scheme?), so {{\(reference)}} cannot be built")
                    }
                    throw ProbeError("{{\(reference)}}: '\(accessor)' is not a part of the URL '\(value)'")
                }
                value = part
            }
            return try reference.filters.reduce(value) { try Self.apply($1, to: $0) }
        }
        throw ProbeError("{{\(reference)}} has no value on this target\(missingHint(path))")
    }

    private func missingHint(_ path: [String]) -> String {
        guard let outcome = outcomes[path[0]], path.count > 1 else { return "" }
        return " (step '\(path[0])': \(outcome.summary))"
    }

    /// The value at exactly this path, nil if the path names nothing (yet).
    private func lookup(_ path: [String]) throws -> String? {
        switch (path.first, path.count) {
        case ("clients", 3):
            guard let role = ClientRole(rawValue: path[1]), let client = target.clients[role] else { return nil }
            switch path[2] {
            case "client_id": return client.clientID
            case "redirect_uri": return client.redirectURI
            case "scope": return client.scope
            case "api_scope":
                // For grants without a user: the client's scope without the identity scopes.
                let api = IdentityScopes.apiScopes(of: client.scope ?? "")
                if api.isEmpty {
                    throw ProbeSkip("the \(role.rawValue) client has no scope but identity scopes (\(client.scope ?? "none")), and a grant without a user asks for API scopes only")
                }
                return api.joined(separator: " ")
            default: return nil
            }
        case ("variant", 2):
            return try variant?.values[path[1]].map(render)
        case ("endpoints", 2):
            guard let kind = EndpointKind(rawValue: path[1]) else { return nil }
            if let refusal = endpoints.untrustedRefusal(for: [kind]) { throw ProbeError(refusal) }
            // An endpoint the server does not have makes the probe not applicable, as a missing
            // role does.
            guard let url = endpoints.url(kind) else {
                throw ProbeSkip("the target has no \(kind == .resource ? "resource.url" : "\(kind.rawValue) endpoint") (not in metadata nor in the target file)")
            }
            return url
        case ("policy", 2):
            return target.policy.values[path[1]]
        case ("resource_b", 2):
            switch path[1] {
            case "url": return target.resourceB?.url
            case "scope": return target.resourceB?.scope
            default: return nil
            }
        case ("metadata", 2):
            return endpoints.metadata?[path[1]]?.text
        case ("target", 2):
            switch path[1] {
            case "issuer": return target.issuer
            case "name": return target.name
            case "unallowed_scope": return target.unallowedScope
            default: return nil
            }
        case (let name?, 1):
            return bindings[name]
        case (let name?, 2):
            return outcomes[name]?.fields[path[1]]
        default:
            return nil
        }
    }

    static func urlPart(_ accessor: String, of value: String) -> String? {
        guard let url = URLParts(value) else { return nil }
        switch accessor {
        case "scheme": return url.scheme
        case "userinfo": return url.userinfo ?? ""
        case "host": return url.host
        case "port": return url.port ?? ""
        case "port_suffix": return url.port.map { ":\($0)" } ?? ""
        case "hostport": return url.hostPort
        case "authority": return url.authority
        case "origin": return url.origin
        case "path": return url.path
        case "query": return url.query ?? ""
        case "fragment": return url.fragment ?? ""
        case "base": return url.base
        case "query_separator": return url.query == nil ? "?" : "&"
        default: return nil
        }
    }

    /// Seconds `with_skew` adds to a lifetime.
    static let lifetimeSkew = 5

    static func apply(_ filter: String, to value: String) throws -> String {
        switch filter {
        case "upper": return value.uppercased()
        case "lower": return value.lowercased()
        case "percent_encode":
            // Every byte but '/' as %XX: the same path to a decoder, different bytes on the wire.
            return value.utf8.map { $0 == UInt8(ascii: "/") ? "/" : "%" + String($0, radix: 16, uppercase: true).leftPadded(to: 2) }.joined()
        case "json":
            // A JSON string literal, quotes included: for request bodies such as `{"password": {{user.password | json}}}`.
            let data = try? JSONSerialization.data(withJSONObject: [value], options: [.withoutEscapingSlashes])
            return data.map { String(decoding: $0.dropFirst().dropLast(), as: UTF8.self) } ?? "\"\""
        case "form": return FormEncoding.encode(value)
        case "base64": return Data(value.utf8).base64EncodedString()
        case "with_skew":
            // A lifetime in seconds and 5 more: a server may round a lifetime to the whole second
            // and allow a few seconds of clock skew, so waiting it out exactly proves nothing.
            guard let seconds = Int(value) else { throw ProbeError("with_skew: '\(value)' is not a number of seconds") }
            return String(seconds + Self.lifetimeSkew)
        case "http_scheme":
            // The same URL over plain http: for probes that check nothing is served there.
            guard let url = URLParts(value) else { return value }
            return "http" + value.dropFirst(url.scheme.count)
        case "default_port":
            guard let url = URLParts(value), url.port != nil else { return value }
            return value.replacingOccurrences(of: "://\(url.authority)", with: "://\((url.userinfo.map { "\($0)@" } ?? ""))\(url.host)")
        case "tamper":
            if let jwt = CompactJWT(value) { return jwt.withTamperedSignature }
            return String(value.dropLast()) + CompactJWT.alterFirstCharacter(of: Substring(value.suffix(1)))
        case "alg_none":
            guard let jwt = CompactJWT(value) else { throw ProbeError("alg_none: the value is not a JWT") }
            return jwt.withAlgorithmNone
        default: return value
        }
    }
}
