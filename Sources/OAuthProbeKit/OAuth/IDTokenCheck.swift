import Foundation
import JWTKit

/// Checks an ID token the way a relying party must (OIDC Core §3.1.3.7): the signature with a key
/// from the server's JWKS (jwt-kit), then iss, aud, exp and nonce, each reported on its own so a
/// finding says which check failed.
struct IDTokenCheck {
    var issuer: String
    var clientID: String
    var nonce: String?

    /// `signature`: valid, invalid or no-key; `issuer`, `audience`, `nonce`: matches or differs
    /// (`nonce` missing when the token has none); `expiry`: future, past or missing; `alg`.
    func check(_ token: String, jwks: Data, now: Date = Date()) async -> [String: String] {
        guard let jwt = CompactJWT(token) else { return ["signature": "invalid", "alg": "not a JWT"] }
        var fields = ["alg": jwt.algorithm ?? "none"]
        fields["signature"] = await signature(of: token, jwt: jwt, jwks: jwks)
        let claims = jwt.claims
        fields["issuer"] = claims["iss"]?.stringValue == issuer ? "matches" : "differs"
        let audiences = claims["aud"]?.arrayOfStrings ?? claims["aud"]?.stringValue.map { [$0] } ?? []
        fields["audience"] = audiences.contains(clientID) ? "matches" : "differs"
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

    private func signature(of token: String, jwt: CompactJWT, jwks: Data) async -> String {
        guard let algorithm = jwt.algorithm, algorithm != "none" else { return "invalid" }
        // A symmetric signature cannot be checked with a public key set, nor one whose kid the set lacks.
        let kids = JSONValue.parse(jwks)?["keys"].flatMap { keys -> [String]? in
            guard case .array(let items) = keys else { return nil }
            return items.compactMap { $0["kid"]?.stringValue }
        } ?? []
        if algorithm.hasPrefix("HS") { return "no-key" }
        if let kid = jwt.header["kid"]?.stringValue, !kids.contains(kid) { return "no-key" }
        guard let keys = try? await JWTKeyCollection().add(jwksJSON: String(decoding: jwks, as: UTF8.self)) else { return "no-key" }
        do {
            _ = try await keys.verify(token, as: AnyClaims.self, iteratingKeys: true)
            return "valid"
        } catch {
            return "invalid"
        }
    }
}

/// Accepts any claims: jwt-kit checks the signature, the claims are judged one by one above.
private struct AnyClaims: JWTPayload {
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
