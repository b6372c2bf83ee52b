import Crypto
import Foundation

/// Proof Key for Code Exchange (RFC 7636): a fresh verifier per authorization request.
public struct PKCE: Sendable {
    public let verifier: String
    public let method: PKCEMode

    /// A fresh random verifier (43 characters of the RFC 7636 §4.1 set), or the one given.
    public init(method: PKCEMode, verifier: String? = nil) {
        self.method = method
        var generator = SystemRandomNumberGenerator()
        self.verifier = verifier ?? Base64URL.encode(Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }))
    }

    /// The `code_challenge` sent at authorize: the verifier itself for plain, its SHA-256 for S256.
    public var challenge: String? {
        switch method {
        case .s256: Self.s256Challenge(for: verifier)
        case .plain: verifier
        case .none: nil
        }
    }

    public static func s256Challenge(for verifier: String) -> String {
        Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8))))
    }
}

public enum Base64URL {
    public static func encode(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A random value for `state` and `nonce`.
    public static func randomToken(bytes: Int = 16) -> String {
        var generator = SystemRandomNumberGenerator()
        return encode(Data((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }))
    }
}
