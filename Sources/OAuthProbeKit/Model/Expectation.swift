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

    public var name: String {
        switch self {
        case .status: "status"
        case .tokens: "tokens"
        case .field(let name): name
        case .redirect: "redirect"
        case .header(let name): "header.\(name)"
        }
    }
}

public enum Matcher: Sendable, Hashable, CustomStringConvertible {
    case present
    case absent
    /// A literal, or a keyword the subject defines (`issued`, `none`, `registered-only`, `echoed`).
    case equals(String)
    /// A status class such as `4xx`.
    case statusClass(Int)
    case oneOf([Matcher])

    public var description: String {
        switch self {
        case .present: "present"
        case .absent: "absent"
        case .equals(let value): value
        case .statusClass(let hundreds): "\(hundreds)xx"
        case .oneOf(let matchers): "one of [\(matchers.map(\.description).joined(separator: ", "))]"
        }
    }
}
