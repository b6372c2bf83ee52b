/// What a run asked of one server: the figures a production owner wants before agreeing to a
/// run, and the ones a benchmark compares.
public struct TargetLoad: Sendable, Hashable, Codable {
    /// Every HTTP request sent to the server, retries and sign-ins included.
    public var requests = 0
    /// Times the user was signed in: a login form posted, or the declared sign-in calls made.
    public var signIns = 0
    /// Requests to the token endpoint.
    public var tokenRequests = 0
    /// Probes run again after a server failure.
    public var retries = 0
    /// Requests sent again after a 429 or 503 with Retry-After.
    public var rateLimited = 0
    /// Seconds spent waiting for the server's answers, summed over every request.
    public var secondsWaiting = 0.0
    /// Set when a server failure made the run lower its concurrency for this target: why, and to what.
    public var concurrencyLowered: String?
    /// The endpoints the run gave up on after consecutive failures (`EndpointBreaker`), each
    /// with what it did.
    public var endpointsGivenUp: [String]?

    public init() {}
}
