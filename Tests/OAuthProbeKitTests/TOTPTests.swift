import Foundation
import Testing
@testable import OAuthProbeKit

/// Issue 19: one-time codes as RFC 6238 computes them, from the secret authenticator apps take.
@Suite("TOTP (RFC 6238)")
struct TOTPTests {
    /// RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to the hash's length.
    static func seed(_ length: Int) -> Data { Data((0..<length).map { UInt8(ascii: "0") + UInt8(($0 + 1) % 10) }) }

    @Test("RFC 6238 Appendix B's vectors, 8 digits", arguments: [
        (Int64(59), OneTimePassword.Algorithm.sha1, "94287082"), (59, .sha256, "46119246"), (59, .sha512, "90693936"),
        (1111111109, .sha1, "07081804"), (1111111109, .sha256, "68084774"), (1111111109, .sha512, "25091201"),
        (20000000000, .sha1, "65353130"), (20000000000, .sha256, "77737706"), (20000000000, .sha512, "47863826"),
    ])
    func vectors(time: Int64, algorithm: OneTimePassword.Algorithm, expected: String) {
        let key = Self.seed(algorithm == .sha1 ? 20 : algorithm == .sha256 ? 32 : 64)
        #expect(TOTP.code(key: key, step: time / 30, algorithm: algorithm, digits: 8) == expected)
    }

    @Test("a base32 secret is read as apps read it: any case, spaces and padding forgiven; anything else refused")
    func base32() throws {
        // "12345678901234567890" in base32 (RFC 4648 §6).
        let key = try #require(OneTimePassword.key(fromBase32: "gezd gnbv gy3t qojq gezd gnbv gy3t qojq"))
        #expect(key == Self.seed(20))
        #expect(OneTimePassword.key(fromBase32: "GEZDGNBVGY3TQOJQ====") == Data("1234567890".utf8))
        #expect(OneTimePassword.key(fromBase32: "not base32!") == nil)
        let otp = OneTimePassword(secret: Secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", origin: "test"))
        #expect(try TOTP.code(otp, step: 1) == "287082")
        #expect(otp.step(at: Date(timeIntervalSince1970: 59)) == 1)
    }

    /// Servers refuse a code of a time step already used (RFC 6238 §5.2): a second sign-in in the
    /// same period waits for the next one.
    @Test("no two codes of one time step are handed out")
    func noReplay() async throws {
        let target = Target(name: "t", issuer: "https://idp.example", allowInsecureHTTP: false, file: "t.yaml")
        let session = TargetSession(target: target, endpoints: EndpointMap(target: target, metadata: nil), maxRequestsPerSecond: nil)
        let otp = OneTimePassword(secret: Secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", origin: "test"), period: 1)
        let before = otp.step(at: Date())
        let first = try await session.oneTimeCode(otp)
        let second = try await session.oneTimeCode(otp)
        let after = otp.step(at: Date())
        #expect(after > before, "the second code waited for a step of its own")
        #expect(first != second || after > before + 1)
    }
}
