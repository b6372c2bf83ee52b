import Foundation

/// A JWS in compact serialisation (RFC 7515 §7.1), taken apart without verifying it: enough to
/// read claims and to forge the altered tokens that probes present (alg none, a broken signature).
/// Verification is jwt-kit's job (`IDTokenCheck`).
struct CompactJWT {
    var header: JSONValue
    var claims: JSONValue
    var parts: [Substring]

    init?(_ token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerData = Base64URL.decode(parts[0]), case .object? = JSONValue.parse(headerData),
              let claimsData = Base64URL.decode(parts[1]), case .object? = JSONValue.parse(claimsData)
        else { return nil }
        self.header = JSONValue.parse(headerData)!
        self.claims = JSONValue.parse(claimsData)!
        self.parts = parts
    }

    var algorithm: String? { header["alg"]?.stringValue }

    /// The same claims under the same header with `alg` set to `none`, and an empty signature
    /// (RFC 7519 §6.1): a resource that accepts it verifies nothing. `kid`, `typ` and every other
    /// member stay, so a resource that refuses a token for lacking them is not mistaken for one
    /// that refuses the forgery.
    var withAlgorithmNone: String {
        guard case .object(var members) = header else { return "" }
        members["alg"] = .string("none")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A JSON object of plain values always encodes.
        let encoded = try! encoder.encode(JSONValue.object(members))
        return "\(Base64URL.encode(encoded)).\(parts[1])."
    }

    /// The token with one character of its signature changed; header and claims as they were.
    var withTamperedSignature: String {
        "\(parts[0]).\(parts[1]).\(Self.alterFirstCharacter(of: parts[2]))"
    }

    /// Changes one base64url character so the value differs but keeps its shape.
    static func alterFirstCharacter(of text: Substring) -> String {
        guard let first = text.first else { return "A" }
        return (first == "A" ? "B" : "A") + text.dropFirst()
    }
}

extension Base64URL {
    static func decode<S: StringProtocol>(_ text: S) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
