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
    /// Names bound once per run: `registered: "{{clients.public.redirect_uri}}"`.
    public var bindings: [(name: String, value: Template)]
    public var variants: [Variant]
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

/// A suite file: the probes of one seed heading.
public struct Suite: Sendable {
    /// The file's base name without extension: `redirect-uris`.
    public var name: String
    public var practice: String
    public var file: String
    public var probes: [Probe]
}
