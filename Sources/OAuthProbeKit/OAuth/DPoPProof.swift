import Crypto
import Foundation

/// DPoP proofs (RFC 9449 §4.2): a JWT signed with the client's own key, whose header carries the
/// public key, bound to one request by its method (`htm`) and URL (`htu`), unique by its `jti`,
/// dated by `iat` and, sent to a resource, tied to the access token by its hash (`ath`).
public enum DPoPProof {
    /// What one proof says.
    public struct Claims: Sendable {
        /// The request's method (`htm`).
        public var method: String
        /// The request's URL without query and fragment (`htu`), as sent: `DPoPProof.htu(of:)`.
        public var url: String
        /// At a resource: the access token the proof travels with (`ath` is its hash).
        public var accessToken: String?
        /// A nonce the server handed out (RFC 9449 §8, §9).
        public var nonce: String?
        public var issuedAt: Date
        public var jti: String

        public init(method: String, url: String, accessToken: String? = nil, nonce: String? = nil,
                    issuedAt: Date = Date(), jti: String = Base64URL.randomToken()) {
            self.method = method
            self.url = url
            self.accessToken = accessToken
            self.nonce = nonce
            self.issuedAt = issuedAt
            self.jti = jti
        }
    }

    /// The proof, ES256 (RFC 7518 §3.4: r and s, 32 bytes each), the public key as `jwk` in its header.
    public static func make(_ claims: Claims, key: P256.Signing.PrivateKey) throws -> String {
        let header: [String: Any] = ["typ": "dpop+jwt", "alg": "ES256", "jwk": jwk(of: key.publicKey)]
        var payload: [String: Any] = ["jti": claims.jti, "htm": claims.method, "htu": claims.url,
                                      "iat": Int(claims.issuedAt.timeIntervalSince1970)]
        if let token = claims.accessToken { payload["ath"] = accessTokenHash(token) }
        if let nonce = claims.nonce { payload["nonce"] = nonce }
        let input = "\(try segment(header)).\(try segment(payload))"
        let signature = try key.signature(for: Data(input.utf8))
        return "\(input).\(Base64URL.encode(signature.rawRepresentation))"
    }

    /// The public key as a JWK (RFC 7517, RFC 7518 §6.2): the curve point's x and y.
    public static func jwk(of key: P256.Signing.PublicKey) -> [String: String] {
        let point = key.rawRepresentation
        return ["kty": "EC", "crv": "P-256", "x": Base64URL.encode(point.prefix(32)), "y": Base64URL.encode(point.suffix(32))]
    }

    /// The JWK SHA-256 thumbprint (RFC 7638 §3): what a server binds the token to (`cnf.jkt`).
    public static func thumbprint(of key: P256.Signing.PublicKey) -> String {
        let jwk = jwk(of: key)
        // The required members only, in lexicographic order, no whitespace.
        let canonical = #"{"crv":"\#(jwk["crv"]!)","kty":"\#(jwk["kty"]!)","x":"\#(jwk["x"]!)","y":"\#(jwk["y"]!)"}"#
        return Base64URL.encode(Data(SHA256.hash(data: Data(canonical.utf8))))
    }

    /// `ath`: the base64url SHA-256 of the access token's ASCII bytes (RFC 9449 §4.2).
    public static func accessTokenHash(_ token: String) -> String {
        Base64URL.encode(Data(SHA256.hash(data: Data(token.utf8))))
    }

    /// `htu`: the URL without its query and fragment (RFC 9449 §4.2), as written.
    public static func htu(of url: String) -> String {
        URLParts(url)?.base ?? url
    }

    private static func segment(_ object: [String: Any]) throws -> String {
        Base64URL.encode(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }
}

/// One probe's DPoP key (a fresh P-256 key: a proof can only be made by whoever holds it), and the
/// nonces servers asked for (RFC 9449 §8, §9), by origin.
final class DPoPKey: @unchecked Sendable {
    private let lock = NSLock()
    private var key: P256.Signing.PrivateKey?
    private var nonces: [String: String] = [:]

    /// Made on first use: most probes send no proof.
    var privateKey: P256.Signing.PrivateKey {
        lock.withLock {
            if let key { return key }
            let made = P256.Signing.PrivateKey()
            key = made
            return made
        }
    }

    var thumbprint: String { DPoPProof.thumbprint(of: privateKey.publicKey) }

    /// A fresh proof (new `jti`, `iat` now) for a request to `url`, with the nonce its server gave last.
    func proof(method: String, htu: String, accessToken: String?, sentTo url: String) throws -> String {
        let nonce = lock.withLock { nonces[Self.origin(url)] }
        return try DPoPProof.make(.init(method: method, url: htu, accessToken: accessToken, nonce: nonce), key: privateKey)
    }

    /// Keeps the `DPoP-Nonce` an answer carries; true when the answer refused the request for want
    /// of it (`use_dpop_nonce`), so that the request is worth sending again with it.
    func learnNonce(from response: HTTPResponse, sentTo url: String) -> Bool {
        guard let nonce = response.header("DPoP-Nonce")?.trimmingCharacters(in: .whitespaces), !nonce.isEmpty else { return false }
        let previous = lock.withLock { nonces.updateValue(nonce, forKey: Self.origin(url)) }
        let error = JSONValue.parse(response.body)?["error"]?.stringValue
        let challenge = response.headers(named: "WWW-Authenticate").joined(separator: ", ")
        let asked = error == "use_dpop_nonce" || challenge.contains("use_dpop_nonce")
        return asked && [400, 401].contains(response.status) && previous != nonce
    }

    private static func origin(_ url: String) -> String {
        URLParts(url)?.origin.lowercased() ?? url
    }
}
