/// What a step's outcome is checked against: `code: absent`, `status: 4xx`, `tokens: none`.
/// In `when:` the subject names an earlier step: `tokens.refresh_token: present`.
public struct Expectation: Sendable, Hashable, CustomStringConvertible {
    public var step: String?
    public var subject: Subject
    public var matcher: Matcher
    public var location: SourceLocation

    public init(step: String? = nil, subject: Subject, matcher: Matcher, location: SourceLocation) {
        self.step = step
        self.subject = subject
        self.matcher = matcher
        self.location = location
    }

    public var description: String {
        "\(step.map { "\($0)." } ?? "")\(subject.name): \(matcher)"
    }

    /// `tokens: none`: the step must be refused.
    public var isRefusal: Bool { subject == .tokens && matcher == .equals("none") }
}

/// The observable facts of an outcome that suites may check. Each is judged on what the server
/// did (tokens issued, where the browser was sent), never on one server's error wording.
public enum Subject: Sendable, Hashable {
    /// HTTP status of the step's final response.
    case status
    /// `issued` when the response carries an access token, `none` otherwise.
    case tokens
    /// A field of the outcome: `code`, `state`, `error`, `iss`, `access_token`, `refresh_token`…
    case field(String)
    /// Where the browser went when it left the identity server: `none`, `registered-only`, `present`.
    case redirect
    /// A response header, by name.
    case header(String)
    /// Discover only: every endpoint URL of the metadata document (`https`).
    case endpointURLs

    public var name: String {
        switch self {
        case .status: "status"
        case .tokens: "tokens"
        case .field(let name): name
        case .redirect: "redirect"
        case .header(let name): "header.\(name)"
        case .endpointURLs: "endpoint_urls"
        }
    }
}

public enum Matcher: Sendable, Hashable, CustomStringConvertible {
    case present
    case absent
    /// A literal, or a keyword the subject defines (`issued`, `none`, `registered-only`, `echoed`).
    /// Literals may hold `{{ }}` templates, filled when the expectation is judged.
    case equals(String)
    /// A status class such as `4xx`.
    case statusClass(Int)
    case oneOf([Matcher])
    /// Every one must hold: `lacks: [token, "id_token token"]`.
    case allOf([Matcher])
    indirect case not(Matcher)
    /// Member of a JSON array, or one of the words of a space- or comma-separated value
    /// (a scope, a Cache-Control header); words compare case-insensitively.
    case contains(String)
    case lacks(String)
    /// Every word of the value is one of these words (a granted scope within the requested one).
    case within(String)
    case atMost(String)
    case atLeast(String)
    case differsFrom(String)
    /// A JWS in compact form: three base64url parts, a JSON header with `alg`.
    case jwt

    public var description: String {
        switch self {
        case .present: "present"
        case .absent: "absent"
        case .equals(let value): value
        case .statusClass(let hundreds): "\(hundreds)xx"
        case .oneOf(let matchers): "one of [\(matchers.map(\.description).joined(separator: ", "))]"
        case .allOf(let matchers): matchers.map(\.description).joined(separator: " and ")
        case .not(let matcher): "not \(matcher)"
        case .contains(let value): "contains \(value)"
        case .lacks(let value): "lacks \(value)"
        case .within(let value): "within \(value)"
        case .atMost(let value): "at most \(value)"
        case .atLeast(let value): "at least \(value)"
        case .differsFrom(let value): "differs from \(value)"
        case .jwt: "a JWT"
        }
    }

    /// The matcher with every literal passed through `transform` (templates filled in).
    public func mapLiterals(_ transform: (String) throws -> String) rethrows -> Matcher {
        switch self {
        case .present, .absent, .statusClass, .jwt: self
        case .equals(let value): .equals(try transform(value))
        case .oneOf(let matchers): .oneOf(try matchers.map { try $0.mapLiterals(transform) })
        case .allOf(let matchers): .allOf(try matchers.map { try $0.mapLiterals(transform) })
        case .not(let matcher): .not(try matcher.mapLiterals(transform))
        case .contains(let value): .contains(try transform(value))
        case .lacks(let value): .lacks(try transform(value))
        case .within(let value): .within(try transform(value))
        case .atMost(let value): .atMost(try transform(value))
        case .atLeast(let value): .atLeast(try transform(value))
        case .differsFrom(let value): .differsFrom(try transform(value))
        }
    }

    /// Compares a number: with no number given there is nothing to compare.
    public var comparesNumbers: Bool {
        switch self {
        case .atMost, .atLeast: true
        case .oneOf(let matchers), .allOf(let matchers): matchers.contains(where: \.comparesNumbers)
        case .not(let matcher): matcher.comparesNumbers
        default: false
        }
    }

    /// Every literal, for checking the templates they hold when a suite loads.
    public var literals: [String] {
        switch self {
        case .present, .absent, .statusClass, .jwt: []
        case .equals(let value), .contains(let value), .lacks(let value), .within(let value),
             .atMost(let value), .atLeast(let value), .differsFrom(let value): [value]
        case .oneOf(let matchers), .allOf(let matchers): matchers.flatMap(\.literals)
        case .not(let matcher): matcher.literals
        }
    }
}
