import Crypto
import Foundation

/// RFC 6238 time-based one-time passwords: HOTP (RFC 4226 §5.3) over the time step.
enum TOTP {
    /// The code for a time step: HMAC of the 8-byte big-endian counter, dynamically truncated.
    static func code(key: Data, step: Int64, algorithm: OneTimePassword.Algorithm, digits: Int) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac: [UInt8] = switch algorithm {
        case .sha1: Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: key)))
        case .sha256: Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
        case .sha512: Array(HMAC<SHA512>.authenticationCode(for: message, using: SymmetricKey(data: key)))
        }
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let modulus = (0..<digits).reduce(UInt32(1)) { value, _ in value * 10 }
        return String(binary % modulus).leftPadded(to: digits)
    }

    static func code(_ otp: OneTimePassword, step: Int64) throws -> String {
        guard let key = OneTimePassword.key(fromBase32: otp.secret.value) else {
            throw ProbeError("user.totp is not a base32 secret")
        }
        return code(key: key, step: step, algorithm: otp.algorithm, digits: otp.digits)
    }
}
