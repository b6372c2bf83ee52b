import Crypto
import Foundation
import JWTKit

/// Checks an ID token the way a relying party must (OIDC Core §3.1.3.7): the signature with a key
/// from the server's JWKS (jwt-kit), then iss, aud, exp and nonce, each reported on its own so a
/// finding says which check failed.
struct IDTokenCheck {
    var issuer: String
    var clientID: String
    var nonce: String?
    /// The code and access token that came with the token from the authorization endpoint.
    var code: String?
    var accessToken: String?

    /// `signature`: valid, invalid or no-key; `issuer`, `audience`, `nonce`: matches or differs
    /// (`nonce` missing when the token has none); `azp`: matches, differs, missing (several
    /// audiences and no azp) or not-needed; `expiry`: future, past or missing; `alg`; `c_hash`
    /// and `at_hash` (when a code or access token is given): matches, differs or missing.
    func check(_ token: String, jwks: Data, now: Date = Date()) async -> [String: String] {
        guard let jwt = CompactJWT(token) else { return ["signature": "invalid", "alg": "not a JWT"] }
        var fields = ["alg": jwt.algorithm ?? "none"]
        fields["signature"] = await signature(of: token, jwt: jwt, jwks: jwks)
        let claims = jwt.claims
        fields["issuer"] = claims["iss"]?.stringValue == issuer ? "matches" : "differs"
        let audiences = claims["aud"]?.arrayOfStrings ?? claims["aud"]?.stringValue.map { [$0] } ?? []
        fields["audience"] = audiences.contains(clientID) ? "matches" : "differs"
        // OIDC Core §2: azp names the party the token was issued to; it is owed when aud has
        // several values, and must then be the client.
        switch claims["azp"]?.stringValue {
        case let party?: fields["azp"] = party == clientID ? "matches" : "differs"
        case nil: fields["azp"] = audiences.count > 1 ? "missing" : "not-needed"
        }
        for (claim, value) in [("c_hash", code), ("at_hash", accessToken)] {
            guard let value else { continue }
            guard let carried = claims[claim]?.stringValue else {
                fields[claim] = "missing"
                continue
            }
            fields[claim] = Self.halfHash(of: value, alg: jwt.algorithm) == carried ? "matches" : "differs"
        }
        if case .number(let expiry)? = claims["exp"] {
            fields["expiry"] = Date(timeIntervalSince1970: expiry) > now ? "future" : "past"
        } else {
            fields["expiry"] = "missing"
        }
        switch (claims["nonce"]?.stringValue, nonce) {
        case (nil, _): fields["nonce"] = "missing"
        case (let sent?, let expected): fields["nonce"] = sent == expected ? "matches" : "differs"
        }
        return fields
    }

    /// OIDC Core §3.3.2.11: the left half of the hash that the token's alg uses, base64url.
    static func halfHash(of value: String, alg: String?) -> String? {
        let data = Data(value.utf8)
        let digest: Data
        switch alg?.suffix(3) {
        case "256": digest = Data(SHA256.hash(data: data))
        case "384": digest = Data(SHA384.hash(data: data))
        case "512", "DSA": digest = Data(SHA512.hash(data: data))
        default: return nil
        }
        return Base64URL.encode(digest.prefix(digest.count / 2))
    }

    private func signature(of token: String, jwt: CompactJWT, jwks: Data) async -> String {
        guard let algorithm = jwt.algorithm, algorithm != "none" else { return "invalid" }
        // A symmetric signature cannot be checked with a public key set.
        if algorithm.hasPrefix("HS") { return "no-key" }
        let candidates = Self.candidateKeys(for: jwt, in: Self.signingKeys(in: jwks))
        // Key by key: one key jwt-kit cannot read must not hide the others. jwt-kit files keys
        // by kid, so a key without one is filed under a name of our own.
        let keys = JWTKeyCollection()
        var added = 0
        for (index, var key) in candidates.enumerated() {
            if case .object(var members) = key, members["kid"] == nil {
                members["kid"] = .string("oauthprobe-unnamed-key-\(index)")
                key = .object(members)
            }
            guard let set = try? JSONEncoder().encode(JSONValue.object(["keys": .array([key])])),
                  (try? await keys.add(jwksJSON: String(decoding: set, as: UTF8.self))) != nil else { continue }
            added += 1
        }
        guard added > 0 else { return "no-key" }
        do {
            _ = try await keys.verify(token, as: AnyClaims.self, iteratingKeys: true)
            return "valid"
        } catch {
            return "invalid"
        }
    }

    /// The keys that may have signed the token. A token with a `kid` names its key; a token
    /// without one, or a set whose only key of the right type has none (RFC 7517 §4.5: `kid` is
    /// optional), leaves the keys of the type its `alg` needs.
    static func candidateKeys(for jwt: CompactJWT, in keys: [JSONValue]) -> [JSONValue] {
        let fitting = keys.filter { $0["kty"]?.stringValue == keyType(for: jwt.algorithm) }
        guard let kid = jwt.header["kid"]?.stringValue else { return fitting }
        let named = keys.filter { $0["kid"]?.stringValue == kid }
        if !named.isEmpty { return named }
        let unnamed = fitting.filter { $0["kid"] == nil }
        return fitting.count == 1 ? unnamed : []
    }

    /// The JWK `kty` that signs with this JWS `alg` (RFC 7518 §3.1, RFC 8037 §3.1).
    static func keyType(for algorithm: String?) -> String? {
        switch algorithm?.prefix(2) {
        case "RS", "PS": "RSA"
        case "ES": "EC"
        case "Ed": "OKP"
        default: nil
        }
    }

    /// The keys of a JWKS that can check a signature: public keys of the kinds jwt-kit reads
    /// (RSA, EC, Ed25519), not marked for encryption. Others (`oct`, X25519, `use: enc`) are
    /// passed over, as a relying party would.
    static func signingKeys(in jwks: Data) -> [JSONValue] {
        guard case .array(let keys)? = JSONValue.parse(jwks)?["keys"] else { return [] }
        return keys.filter { key in
            guard key["use"]?.stringValue != "enc" else { return false }
            switch key["kty"]?.stringValue {
            case "RSA", "EC": return true
            case "OKP": return key["crv"]?.stringValue == "Ed25519"
            default: return false
            }
        }
    }
}

/// Accepts any claims: jwt-kit checks the signature, the claims are judged one by one above.
private struct AnyClaims: JWTPayload {
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
