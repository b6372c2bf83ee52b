/// Why a probe could reach no verdict: always an `error`, never a pass.
public struct ProbeError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
