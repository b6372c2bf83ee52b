import Crypto
import Foundation

/// A credential taken from the environment or a file. Its description never shows the value,
/// so a secret cannot leak through string interpolation into a report or log.
public struct Secret: Sendable, Hashable, CustomStringConvertible {
    public let value: String
    /// Where the value came from, as written: `${env:WEB_SECRET}`; nil when written inline.
    public let origin: String?

    public init(_ value: String, origin: String?) {
        self.value = value
        self.origin = origin
    }

    public var description: String { Fingerprint.of(value) }
}

/// Short, stable stand-ins for secret values: enough to tell two tokens apart in evidence,
/// not enough to use them.
public enum Fingerprint {
    public static func of(_ value: String) -> String {
        let digest = SHA256.hash(data: Data(value.utf8))
        let digits = Array("0123456789abcdef".utf8)
        let hex = digest.prefix(4).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }
        return "‹sha256:\(String(decoding: hex, as: UTF8.self))›"
    }
}
