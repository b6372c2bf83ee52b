/// How much a failure matters, in the words SARIF and reviewers use.
public enum Severity: String, Sendable, CaseIterable, Codable, Comparable {
    case low, medium, high, critical

    public static func < (a: Severity, b: Severity) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The endpoints a probe can need, by their metadata names (RFC 8414 §2) without `_endpoint`.
public enum EndpointKind: String, Sendable, CaseIterable, Codable {
    case authorization, token, revocation, introspection, userinfo, jwks
    /// The target's protected resource, from its `resource.url`.
    case resource
    /// RFC 9126 §5: `pushed_authorization_request_endpoint`.
    case pushedAuthorizationRequest = "pushed_authorization_request"

    /// The key in the metadata document.
    public var metadataKey: String {
        switch self {
        case .jwks: "jwks_uri"
        case .resource: "resource"
        default: "\(rawValue)_endpoint"
        }
    }
}

/// One variant of a probe: a name and the values `{{variant.KEY}}` takes.
public struct Variant: Sendable, Hashable {
    public var name: String
    public var values: [String: Template]
    public var location: SourceLocation
}

/// A check of one practice, written in a suite file.
public struct Probe: Sendable {
    public var id: String
    public var title: String
    public var practice: String
    public var refs: [String]
    public var severity: Severity
    public var roles: [ClientRole]
    public var endpoints: [EndpointKind]
    /// Whether the probe signs the user in (any authorize step), so the target needs a user.
    public var needsUser: Bool { steps.contains { if case .authorize = $0.action { true } else { false } } }

    /// The probe revokes a token or presents a code twice. Keycloak and IdentityServer answer
    /// either by revoking every token of that client for the user (RFC 7009 §2.1, RFC 6749
    /// §4.1.2 allow it), which would kill the tokens other probes hold: such probes run alone,
    /// after the others of their target.
    public var endsGrants: Bool {
        var redeemed: Set<String> = []
        for step in steps {
            switch step.action {
            case .revoke: return true
            case .token(let parameters):
                guard let from = parameters.from else { continue }
                if !redeemed.insert(from).inserted { return true }
            default: continue
            }
        }
        return false
    }
    /// Names bound once per run: `registered: "{{clients.public.redirect_uri}}"`.
    public var bindings: [(name: String, value: Template)]
    public var variants: [Variant]
    /// Conditions under which the probe does not apply, checked before anything is sent.
    public var skipWhen: [SkipCondition] = []
    public var steps: [Step]
    /// Set for probes that do something a production owner must agree to (such as sending a
    /// real secret in a URL, where servers log it): they run only on targets whose
    /// `policy.opt_in` lists this name.
    public var optIn: String?
    public var location: SourceLocation

    public init(id: String, title: String, practice: String, refs: [String], severity: Severity,
                roles: [ClientRole], endpoints: [EndpointKind], bindings: [(name: String, value: Template)] = [],
                variants: [Variant] = [], steps: [Step], optIn: String? = nil, location: SourceLocation) {
        self.optIn = optIn
        self.id = id
        self.title = title
        self.practice = practice
        self.refs = refs
        self.severity = severity
        self.roles = roles
        self.endpoints = endpoints
        self.bindings = bindings
        self.variants = variants
        self.steps = steps
        self.location = location
    }
}

/// A probe-level `skip_when` entry: values that, compared so, make the probe not applicable,
/// with the reason reports give.
public struct SkipCondition: Sendable {
    public enum Comparison: String, Sendable, CaseIterable {
        /// Every value renders to the same text: the variant is no variant here.
        case equal
        /// Two URIs that differ in the port alone, on a loopback IP host: RFC 8252 §7.3 lets a
        /// native app's loopback redirect URI take any port.
        case loopbackPortOnly = "loopback_port_only"

        public func holds(_ values: [String]) -> Bool {
            switch self {
            case .equal:
                return Set(values).count == 1
            case .loopbackPortOnly:
                let urls = values.compactMap(URLParts.init)
                guard urls.count == values.count, let first = urls.first, first.isLoopbackIP else { return false }
                let portless = Set(urls.map { "\($0.scheme.lowercased())://\($0.host.lowercased())\($0.path)?\($0.query ?? "")" })
                return portless.count == 1 && Set(urls.map(\.port)).count > 1
            }
        }
    }

    public var comparison: Comparison
    public var values: [Template]
    public var because: String
}

/// A suite file: the probes of one seed heading.
public struct Suite: Sendable {
    /// The file's base name without extension: `redirect-uris`.
    public var name: String
    public var practice: String
    public var file: String
    public var probes: [Probe]
}
