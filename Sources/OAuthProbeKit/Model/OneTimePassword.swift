import Foundation

/// A user's TOTP second factor (RFC 6238): the shared secret, as authenticator apps take it
/// (base32, RFC 4648 §6), and how codes are made from it.
public struct OneTimePassword: Sendable, Hashable {
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1, sha256, sha512
    }

    public var secret: Secret
    public var algorithm: Algorithm = .sha1
    /// 6 to 8 digits (RFC 4226 §5.3).
    public var digits = 6
    /// Seconds a code is valid for (RFC 6238 §4.1, §5.2).
    public var period = 30

    public init(secret: Secret, algorithm: Algorithm = .sha1, digits: Int = 6, period: Int = 30) {
        self.secret = secret
        self.algorithm = algorithm
        self.digits = digits
        self.period = period
    }

    /// The time step a moment falls in (RFC 6238 §4.2: T = floor((now - T0) / X), T0 = 0).
    public func step(at date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / Double(period)).rounded(.down))
    }

    /// The secret's bytes, or nil when it is not base32 (spaces, `=` padding and case are forgiven,
    /// as authenticator apps forgive them).
    public static func key(fromBase32 text: String) -> Data? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bits = 0
        var buffer = 0
        var bytes: [UInt8] = []
        for character in text.uppercased() where character != " " && character != "=" && character != "-" {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8((buffer >> bits) & 0xFF))
            }
        }
        return bytes.isEmpty ? nil : Data(bytes)
    }
}
