/// Why a probe could reach no verdict: always an `error`, never a pass.
public struct ProbeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The network failed (a timeout, a reset): another attempt may get an answer.
    public var transient: Bool

    public init(_ message: String, transient: Bool = false) {
        self.message = message
        self.transient = transient
    }

    public var description: String { message }
}

/// Why a probe does not apply to this target, found while it runs: always a `skip`.
struct ProbeSkip: Error, Sendable {
    var reason: String

    init(_ reason: String) { self.reason = reason }
}
