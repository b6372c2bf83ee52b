import Foundation

/// One header line, kept as written (name case, order and duplicates matter to probes).
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) {
        self.init(name: name, value: value)
    }
}

/// A request sent exactly as built: probes test how servers react to precise bytes.
public struct HTTPRequest: Sendable {
    /// Sent as written (case included).
    public var method: String
    /// Sent exactly as written: no normalisation, no re-encoding (`\ @ %2F %zz é /a/../b` stay).
    /// Must start with `http://` or `https://`. A `#fragment` is never sent (it is not part of an
    /// HTTP request target) and user info before `@` in the authority is dropped rather than
    /// turned into an Authorization header.
    public var url: String
    /// Exactly these headers, plus only what HTTP requires (`Host`, `Content-Length` for a body)
    /// and cookies from the agent's jar. libcurl's defaults (`Accept: */*`, the form
    /// `Content-Type` on POST, `Expect: 100-continue`) are suppressed unless given here.
    public var headers: [HTTPHeader]
    /// `nil`: no body. Empty `Data()`: a body of length 0 (`Content-Length: 0`).
    public var body: Data?
    /// An `http://` request goes out only if the agent's settings allow insecure HTTP or this is
    /// true (probes that test plaintext refusal send invalid credentials over HTTP deliberately).
    public var permitsPlaintext: Bool
    /// Overrides the agent's timeout for this request.
    public var timeout: Duration?
    /// Credentials in the request in the form they are sent (a password a sign-in template ran
    /// through filters), so the caller's guards and redaction know them. Never sent as such.
    public var credentials: [String]

    public init(method: String = "GET", url: String, headers: [HTTPHeader] = [], body: Data? = nil,
                permitsPlaintext: Bool = false, timeout: Duration? = nil, credentials: [String] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.permitsPlaintext = permitsPlaintext
        self.timeout = timeout
        self.credentials = credentials
    }
}

/// Where the time of one exchange went, as libcurl measured it (each from the start).
public struct HTTPTimings: Sendable, Hashable {
    public var nameLookup: Duration
    public var connect: Duration
    /// TLS handshake done (zero for plain HTTP or a reused connection).
    public var tlsHandshake: Duration
    /// First response byte received.
    public var firstByte: Duration
    public var total: Duration

    public init(nameLookup: Duration = .zero, connect: Duration = .zero, tlsHandshake: Duration = .zero,
                firstByte: Duration = .zero, total: Duration = .zero) {
        self.nameLookup = nameLookup
        self.connect = connect
        self.tlsHandshake = tlsHandshake
        self.firstByte = firstByte
        self.total = total
    }
}

/// One response as received; redirects are never followed, so this is always the first answer.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Headers of this response only, in order, as received (interim 1xx responses dropped).
    public var headers: [HTTPHeader]
    public var body: Data
    /// Total time of the exchange.
    public var duration: Duration
    public var timings: HTTPTimings
    /// The request's headers as they went out: the caller's, plus what libcurl added (`Host`,
    /// `Content-Length`, and `Cookie` from the agent's jar), so evidence shows what was sent.
    public var sentHeaders: [HTTPHeader]

    public init(status: Int, headers: [HTTPHeader], body: Data, duration: Duration,
                timings: HTTPTimings? = nil, sentHeaders: [HTTPHeader] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.duration = duration
        self.timings = timings ?? HTTPTimings(total: duration)
        self.sentHeaders = sentHeaders
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Every value of headers with this name, in order (e.g. several `Set-Cookie`).
    public func headers(named name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    /// The body decoded as UTF-8 (lossy), for messages and HTML.
    public var text: String {
        String(decoding: body, as: UTF8.self)
    }
}

/// How an agent talks to servers.
public struct TransportSettings: Sendable {
    /// PEM file of extra trust anchors (e.g. a test CA), added to the system's.
    public var caFile: String?
    /// Whole-exchange limit per request (connect included).
    public var timeout: Duration
    /// Allow any `http://` request; otherwise only those marked `permitsPlaintext`.
    public var allowInsecureHTTP: Bool
    /// A larger answer (headers and body) fails the request rather than exhausting memory: a
    /// metadata document or a token response is a few KiB, a login page some hundred.
    public var maxResponseBytes: Int

    public init(caFile: String? = nil, timeout: Duration = .seconds(30), allowInsecureHTTP: Bool = false,
                maxResponseBytes: Int = 4 << 20) {
        self.caFile = caFile
        self.timeout = timeout
        self.allowInsecureHTTP = allowInsecureHTTP
        self.maxResponseBytes = maxResponseBytes
    }
}
